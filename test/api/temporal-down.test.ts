/**
 * Temporal stopped: every route that needs it answers 503 `unavailable` with Retry-After within 5 s, and
 * a session whose workflow could not start leaves no visible row. This file runs its own Temporal dev
 * server, so stopping it does not touch the other test files.
 */
import { loadConfig, type Config } from '../../src/config';
import { demoGateKey } from '../../src/db/demo-data';
import { SessionModel } from '../../src/db/models';
import { seedDemoData } from '../../src/db/seed';
import { startApi } from '../../src/api/server';
import { freePort, startTemporalDev, type RunningServer } from '../../src/platform/local-servers';
import { connectTestDb, dropTestDb } from '../helpers/db';
import { http } from '../helpers/stack';

const DRIVER = 'demo-driver-token-0001';
let temporalServer: RunningServer;
let api: Awaited<ReturnType<typeof startApi>>;
let config: Config;

beforeAll(async () => {
  const port = await freePort();
  temporalServer = await startTemporalDev({ port, uiPort: null, dbFile: null });
  const mongoUri = await connectTestDb('temporal_down');
  config = loadConfig({ PORT: String(await freePort()), TEMPORAL_ADDRESS: `127.0.0.1:${port}`, MONGODB_URI: mongoUri });
  await seedDemoData(config);
  api = await startApi(config);
  await temporalServer.stop();
});
afterAll(async () => {
  await api?.close();
  await temporalServer?.stop();
  await dropTestDb();
});

const MAC = '76:86:BB:DE:65:01';
const FINALIZE = { parking_session: { secured_parking_id: 189 } };

test('every driver route that needs Temporal answers 503 unavailable with Retry-After within 5 s', async () => {
  const driver = (method: string, path: string, body?: unknown) =>
    http(method, `${config.PUBLIC_BASE_URL}/api/car_driver${path}`, { token: DRIVER, body, timeoutMs: 5000 }).then((res) => ({ route: `${method} ${path}`, res }));
  const answers = await Promise.all([
    driver('POST', '/parking_sessions', { parking_session: { secured_parking_id: 189 } }),
    driver('GET', '/parking_sessions/424242'),
    driver('POST', '/parking_sessions/424242/access_attempts', { direction: 'entrance', mac_address: MAC }),
    driver('PUT', '/parking_sessions/424242/finalize', FINALIZE),
    driver('PATCH', '/parking_sessions/424242/finalize', FINALIZE),
    driver('POST', '/parking_sessions/424242/cancel'),
  ]);
  for (const { route, res } of answers) {
    expect({ route, status: res.status, code: res.body?.error?.code }).toEqual({ route, status: 503, code: 'unavailable' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  }
});

test('the driver lists come from the read model and still answer', async () => {
  for (const path of ['/parking_sessions', '/smart_keys']) {
    const res = await http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver${path}`, { token: DRIVER, timeoutMs: 5000 });
    expect(res.status).toBe(200);
  }
});

test('ops and gate routes that need Temporal answer 503 too', async () => {
  const ops = { token: config.OPS_API_TOKEN, timeoutMs: 5000 };
  const answers = await Promise.all([
    http('GET', `${config.PUBLIC_BASE_URL}/api/ops/sessions/424242`, ops),
    http('POST', `${config.PUBLIC_BASE_URL}/api/ops/sessions/424242/cancel`, ops),
    http('POST', `${config.PUBLIC_BASE_URL}/api/ops/sessions/424242/refunds`, { ...ops, body: { amount: '0.05', request_id: 'r1' } }),
    http('POST', `${config.PUBLIC_BASE_URL}/api/gates/events`, { headers: { 'x-api-key': demoGateKey(config, 189, 'entrance') }, body: { parking_session_id: 424242, event: 'entered', mac_address: '76:86:BB:DE:65:01' }, timeoutMs: 5000 }),
  ]);
  expect(answers.map((a) => [a.status, a.body?.error?.code])).toEqual(Array(4).fill([503, 'unavailable']));
});

test('a session whose workflow could not start is never shown: not to the driver, not in the ops list', async () => {
  const start = await http('POST', `${config.PUBLIC_BASE_URL}/api/car_driver/parking_sessions`, { token: DRIVER, body: { parking_session: { secured_parking_id: 189 } } });
  expect(start.status).toBe(503);
  const rows = await SessionModel.find({ kind: 'barrier' }).lean();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.state === 'abandoned' && r.view === null)).toBe(true);
  const list = await http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver/parking_sessions`, { token: DRIVER });
  expect(list.body.parking_sessions).toEqual([]);
  const opsList = await http('GET', `${config.PUBLIC_BASE_URL}/api/ops/sessions`, { token: config.OPS_API_TOKEN });
  expect(opsList.status).toBe(200);
  expect(opsList.body.sessions).not.toContain(null);
  const smartKeys = await http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver/smart_keys`, { token: DRIVER });
  expect(smartKeys.body.smart_keys).toEqual([]);
});
