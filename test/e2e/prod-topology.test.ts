/**
 * The production topology works: PostgreSQL, the Temporal schema set up by temporal-sql-tool, the Temporal server
 * built from go.temporal.io/server on it, the search attributes registered through the operator API, FerretDB on
 * PostgreSQL, and the sandbox, worker and API as their own processes (as `npm run start:prod-topology` runs them),
 * all on free ports. One card-paid barrier session runs end to end over HTTP.
 * tools/prod/install.sh builds what is missing first (a cold Temporal server compile takes minutes; .ci/run
 * calls it before `npm test`, so here it normally only checks the version stamps).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import { connectDb, disconnectDb } from '../../src/db/connection';
import { LedgerModel } from '../../src/db/models';
import { seedDemoData } from '../../src/db/seed';
import { startAppProcesses } from '../../src/platform/app-processes';
import { freePort, type RunningServer } from '../../src/platform/local-servers';
import { findPostgresBin, freeProdPorts, installProdTools, PG_PASSWORD, PG_USER, startProdServers, type ProdTopology, type ProdPorts } from '../../src/platform/prod-topology';
import { payWithCard } from '../helpers/card-flow';
import { eventually, gateEvent, http } from '../helpers/stack';
import { NETOPIA_ACCEPTED } from '../helpers/test-cards';

const TOKEN = 'demo-driver-token-0001';
const DB_NAME = 'prod_topology';

let dataDir: string;
let ports: ProdPorts;
let topology: ProdTopology | undefined;
let apps: RunningServer[] = [];
let config: Config;
let temporal: Client;
/** The servers' and apps' last lines, shown when start-up fails. */
const tail: string[] = [];
const keep = (name: string) => (line: string) => {
  tail.push(`[${name}] ${line}`);
  if (tail.length > 300) tail.shift();
};

/** A query through psql on the topology's PostgreSQL: proves where the data lives. */
async function psql(database: string, sql: string): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(findPostgresBin()!, 'psql'), ['-h', '127.0.0.1', '-p', String(ports.postgres), '-U', PG_USER, '-d', database, '-tAc', sql], {
    env: { ...process.env, PGPASSWORD: PG_PASSWORD },
  });
  return stdout.trim();
}

beforeAll(async () => {
  installProdTools();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'parking-prod-topology-'));
  chmodSync(dataDir, 0o755); // the cluster runs as the postgres user, which must reach its directory
  ports = await freeProdPorts();
  try {
    topology = await startProdServers({ dataDir, ports, durable: false, log: (name) => keep(name), say: (m) => process.stderr.write(`[prod-topology] ${m}\n`) });
    const [apiPort, sandboxPort] = [await freePort(), await freePort()];
    const env = {
      TEMPORAL_ADDRESS: topology.temporalAddress,
      TEMPORAL_NAMESPACE: topology.namespace,
      MONGODB_URI: `${topology.mongoBase}/${DB_NAME}`,
      PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
      // Its own sandbox state: a fresh database allocates session 100 again, and the repo's .data/sandbox may hold
      // an earlier run's paid order 100-1 (the card page then says "Already paid").
      SANDBOX_STATE_DIR: path.join(dataDir, 'sandbox'),
      TEMPORAL_TASK_QUEUE: 'prod-topology-test',
    };
    config = loadConfig(env);
    await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
    await seedDemoData(config);
    apps = await startAppProcesses({ env, apiPort, sandboxPort, withSandbox: true, log: (app) => keep(app) });
    temporal = new Client({ connection: await Connection.connect({ address: topology.temporalAddress }), namespace: topology.namespace });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- last server/app output ---\n${tail.join('\n')}`);
  }
}, 50 * 60_000);

afterAll(async () => {
  await temporal?.connection.close();
  for (const app of apps.reverse()) await app.stop();
  await disconnectDb().catch(() => undefined);
  await topology?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

const session = (id: number) => http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });

test('a card-paid barrier session runs end to end on Temporal/PostgreSQL and FerretDB/PostgreSQL, through the app processes', async () => {
  const s = { api: config.PUBLIC_BASE_URL, config };
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const entry = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } });
  expect(entry.status).toBe(201);
  expect((await gateEvent(s, id, 189, 'entered')).status).toBe(202);
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active', 30_000);

  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(fin.status).toBe(201);
  expect(fin.body).toMatchObject({ currency: 'RON', pay_url: expect.any(String) });
  await payWithCard(fin.body.pay_url, NETOPIA_ACCEPTED);
  const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid', 30_000);
  expect(paid.body.parking_session.paid_via).toBe('card');

  const exit = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
  expect(exit.status).toBe(201);
  expect((await gateEvent(s, id, 189, 'exited')).status).toBe(202);
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed', 30_000);
  expect(await LedgerModel.countDocuments({ sessionId: String(id), kind: 'capture' })).toBe(1);

  // The business search attributes were registered on this server: SQL visibility finds the session by them.
  const found = await eventually(
    async () => {
      const list: string[] = [];
      for await (const wf of temporal.workflow.list({ query: `ParkingSessionId = ${id} AND SessionState = "closed"` })) list.push(wf.workflowId);
      return list;
    },
    (list) => list.length === 1,
    30_000,
  );
  expect(found[0]).toContain(String(id));

  // ... and both stores really are PostgreSQL: Temporal's history and FerretDB's collections.
  expect(Number(await psql('temporal', 'SELECT count(*) FROM history_node'))).toBeGreaterThan(0);
  expect(Number(await psql('temporal_visibility', 'SELECT count(*) FROM executions_visibility'))).toBeGreaterThan(0);
  expect(Number(await psql('ferretdb', `SELECT count(*) FROM information_schema.tables WHERE table_schema = '${DB_NAME}'`))).toBeGreaterThan(0);
}, 240_000);
