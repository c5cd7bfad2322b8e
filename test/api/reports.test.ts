import type { DailyReport } from '../../src/domain/report';
import { localDay } from '../../src/domain/calendar';
import { AgreementModel } from '../../src/db/models';
import { createProviderClients } from '../../src/providers/clients';
import { easyParkBasicAuthHeader } from '../../src/providers/easypark/inbound';
import { generateParkingTransaction } from '../../sandbox/easypark/sandbox';
import { easyParkWorkflowId, vippsBillingWorkflowId } from '../../src/temporal/ids';
import { DRIVER_TOKEN, finalizedSession, payWithCard, sessionOf } from '../helpers/card-flow';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

/**
 * The daily report over the whole product on loopback (test/helpers/stack.ts). Every ledger row comes from a real
 * flow: a Netopia card payment with a partial ops refund, a camera parking billed through a Vipps agreement and
 * charged on its due date, and an EasyPark Fleet transaction. Each test file has a database of its own, so today
 * holds exactly these.
 */

let s: Stack;
const TODAY = new Date().toISOString().slice(0, 10); // read in UTC (time_zone=UTC): ledger days are each parking's local day
const PLATE = `RP${String(Date.now()).slice(-5)}`;
const ops = () => ({ authorization: `Bearer ${s.config.OPS_API_TOKEN}` });
const get = (query: string, headers: Record<string, string> = ops()) => fetch(`${s.api}/api/ops/reports/daily${query}`, { headers });
let agreementId = '';
let cardSession = 0;
let vippsSession = 0;
let cardAmount = '';
let vippsAmount = '';

/** A camera parking of the demo driver, handed to Vipps daily billing, charged by "bill now" and Vipps' due date. */
async function vippsBilledParking(): Promise<void> {
  const vipps = createProviderClients(s.config).vipps;
  const draft = await vipps.draftAgreement({
    productName: 'Parking',
    suggestedMaxAmountMinor: 200_000,
    currency: 'NOK',
    merchantRedirectUrl: `${s.api}/vipps/agreement-return`,
    merchantAgreementUrl: `${s.api}/vipps/agreements`,
    idempotencyKey: `report-draft-${process.pid}`,
  });
  agreementId = draft.agreementId;
  await vipps.forceAcceptAgreement(agreementId, '4795550202', `report-accept-${process.pid}`);
  await AgreementModel.create({ agreementId, driverId: 'demo-driver', status: 'ACTIVE', currency: 'NOK', suggestedMaxAmountMinor: 200_000 });

  const enter = await http('POST', `${s.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR', offset_minutes: -90 } });
  expect(enter.status).toBe(201);
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { parking_area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR' } } });
  expect(start.status).toBe(201);
  vippsSession = start.body.parking_session.id;
  expect((await http('POST', `${s.sandboxUrl}/autopay/_camera/exit`, { body: { vehicle_reg: PLATE, wait: true } })).status).toBe(200);
  const billed = await eventually(() => sessionOf(s, vippsSession), (r) => r.body.parking_session.payment_status === 'billed');
  vippsAmount = billed.body.parking_session.amount;

  const billing = `${s.api}/api/ops/vipps/agreements/${agreementId}`;
  await eventually(() => http('GET', billing, { headers: ops() }), (r) => r.status === 200 && r.body.pending.length === 1);
  expect((await http('POST', `${billing}/bill-now`, { headers: ops() })).status).toBe(202);
  await eventually(() => http('GET', billing, { headers: ops() }), (r) => r.body.openCharges[0]?.status === 'CREATED');
  const charge = ((await http('GET', `${s.sandboxUrl}/vipps/_records`)).body.charges as Array<{ agreementId: string; due: string }>).find((c) => c.agreementId === agreementId)!;
  expect((await http('POST', `${s.sandboxUrl}/vipps/_clock/set`, { body: { now: `${charge.due}T08:00:00Z` } })).status).toBe(200);
}

beforeAll(async () => {
  s = await startStack('api_reports');

  // Card: 0.10 RON at parking 189, paid with the accepted Netopia card, 0.04 RON of it refunded by ops.
  const { id, fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  cardSession = id;
  cardAmount = fin.amount;
  await payWithCard(fin.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: String(new Date().getUTCFullYear() + 3), cvv: '111' });
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status === 'paid');
  const refund = await http('POST', `${s.api}/api/ops/sessions/${id}/refunds`, { headers: ops(), body: { amount: '0.04', request_id: `report-${process.pid}`, reason: 'goodwill' } });
  expect(refund.status).toBe(201);

  await vippsBilledParking();

  // EasyPark Fleet: webhook → fleetSession workflow → transaction and fee rows.
  const tx: Record<string, unknown> = { ...generateParkingTransaction(new Date()), price: 100, priceExclusiveVatAmount: 80, priceVatAmount: 20, transactionFee: 4.95, transactionFeeExclusiveVatAmount: 3.96, transactionFeeVatAmount: 0.99 };
  const res = await fetch(`${s.api}/api/providers/easypark/parking-transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: easyParkBasicAuthHeader({ username: s.config.DEMO_EASYPARK_USERNAME, password: s.config.DEMO_EASYPARK_PASSWORD }) },
    body: JSON.stringify(tx),
  });
  expect(res.status).toBe(202);
  await s.temporal.workflow.getHandle(easyParkWorkflowId(tx.parkingId as number)).result();
}, 240_000);

afterAll(async () => {
  // The billing workflow waits for future usage on the shared dev server: end it with this file.
  if (agreementId) await s?.temporal.workflow.getHandle(vippsBillingWorkflowId(agreementId)).terminate('end of test').catch(() => undefined);
  await s?.stop();
});

test('a Vipps-billed session becomes paid when the day\'s charge is CHARGED, in the driver API and the ops filter', async () => {
  const paid = await eventually(() => sessionOf(s, vippsSession), (r) => r.body.parking_session.payment_status === 'paid', 30_000);
  expect(paid.body.parking_session).toMatchObject({ state: 'closed', paid_via: 'vipps' });
  const listed = await http('GET', `${s.api}/api/ops/sessions?payment_status=paid&vipps_agreement_id=${agreementId}`, { headers: ops() });
  expect(listed.status).toBe(200);
  expect(listed.body.sessions.map((v: { sessionId: number; vippsAgreementId: string }) => [v.sessionId, v.vippsAgreementId])).toEqual([[vippsSession, agreementId]]);
});

test('daily report: parkings and transactions apart, the refund as a refund, the usage counted, nothing to reconcile', async () => {
  await eventually(() => sessionOf(s, vippsSession), (r) => r.body.parking_session.payment_status === 'paid', 30_000);
  const res = await get(`?date=${TODAY}&time_zone=UTC`);
  expect(res.status).toBe(200);
  const report = (await res.json()) as DailyReport;
  const refundedGross = (Number(cardAmount) - 0.04).toFixed(2);
  expect(report.groups).toEqual([
    // The camera parking: its usage is handed to Vipps billing (no money here: the charge is the money).
    { source: 'autopay', provider: 'vipps', currency: 'NOK', parkings: 1, transactions: 0, gross: '0.00', net: '0.00', vat: '0.00', fees: '0.00', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 1 },
    // One card payment, less the 0.04 refund: one parking, two money movements.
    expect.objectContaining({ source: 'barrier', provider: 'netopia', currency: 'RON', parkings: 1, transactions: 2, gross: refundedGross, fees: '0.00', refunds: 1, refunded: '0.04', attempts: 1, declines: 0, usages: 0 }),
    // price 100.00 (80.00 + 20.00) and fee 4.95 (3.96 + 0.99): one transaction.
    { source: 'easypark', provider: 'easypark', currency: 'SEK', parkings: 1, transactions: 1, gross: '104.95', net: '83.96', vat: '20.99', fees: '4.95', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 0 },
    // The day's Vipps charge: the money for the camera parking.
    { source: 'vipps', provider: 'vipps', currency: 'NOK', parkings: 0, transactions: 1, gross: vippsAmount, net: expect.any(String), vat: expect.any(String), fees: '0.00', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 0 },
  ]);
  expect(report.totalsByCurrency.map((t) => [t.currency, t.parkings, t.transactions, t.gross])).toEqual([
    ['NOK', 1, 1, vippsAmount],
    ['RON', 1, 2, refundedGross],
    ['SEK', 1, 1, '104.95'],
  ]);
  expect(report.unknownKinds).toEqual([]);
  // A normal partial refund is not an amount mismatch, for the ledger nor for the provider.
  expect(report.reconciliation.issues).toEqual([]);
  expect(report.reconciliation.provider.issues).toEqual([]);
  expect(report.reconciliation.provider.ordersChecked).toBeGreaterThanOrEqual(1);
  expect(report.reconciliation.sessionsChecked).toBeGreaterThanOrEqual(2);
  // The partly refunded session stays paid.
  expect((await sessionOf(s, cardSession)).body.parking_session.payment_status).toBe('paid');
});

test('daily report CSV: a header naming every column and one row per group', async () => {
  const res = await get(`?date=${TODAY}&time_zone=UTC&format=csv`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  const lines = (await res.text()).split('\r\n');
  expect(lines[0]).toBe('date,source,provider,currency,parkings,transactions,gross,net,vat,fees,refunds,refunded,attempts,declines,usages');
  expect(lines[3]).toBe(`${TODAY},easypark,easypark,SEK,1,1,104.95,83.96,20.99,4.95,0,0.00,0,0,0`);
  expect(lines.slice(5)).toEqual(['', 'date,check,session_id,order_id,provider,code,message', '']);
});

test('without a date: today in the parking\'s time zone', async () => {
  const oslo = (await (await get('?parking_id=190')).json()) as DailyReport;
  expect(oslo.date).toBe(localDay(Date.now(), 'Europe/Oslo'));
  const ny = (await (await get('?parking_id=188')).json()) as DailyReport;
  expect(ny.date).toBe(localDay(Date.now(), 'America/New_York'));
  expect((await get('?parking_id=999999')).status).toBe(404);
});

test('/ops/report: the same day as a page, with a chart per source and provider', async () => {
  const res = await fetch(`${s.api}/ops/report?date=${TODAY}&time_zone=UTC`, { headers: ops() });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html.match(/<svg /g)).toHaveLength(4);
  expect(html).toContain('easypark · easypark · SEK');
  expect(html).toContain('Nothing to explain.');
  expect((await fetch(`${s.api}/ops/report?date=${TODAY}`)).status).toBe(401);
});

test('a day with nothing is an empty report, not an error', async () => {
  const res = await get('?date=2031-01-01');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ date: '2031-01-01', groups: [], totalsByCurrency: [], unknownKinds: [], reconciliation: { sessionsChecked: 0, issues: [], provider: { ordersChecked: 0, issues: [] } } });
});

test('bad date, bad format or unknown parameter → 400, no ops token → 401', async () => {
  for (const q of ['?date=', '?date=2031-02-30', '?date=15.03.2031', `?date=${TODAY}&format=xml`, '?day=2031-01-01']) {
    const res = await get(q);
    expect({ q, status: res.status }).toEqual({ q, status: 400 });
  }
  expect((await get(`?date=${TODAY}`, {})).status).toBe(401);
  expect((await get(`?date=${TODAY}`, { authorization: 'Bearer wrong-token-123' })).status).toBe(401);
});
