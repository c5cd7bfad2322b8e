/**
 * N of each process against one Temporal and one database: 2 API processes and 2 worker processes (children, as in
 * production: `node --import tsx <entry>`) behind a round-robin HTTP proxy, so consecutive requests of one session
 * (start, key, finalize, pay link, IPN, result) land on different API replicas. Card-paid barrier sessions run
 * concurrently; one worker is SIGKILLed while they are under way. Every session must close paid, with exactly one
 * capture (sandbox records and ledger), and every gate signal must be in its workflow's history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import { issueDriverToken } from '../../src/db/credentials';
import { LedgerModel } from '../../src/db/models';
import { seedDemoData } from '../../src/db/seed';
import { startSessionIdsAt } from '../../src/db/session-ids';
import { freePort, ROOT } from '../../src/platform/local-servers';
import { createSandboxApp } from '../../sandbox/app';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { assertExactlyOnce } from '../helpers/exactly-once';
import { connectTestDb, dropTestDb } from '../helpers/db';
import { eventually, gateEvent, http as request } from '../helpers/stack';

const SESSIONS = 12;
const PARKING = 189; // Netopia, RON (the README walkthrough's parking)
const ENTRANCE_MAC = '76:86:BB:DE:65:01';
const EXIT_MAC = '76:86:BB:DE:65:02';
const ACCEPTED_CARD = { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111', name: 'Demo Driver' };
// A killed worker's sticky queue and in-flight activities time out before the other worker takes them over.
const RECOVERY_MS = 180_000;

type Name = 'api-1' | 'api-2' | 'worker-1' | 'worker-2';
const TSX_LOADER = require.resolve('tsx');
const ENTRY = { api: path.join(ROOT, 'src', 'main.ts'), worker: path.join(ROOT, 'workers', 'main.ts') };

let dir: string;
let config: Config;
let proxy: http.Server;
let proxyUrl: string;
let hits: Record<string, number>;
let temporal: Client;
let closeSandbox: () => Promise<void>;
const children = new Map<Name, ChildProcess>();
const log = (n: Name) => path.join(dir, `${n}.log`);

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}
process.on('exit', () => children.forEach(killGroup));

async function start(n: Name, env: Record<string, string>): Promise<void> {
  const fd = openSync(log(n), 'a');
  const child = spawn(process.execPath, ['--import', TSX_LOADER, n.startsWith('api') ? ENTRY.api : ENTRY.worker], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  children.set(n, child);
  const ready = n.startsWith('api')
    ? async () => (await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok
    : async () => readFileSync(log(n), 'utf8').includes('[worker] polling task queue');
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${n} exited during start-up:\n${readFileSync(log(n), 'utf8').slice(-3000)}`);
      return ready().catch(() => false);
    },
    (ok) => ok,
    180_000,
  );
}

async function sigkill(n: Name): Promise<void> {
  const child = children.get(n)!;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child);
  await gone;
  children.delete(n);
}

/** The trivial load balancer: each request goes to the next API replica in turn, bodies and headers as they are. */
function roundRobin(targets: number[]): http.Server {
  let next = 0;
  return http.createServer((req, res) => {
    const port = targets[next++ % targets.length];
    hits[port] = (hits[port] ?? 0) + 1;
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
}

beforeAll(async () => {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: the jest global setup did not start Temporal');
  dir = mkdtempSync(path.join(os.tmpdir(), 'scale-replicas-'));
  const mongoUri = await connectTestDb('scale_replicas');
  const [proxyPort, api1, api2, sandboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    APP_MODE: 'sandbox',
    LOG_LEVEL: 'info', // the worker's "polling" line says it is ready
    PUBLIC_BASE_URL: proxyUrl, // pay links, provider return and IPN URLs go through the balancer too
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_BASE_URL: `http://127.0.0.1:${sandboxPort}`,
    // Its own sandbox state: the repo's .data/sandbox holds orders of earlier runs under the same order ids.
    SANDBOX_STATE_DIR: path.join(dir, 'sandbox'),
    TEMPORAL_ADDRESS: address,
    MONGODB_URI: mongoUri,
    TEMPORAL_TASK_QUEUE: `scale-${process.pid}-${Date.now()}`,
    RATE_LIMIT_PAY_PER_MINUTE: '10000',
    RATE_LIMIT_RESULT_PER_MINUTE: '10000',
    // Small on purpose: sessions are evicted and replayed while the test runs.
    WORKER_MAX_CACHED_WORKFLOWS: '8',
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '4',
  };
  config = loadConfig({ ...env, PORT: String(api1) });
  await seedDemoData(config);
  // The dev server is shared with other test files: this file's workflow ids start in a range of their own.
  await startSessionIdsAt((Math.floor(Date.now() / 1000) % 1_000_000) * 1000 + (process.pid % 1000));
  const sandbox = createSandboxApp(config, () => undefined);
  const sandboxServer = await new Promise<http.Server>((resolve) => {
    const s = sandbox.app.listen(sandboxPort, '127.0.0.1', () => resolve(s));
  });
  closeSandbox = async () => {
    sandbox.close();
    await new Promise<void>((resolve) => {
      sandboxServer.close(() => resolve());
      sandboxServer.closeAllConnections();
    });
  };
  hits = {};
  proxy = roundRobin([api1, api2]);
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', () => resolve()));
  expect((proxy.address() as AddressInfo).port).toBe(proxyPort);
  // Workers one after the other: each bundles the workflows (webpack) at start.
  // Each process also serves metrics (and a worker its health) on a port of its own: N on one host must not collide.
  const workerEnv = async () => ({ ...env, WORKER_METRICS_PORT: String(await freePort()), WORKER_HEALTH_PORT: String(await freePort()) });
  const apiEnv = async (port: number) => ({ ...env, PORT: String(port), API_METRICS_PORT: String(await freePort()) });
  await start('worker-1', await workerEnv());
  await start('worker-2', await workerEnv());
  await Promise.all([start('api-1', await apiEnv(api1)), start('api-2', await apiEnv(api2))]);
  temporal = new Client({ connection: await Connection.connect({ address }), namespace: config.TEMPORAL_NAMESPACE });
}, 600_000);

afterAll(async () => {
  for (const child of children.values()) killGroup(child);
  await temporal?.connection.close();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await closeSandbox?.();
  await dropTestDb();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function logs(): string {
  return (['api-1', 'api-2', 'worker-1', 'worker-2'] as Name[])
    .map((n) => {
      try {
        return `--- ${n} ---\n${readFileSync(log(n), 'utf8').slice(-4000)}`;
      } catch {
        return `--- ${n} --- (no log)`;
      }
    })
    .join('\n');
}

/** A request the API may answer 5xx while a workflow waits for a worker to take it over: asked again until 2xx/4xx. */
async function accepted(what: string, send: () => ReturnType<typeof request>, ok: number[]) {
  const res = await eventually(send, (r) => ok.includes(r.status) || (r.status >= 400 && r.status < 500), RECOVERY_MS);
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

const api = { get api() { return proxyUrl; }, get config() { return config; } };

/** One card-paid barrier session over the balancer, from start to the exit gate. */
async function cardSession(token: string, progress: { active: number }): Promise<{ id: number; amount: string }> {
  const base = `${proxyUrl}/api/car_driver/parking_sessions`;
  const start = await accepted('start', () => request('POST', base, { token, body: { parking_session: { secured_parking_id: PARKING } } }), [201]);
  const id: number = start.body.parking_session.id;
  const session = () => request('GET', `${base}/${id}`, { token });
  const until = (ok: (v: { state: string; payment_status: string }) => boolean) =>
    eventually(session, (r) => r.status === 200 && ok(r.body.parking_session), RECOVERY_MS);
  await accepted('entrance key', () => request('POST', `${base}/${id}/access_attempts`, { token, body: { direction: 'entrance', mac_address: ENTRANCE_MAC } }), [201]);
  await accepted('gate entered', () => gateEvent(api, id, PARKING, 'entered'), [202]);
  await until((v) => v.state === 'active');
  progress.active++;
  const fin = await accepted('finalize', () => request('PUT', `${base}/${id}/finalize`, { token, body: { parking_session: { secured_parking_id: PARKING } } }), [201]);
  const pay = await accepted('pay link', () => request('GET', fin.body.pay_url), [303]);
  const submitted = await request('POST', pay.location!, { form: ACCEPTED_CARD });
  expect([302, 303]).toContain(submitted.status);
  await until((v) => v.payment_status === 'paid');
  await accepted('exit key', () => request('POST', `${base}/${id}/access_attempts`, { token, body: { direction: 'exit', mac_address: EXIT_MAC } }), [201]);
  await accepted('gate exited', () => gateEvent(api, id, PARKING, 'exited'), [202]);
  const closed = await until((v) => v.state === 'closed');
  expect(closed.body.parking_session).toMatchObject({ state: 'closed', payment_status: 'paid' });
  return { id, amount: fin.body.amount as string };
}

/** How many gate events the workflow received, from its history (payloads are encrypted: counted, not read). */
async function gateSignals(id: number): Promise<number> {
  const history = await temporal.workflow.getHandle(sessionWorkflowId(id)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'gateEvent').length;
}

test(`${SESSIONS} card sessions over 2 APIs and 2 workers, one worker SIGKILLed under load: all close, each paid once`, async () => {
  try {
    const tokens = await Promise.all(Array.from({ length: SESSIONS }, async (_, i) => (await issueDriverToken(`scale-driver-${i}`, 'test', 1)).token));
    const progress = { active: 0 };
    const runs = Promise.all(tokens.map((token) => cardSession(token, progress)));
    // Mid-load: some sessions are being paid for, others are still entering.
    await eventually(async () => progress.active, (n) => n >= SESSIONS / 3, RECOVERY_MS);
    await sigkill('worker-1');
    const sessions = await runs;

    const ids = sessions.map((s) => s.id);
    expect(new Set(ids).size).toBe(SESSIONS);
    // Both replicas served: a session's requests were spread over both.
    expect(Object.values(hits)).toHaveLength(2);
    expect(Math.min(...Object.values(hits))).toBeGreaterThan(SESSIONS);

    // Exactly once: per session one approved Netopia charge, one capture row for it, no other charge kept.
    const report = await assertExactlyOnce({ sandboxUrl: config.SANDBOX_BASE_URL });
    for (const { id, amount } of sessions) {
      const charges = report.charges.filter((c) => c.sessionId === id);
      expect(charges).toHaveLength(1);
      const captures = await LedgerModel.find({ sessionId: String(id), kind: 'capture' }).lean();
      expect(captures).toHaveLength(1);
      expect(captures[0]).toMatchObject({ gross: amount, providerRefs: expect.objectContaining({ orderId: charges[0].orderId }) });
    }
    // No lost signal: each workflow's history holds its gate's entered and exited (a 5xx answer may have been
    // retried, so at least two), and each session closed, so it acted on them.
    for (const id of ids) expect(await gateSignals(id)).toBeGreaterThanOrEqual(2);
  } catch (err) {
    process.stderr.write(`\n[scale-replicas] the test failed; process logs:\n${logs()}\n`);
    throw err;
  }
}, 900_000);
