import { recordLedgerEntry } from '../../activities/ledger';
import type { LedgerEntryInput } from '../../activities/contracts';
import type { DailyReport } from '../../src/domain/report';
import { SessionModel } from '../../src/db/models';
import { easyParkBasicAuthHeader } from '../../src/providers/easypark/inbound';
import { generateParkingTransaction } from '../../src/providers/easypark/sandbox';
import { easyParkWorkflowId } from '../../src/temporal/ids';
import { startStack, type Stack } from '../helpers/stack';

/** The daily report over the whole product on loopback (test/helpers/stack.ts), fed through the real EasyPark flow. */

let s: Stack;
// A day of its own, far from "today", so nothing else in the database lands in it.
const DAY = '2031-03-15';

const get = (query: string, headers: Record<string, string> = { authorization: `Bearer ${s.config.OPS_API_TOKEN}` }) =>
  fetch(`${s.api}/api/ops/reports/daily${query}`, { headers });

const entry = (e: Partial<LedgerEntryInput> & Pick<LedgerEntryInput, 'idempotencyKey' | 'kind' | 'gross' | 'net' | 'vat'>): LedgerEntryInput => ({
  source: 'barrier',
  provider: 'netopia',
  sessionId: null,
  currency: 'RON',
  occurredAt: `${DAY}T10:00:00.000Z`,
  ...e,
});

beforeAll(async () => {
  s = await startStack('api_reports');

  // The real EasyPark flow: webhook → fleetSession workflow → two ledger rows on DAY.
  const tx: Record<string, unknown> = { ...generateParkingTransaction(new Date(`${DAY}T08:00:00Z`)), price: 100, priceExclusiveVatAmount: 80, priceVatAmount: 20, transactionFee: 4.95, transactionFeeExclusiveVatAmount: 3.96, transactionFeeVatAmount: 0.99 };
  const res = await fetch(`${s.api}/api/providers/easypark/parking-transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: easyParkBasicAuthHeader({ username: s.config.DEMO_EASYPARK_USERNAME, password: s.config.DEMO_EASYPARK_PASSWORD }) },
    body: JSON.stringify(tx),
  });
  expect(res.status).toBe(202);
  await s.temporal.workflow.getHandle(easyParkWorkflowId(tx.parkingId as number)).result();

  // Card and Vipps rows as the session workflows write them.
  for (const e of [
    entry({ idempotencyKey: 'attempt-501-1', kind: 'attempt', sessionId: '501', gross: '20.00', net: '16.53', vat: '3.47' }),
    entry({ idempotencyKey: 'capture-501-1', kind: 'capture', sessionId: '501', gross: '20.00', net: '16.53', vat: '3.47' }),
    entry({ idempotencyKey: 'capture-502-1', kind: 'capture', sessionId: '502', gross: '12.10', net: '10.00', vat: '2.10' }),
    entry({ idempotencyKey: 'refund-502-1', kind: 'refund', sessionId: '502', gross: '12.10', net: '10.00', vat: '2.10' }),
    entry({ idempotencyKey: 'decline-504-1', kind: 'decline', sessionId: '504', gross: '5.00', net: '4.13', vat: '0.87' }),
    entry({ idempotencyKey: 'charge-agr-1', kind: 'vipps_charge', source: 'autopay', provider: 'vipps', currency: 'NOK', gross: '150.00', net: '120.00', vat: '30.00' }),
    // The day before and the day after: not in DAY's totals.
    entry({ idempotencyKey: 'capture-600-1', kind: 'capture', sessionId: '600', gross: '99.00', net: '81.82', vat: '17.18', occurredAt: '2031-03-14T23:59:59.999Z' }),
    entry({ idempotencyKey: 'capture-601-1', kind: 'capture', sessionId: '601', gross: '99.00', net: '81.82', vat: '17.18', occurredAt: '2031-03-16T00:00:00.000Z' }),
  ]) {
    await recordLedgerEntry(e);
  }
  // Read-model rows (raw inserts so updatedAt can be DAY): 501 agrees, 502 was refunded, 503 claims a capture nobody booked.
  const session = (sessionId: number, paymentStatus: string, amountGross: string | null, paidVia: string | null, state = 'closed') => ({
    sessionId,
    driverId: 'demo-driver',
    parkingId: 187,
    kind: 'barrier',
    state,
    paymentStatus,
    amountGross,
    currency: 'RON',
    version: 1,
    view: { paidVia },
    createdAt: new Date(`${DAY}T09:00:00Z`),
    updatedAt: new Date(`${DAY}T10:00:00Z`),
  });
  await SessionModel.collection.insertMany([
    session(501, 'paid', '20.00', 'card'),
    session(502, 'paid', '12.10', 'card'),
    session(503, 'paid', '7.00', 'card'),
    session(504, 'declined', '5.00', null, 'exiting'),
  ]);
});

afterAll(() => s?.stop());

test('daily report JSON: totals per source/provider/currency computed by hand, and the reconciliation', async () => {
  const res = await get(`?date=${DAY}`);
  expect(res.status).toBe(200);
  const report = (await res.json()) as DailyReport;
  expect(report.date).toBe(DAY);
  expect(report.groups).toEqual([
    { source: 'autopay', provider: 'vipps', currency: 'NOK', count: 1, gross: '150.00', net: '120.00', vat: '30.00', fees: '0.00', attempts: 0, declines: 0, usages: 0 },
    // captures 20.00 + 12.10, refund -12.10; one attempt, one decline
    { source: 'barrier', provider: 'netopia', currency: 'RON', count: 3, gross: '20.00', net: '16.53', vat: '3.47', fees: '0.00', attempts: 1, declines: 1, usages: 0 },
    // price 100.00 (80.00 + 20.00) and fee 4.95 (3.96 + 0.99)
    { source: 'easypark', provider: 'easypark', currency: 'SEK', count: 2, gross: '104.95', net: '83.96', vat: '20.99', fees: '4.95', attempts: 0, declines: 0, usages: 0 },
  ]);
  expect(report.totalsByCurrency).toEqual([
    { currency: 'NOK', count: 1, gross: '150.00', net: '120.00', vat: '30.00', fees: '0.00' },
    { currency: 'RON', count: 3, gross: '20.00', net: '16.53', vat: '3.47', fees: '0.00' },
    { currency: 'SEK', count: 2, gross: '104.95', net: '83.96', vat: '20.99', fees: '4.95' },
  ]);
  expect(report.unknownKinds).toEqual([]);
  expect(report.reconciliation.sessionsChecked).toBe(4);
  // 502 was refunded by ops: the refund has its own row, which is not a mismatch.
  expect(report.reconciliation.issues.map((i) => [i.sessionId, i.code])).toEqual([[503, 'paid_without_capture']]);
});

test('daily report CSV: a header and one row per group', async () => {
  const res = await get(`?date=${DAY}&format=csv`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  expect((await res.text()).split('\r\n')).toEqual([
    'date,source,provider,currency,count,gross,net,vat,fees,attempts,declines,usages',
    `${DAY},autopay,vipps,NOK,1,150.00,120.00,30.00,0.00,0,0,0`,
    `${DAY},barrier,netopia,RON,3,20.00,16.53,3.47,0.00,1,1,0`,
    `${DAY},easypark,easypark,SEK,2,104.95,83.96,20.99,4.95,0,0,0`,
    '',
    'date,check,session_id,order_id,provider,code,message',
    `${DAY},ledger_vs_session,503,,,paid_without_capture,session is paid by card but the ledger has no capture`,
    '',
  ]);
});

test('a day with nothing is an empty report, not an error', async () => {
  const res = await get('?date=2031-01-01');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ date: '2031-01-01', groups: [], totalsByCurrency: [], unknownKinds: [], reconciliation: { sessionsChecked: 0, issues: [], provider: { ordersChecked: 0, issues: [] } } });
});

test('missing or bad date → 400, bad format → 400, no ops token → 401', async () => {
  for (const q of ['', '?date=', '?date=2031-02-30', '?date=15.03.2031', `?date=${DAY}&format=xml`]) {
    const res = await get(q);
    expect({ q, status: res.status }).toEqual({ q, status: 400 });
  }
  expect((await get(`?date=${DAY}`, {})).status).toBe(401);
  expect((await get(`?date=${DAY}`, { authorization: 'Bearer wrong-token-123' })).status).toBe(401);
});
