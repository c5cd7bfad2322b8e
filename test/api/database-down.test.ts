/**
 * Database stopped: routes answer 503 `unavailable` with Retry-After, never 500 — the Netopia IPN in Netopia's
 * own shape with errorType 1 ("send it again later"). This file runs its own FerretDB, so stopping it does not
 * touch the other test files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { demoGateKey } from '../../src/db/demo-data';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { connectDb, disconnectDb } from '../../src/db/connection';
import { seedDemoData } from '../../src/db/seed';
import { startApi } from '../../src/api/server';
import { freePort, startFerretDb, type RunningServer } from '../../src/platform/local-servers';
import { generateNetopiaKeyPair, signNetopiaIpnToken } from '../../src/providers/netopia/keys';
import { http } from '../helpers/stack';

const DRIVER = 'demo-driver-token-0001';
const keys = generateNetopiaKeyPair();
let ferret: RunningServer;
let dataDir: string;
let api: Awaited<ReturnType<typeof startApi>>;
let config: Config;

beforeAll(async () => {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: the jest global setup did not start Temporal');
  const port = await freePort();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'parking-db-down-'));
  ferret = await startFerretDb({ port, dataDir });
  config = loadConfig({
    PORT: String(await freePort()),
    TEMPORAL_ADDRESS: address,
    MONGODB_URI: `mongodb://127.0.0.1:${port}/db_down`,
    NETOPIA_PUBLIC_KEY_PEM: keys.publicKeyPem,
  });
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  await seedDemoData(config);
  api = await startApi(config);
  expect((await http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver/parking_sessions`, { token: DRIVER })).status).toBe(200);
  await ferret.stop();
});
afterAll(async () => {
  await api?.close();
  await disconnectDb().catch(() => undefined);
  await ferret?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('driver, ops and gate routes answer 503 unavailable with Retry-After', async () => {
  const base = config.PUBLIC_BASE_URL;
  const answers = await Promise.all([
    http('GET', `${base}/api/car_driver/parking_sessions`, { token: DRIVER }),
    http('POST', `${base}/api/car_driver/parking_sessions`, { token: DRIVER, body: { parking_session: { secured_parking_id: 189 } } }),
    http('GET', `${base}/api/car_driver/smart_keys`, { token: DRIVER }),
    http('GET', `${base}/api/ops/sessions`, { token: config.OPS_API_TOKEN }),
    http('GET', `${base}/api/ops/reports/daily?date=2025-01-01`, { token: config.OPS_API_TOKEN }),
    http('POST', `${base}/api/gates/events`, { headers: { 'x-api-key': demoGateKey(config, 189, 'entrance') }, body: { mac_address: '76:86:BB:DE:65:01', access_command: 'a'.repeat(32), event: 'entered' } }),
  ]);
  for (const res of answers) {
    expect([res.status, res.body?.error?.code]).toEqual([503, 'unavailable']);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  }
});

test('a verified Netopia IPN is answered 503 with errorType 1, so Netopia sends it again', async () => {
  const body = JSON.stringify({ order: { orderID: '123-1', ntpID: '1', amount: 0.1, currency: 'RON' }, payment: { status: 3, code: '00', amount: 0.1, currency: 'RON' } });
  const token = signNetopiaIpnToken({ rawBody: body, posSignature: config.NETOPIA_POS_SIGNATURE, privateKeyPem: keys.privateKeyPem });
  const res = await http('POST', `${config.PUBLIC_BASE_URL}/api/providers/netopia/ipn`, { headers: { 'verification-token': token }, body });
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ errorType: 1 });
  expect(res.headers.get('retry-after')).not.toBeNull();
});

test('an Autopay callback is answered 503 in Autopay\'s own error shape, so Autopay retries it', async () => {
  const auth = `Basic ${Buffer.from(config.DEMO_AUTOPAY_CALLBACK_SECRET).toString('base64')}`;
  const res = await http('POST', `${config.PUBLIC_BASE_URL}/api/providers/autopay/parking-ended`, {
    headers: { authorization: auth },
    body: { parking_id: '1', reference: '1', end_time: '2026-01-01T10:00:00+0000', cost: { currency: 'NOK', vat_percent: '25', net_amount: '8.00', vat_amount: '2.00', gross_amount: '10.00' } },
  });
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ error_id: 'internal_server_error' });
  expect(res.headers.get('retry-after')).not.toBeNull();
});
