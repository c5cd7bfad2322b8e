import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { pingDb } from '../../src/db/connection';
import { createLogger, rootLogger, setRootLogger } from '../../src/observability/logger';
import { LedgerModel, WebhookInboxModel } from '../../src/db/models';
import { createProviderClients, netopiaPublicKeyResolver } from '../../src/providers/clients';
import { easyParkBasicAuthHeader } from '../../src/providers/easypark/inbound';
import { generateParkingTransaction } from '../../sandbox/easypark/sandbox';
import { EASYPARK_SAMPLE_TRANSACTION } from '../../src/providers/easypark/wire';
import { pingTemporal } from '../../src/temporal/connection';
import { easyParkWorkflowId } from '../../src/temporal/ids';
import { startStack, type Stack } from '../helpers/stack';

/**
 * The EasyPark webhook against the whole product on loopback (test/helpers/stack.ts): the API, a worker with
 * every workflow and activity on this file's own task queue, the provider sandboxes, FerretDB and the dev server.
 */

let s: Stack;
let auth = '';
const path = '/api/providers/easypark/parking-transactions';

/** A second copy of the app whose Temporal client points at a dead address: the 503 case. */
async function listenDown(temporal: Client): Promise<{ server: Server; base: string }> {
  const providers = createProviderClients(s.config);
  const app = createApp({
    config: s.config,
    temporal,
    cardProviders: providers.cardProviders,
    netopiaPublicKeyPem: netopiaPublicKeyResolver(s.config),
    vipps: providers.vipps,
    ready: async () => ({ temporal: await pingTemporal(temporal), database: await pingDb() }),
  });
  const srv = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => srv.once('listening', resolve));
  return { server: srv, base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` };
}

function post(body: unknown, headers: Record<string, string> = { authorization: auth }, at = s.api) {
  return fetch(`${at}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const ledgerRows = (parkingId: number | string) => LedgerModel.find({ sessionId: `easypark-${parkingId}` }).sort({ kind: 1 }).lean();
const finished = (parkingId: number | string) => s.temporal.workflow.getHandle(easyParkWorkflowId(parkingId)).result();

beforeAll(async () => {
  s = await startStack('api_easypark');
  auth = easyParkBasicAuthHeader({ username: s.config.DEMO_EASYPARK_USERNAME, password: s.config.DEMO_EASYPARK_PASSWORD });
});
afterAll(() => s?.stop());

// The seed's sample, field for field, except the parkingId: workflow ids are global on the dev server every test
// file shares, and other suites (e2e, the sandbox's default /_send) send the sample as is.
const sampleId = 2791368361 + (process.pid % 100_000) * 10_000_000 + (Date.now() % 10_000_000);
const SAMPLE = { ...EASYPARK_SAMPLE_TRANSACTION, parkingId: sampleId };

test("the seed's sample is accepted and booked; the same again is 409 and changes nothing", async () => {
  const res = await post(SAMPLE);
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ status: 'accepted', parkingId: sampleId });
  await finished(sampleId);
  const rows = await ledgerRows(sampleId);
  expect(rows.map((r) => [r.kind, r.gross, r.net, r.vat, r.fee, r.currency])).toEqual([
    ['fleet_fee', '4.95', '3.96', '0.99', '0.00', 'SEK'],
    ['fleet_transaction', '22.45', '17.96', '4.49', '4.95', 'SEK'],
  ]);

  const again = await post(SAMPLE);
  expect(again.status).toBe(409);
  expect(((await again.json()) as { error: { code: string } }).error.code).toBe('duplicate_transaction');
  expect(await ledgerRows(sampleId)).toHaveLength(2);
  expect(await WebhookInboxModel.countDocuments({ dedupKey: `easypark:${sampleId}` })).toBe(1);
});

test('a crash between the workflow start and the inbox write still answers 409 (workflow id) and heals the inbox', async () => {
  await WebhookInboxModel.deleteOne({ dedupKey: `easypark:${sampleId}` });
  const res = await post(SAMPLE);
  expect(res.status).toBe(409);
  expect(await WebhookInboxModel.countDocuments({ dedupKey: `easypark:${sampleId}` })).toBe(1);
  expect(await ledgerRows(sampleId)).toHaveLength(2);
});

test('20 concurrent copies of one new transaction: exactly one 2xx, 19 × 409, one pair of ledger rows', async () => {
  const tx = generateParkingTransaction();
  const statuses = await Promise.all(Array.from({ length: 20 }, () => post(tx).then((r) => r.status)));
  expect(statuses.filter((s) => s >= 200 && s < 300)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  await finished(tx.parkingId as number);
  const rows = await ledgerRows(tx.parkingId as number);
  expect(rows.map((r) => r.idempotencyKey).sort()).toEqual([`easypark-${String(tx.parkingId)}-fee`, `easypark-${String(tx.parkingId)}-price`]);
  expect(rows.find((r) => r.kind === 'fleet_transaction')?.gross).toBe((tx.price as number).toFixed(2));
  expect(await WebhookInboxModel.countDocuments({ dedupKey: `easypark:${String(tx.parkingId)}` })).toBe(1);
});

test('wrong password, unknown user and no credentials are 401 with a Basic challenge, and start nothing', async () => {
  const tx = generateParkingTransaction();
  const attempts: Array<Record<string, string>> = [
    { authorization: easyParkBasicAuthHeader({ username: s.config.DEMO_EASYPARK_USERNAME, password: 'wrong-password' }) },
    { authorization: easyParkBasicAuthHeader({ username: 'nobody', password: s.config.DEMO_EASYPARK_PASSWORD }) },
    { authorization: 'Bearer something' },
    {},
  ];
  for (const headers of attempts) {
    const res = await post(tx, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  }
  await expect(s.temporal.workflow.getHandle(easyParkWorkflowId(tx.parkingId as number)).describe()).rejects.toThrow();
});

test('each missing field is a 400 naming that field, logged loudly', async () => {
  // The API's log lines, captured: a warning per rejected transaction, naming the missing field.
  const lines: Array<{ level: string; fields?: string[]; msg: string }> = [];
  const before = rootLogger();
  setRootLogger(createLogger({ level: 'warn', pretty: false, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } }));
  try {
    for (const field of Object.keys(EASYPARK_SAMPLE_TRANSACTION)) {
      const tx: Record<string, unknown> = generateParkingTransaction();
      delete tx[field];
      const res = await post(tx);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      const body = (await res.json()) as { error: { details: Array<{ field: string; message: string }> } };
      expect(body.error.details).toEqual([{ field, message: `${field} is required` }]);
      const rejected = lines.filter((l) => l.msg.startsWith('REJECTED parkingTransaction'));
      expect(rejected.at(-1)).toMatchObject({ level: 'warn', fields: [field] });
    }
    expect(lines.filter((l) => l.msg.startsWith('REJECTED parkingTransaction'))).toHaveLength(Object.keys(EASYPARK_SAMPLE_TRANSACTION).length);
  } finally {
    setRootLogger(before);
  }
});

test("amounts that don't add up are a 400 naming the total", async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    const tx = { ...generateParkingTransaction(), price: 22.45, priceVatAmount: 4.49, priceExclusiveVatAmount: 17.95 };
    const res = await post(tx);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: Array<{ field: string; message: string }> } };
    expect(body.error.details).toEqual([{ field: 'price', message: 'price 22.45 must equal priceExclusiveVatAmount 17.95 + priceVatAmount 4.49 = 22.44' }]);
  } finally {
    warn.mockRestore();
  }
});

test('Temporal unreachable → 503 so EasyPark retries, and nothing is recorded', async () => {
  const closed = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  // No retry interceptor: fail at once instead of backing off for ~20 s.
  const downConnection = Connection.lazy({ address: `127.0.0.1:${closed}`, interceptors: [] });
  const down = await listenDown(new Client({ connection: downConnection }));
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const tx = generateParkingTransaction();
    const res = await post(tx, { authorization: auth }, down.base);
    expect(res.status).toBe(503);
    expect(await WebhookInboxModel.countDocuments({ dedupKey: `easypark:${String(tx.parkingId)}` })).toBe(0);
    // EasyPark's retry once Temporal is back is accepted: the 503 lost nothing.
    const retry = await post(tx);
    expect(retry.status).toBe(202);
    await finished(tx.parkingId as number);
    expect(await ledgerRows(tx.parkingId as number)).toHaveLength(2);
  } finally {
    errors.mockRestore();
    await new Promise((resolve) => down.server.close(resolve));
    await downConnection.close().catch(() => undefined);
  }
});
