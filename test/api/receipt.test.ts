/**
 * GET /api/car_driver/parking_sessions/:id/receipt over real HTTP: refused with the state until the money is
 * settled, the owner's only, and the same numbers as the session once paid. Also the pay link of a session that
 * ended without paying: an HTML page, never a provider page or a JSON error.
 */
import { issueDriverToken } from '../../src/db/credentials';
import { DRIVER_TOKEN, finalizedSession, payWithCard, sessionOf } from '../helpers/card-flow';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
const receiptOf = (id: number, token = DRIVER_TOKEN) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}/receipt`, { token });

beforeAll(async () => {
  s = await startStack('receipt', { APP_DEEP_LINK_BASE: 'exampleapp://parking/' });
});
afterAll(() => s?.stop());

test('no receipt before payment (422 naming the state); the receipt after it matches the session', async () => {
  const { id, fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  const early = await receiptOf(id);
  expect(early.status).toBe(422);
  const before = (await sessionOf(s, id)).body.parking_session;
  expect(before.payment_status).not.toBe('paid');
  expect(early.body.error).toMatchObject({ code: 'receipt_not_available', details: { state: 'exiting', payment_status: before.payment_status } });
  expect(early.body.error.message).toMatch(/not paid/);

  const unauthenticated = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}/receipt`);
  expect(unauthenticated.status).toBe(401);
  const { token: otherDriver } = await issueDriverToken(`receipt-other-${Date.now()}`, 'test', 1);
  expect((await receiptOf(id, otherDriver)).status).toBe(404);

  await payWithCard(fin.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  const paid = await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status === 'paid');
  const res = await receiptOf(id);
  expect(res.status).toBe(200);
  const r = res.body.receipt;
  expect(r).toMatchObject({
    parking_session_id: id,
    payment_status: 'paid',
    paid_via: 'card',
    parking: { id: 189, name: 'Fast demo parking', time_zone: 'Europe/Bucharest' },
    net: '0.08',
    vat_percent: '21',
    vat: '0.02',
    gross: paid.body.parking_session.amount,
    currency: 'RON',
    provider: 'netopia',
    app_url: `exampleapp://parking/${id}`,
  });
  expect(r.provider_reference).toEqual(expect.any(String));
  expect(r.order_id).toEqual(expect.any(String));
  expect(r.entry_time).toBe(paid.body.parking_session.start_time);
  expect(Date.parse(r.exit_time)).toBeGreaterThanOrEqual(Date.parse(r.entry_time));
  expect(r.duration_minutes).toBe(Math.floor((Date.parse(r.exit_time) - Date.parse(r.entry_time)) / 60_000));
});

test('the pay link of a cancelled session shows "Nothing to pay" as HTML; its receipt is refused with the state', async () => {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  const id: number = start.body.parking_session.id;
  const cancelled = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/cancel`, { token: DRIVER_TOKEN });
  expect(cancelled.body.parking_session.state).toBe('cancelled');
  // The pay page opened with the driver's own token (the WebView's other way in) after the cancel.
  const page = await http('GET', `${s.api}/api/payment/pay/${id}`, { token: DRIVER_TOKEN });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.text).toContain('<h1>Nothing to pay</h1>');
  expect(page.text).toContain('This parking session is cancelled');
  expect(page.text).toContain(`href="exampleapp://parking/${id}"`);
  const receipt = await receiptOf(id);
  expect(receipt.status).toBe(422);
  expect(receipt.body.error.details).toEqual({ state: 'cancelled', payment_status: 'none' });
});
