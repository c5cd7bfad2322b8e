/**
 * The whole product on loopback for API/e2e tests: provider sandboxes, a worker on its own task queue, and the
 * API (src/platform/in-process-stack.ts), against the dev server and FerretDB started by the global setup. Ports
 * are free ones.
 */
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import { DEMO_PARKINGS, demoGateKey } from '../../src/db/demo-data';
import { seedDemoData } from '../../src/db/seed';
import { startSessionIdsAt } from '../../src/db/session-ids';
import { startProductInProcess, type SandboxApp, type SandboxOptions } from '../../src/platform/in-process-stack';
import { freePort } from '../../src/platform/local-servers';
import { connectTestDb, dropTestDb } from './db';
import { testDataConverter } from './data-converter';

export interface Stack {
  config: Config;
  api: string;
  sandboxUrl: string;
  sandbox: SandboxApp;
  temporal: Client;
  stop(): Promise<void>;
}

export async function startStack(
  name: string,
  env: Record<string, string> = {},
  sandboxOpts: SandboxOptions = {},
): Promise<Stack> {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: the jest global setup did not start Temporal');
  const mongoUri = await connectTestDb(name);
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const config = loadConfig({
    PORT: String(port),
    SANDBOX_PORT: String(sandboxPort),
    TEMPORAL_ADDRESS: address,
    MONGODB_URI: mongoUri,
    TEMPORAL_TASK_QUEUE: `test-${name}-${process.pid}-${Date.now()}`,
    ...env,
  });
  await seedDemoData(config);
  // Each test file has a fresh database but shares the dev server: start its session ids in a range of its
  // own, so parking-session-<id> workflow ids never collide across files.
  const idBase = (Math.floor(Date.now() / 1000) % 1_000_000) * 1000 + (process.pid % 1000);
  await startSessionIdsAt(idBase);
  const product = await startProductInProcess(config, { label: `stack ${name}`, sandboxOptions: sandboxOpts, dataConverter: testDataConverter });
  return {
    config,
    api: config.PUBLIC_BASE_URL,
    sandboxUrl: config.SANDBOX_BASE_URL,
    sandbox: product.sandbox,
    temporal: product.temporal,
    async stop() {
      await product.stop();
      await dropTestDb();
    },
  };
}

/** JSON over real HTTP; never follows redirects (tests look at them). */
export async function http(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; form?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: any; text: string; location: string | null; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  // timeoutMs: the answer must come within this bound (fail-fast contracts); the fetch aborts after it.
  const signal = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs);
  const res = await fetch(url, { method, headers, body, redirect: 'manual', signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text, location: res.headers.get('location'), headers: res.headers };
}

/** Polls until the check passes (workflows react to signals asynchronously). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The demo gate of a parking's entrance or exit reports a car for a session, with its own key and MAC address. */
export function gateEvent(s: Pick<Stack, 'api' | 'config'>, sessionId: number, parkingId: number, event: 'entered' | 'exited') {
  const direction = event === 'entered' ? 'entrance' : 'exit';
  const ap = DEMO_PARKINGS.find((p) => p.id === parkingId)?.accessPoints.find((a) => a.direction === direction);
  if (!ap) throw new Error(`demo parking ${parkingId} has no ${direction} gate`);
  return http('POST', `${s.api}/api/gates/events`, {
    headers: { 'x-api-key': demoGateKey(s.config, parkingId, direction) },
    body: { parking_session_id: sessionId, event, mac_address: ap.macAddress },
  });
}
