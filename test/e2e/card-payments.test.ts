import { LedgerModel } from '../../src/db/models';
import { generateNetopiaKeyPair, signNetopiaIpnToken } from '../../src/providers/netopia/keys';
import { finalizedSession as finalizedSessionOf, payWithCard } from '../helpers/card-flow';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';
import { withoutGrace } from '../helpers/demo-parking';

let s: Stack;
const TOKEN = 'demo-driver-token-0001';
const keys = generateNetopiaKeyPair();
const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });

beforeAll(async () => {
  s = await startStack('cards', {}, { netopiaKeyPair: keys });
});
afterAll(() => s?.stop());

const finalizedSession = (parkingId: number, entranceMac: string) => finalizedSessionOf(s, parkingId, entranceMac);

test('Netopia: expired card declined, the next finalize gives a fresh attempt for the same amount, then paid once, exit, closed', async () => {
  const { id, fin } = await finalizedSession(189, '76:86:BB:DE:65:01');
  expect(fin.amount).toBe('0.10');

  const back = await payWithCard(fin.pay_url, { card_number: '9900541631437790', exp_month: '12', exp_year: '2030', cvv: '111' });
  const declined = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'declined');
  expect(declined.body.parking_session.state).toBe('exiting');
  expect(declined.body.parking_session.last_payment_error).toMatch(/expired/i);
  const resultPage = await eventually(() => http('GET', back), (r) => /not completed/.test(r.text));
  expect(resultPage.text).toMatch(/expired/i);
  expect(resultPage.text).toContain('Try again');

  const again = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(again.body.amount).toBe(fin.amount);
  await payWithCard(again.body.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
  expect(paid.body.parking_session.paid_via).toBe('card');

  // The pay page, finalize and a replayed IPN never charge again.
  const payAgain = await http('GET', fin.pay_url);
  expect(payAgain.status).toBe(303);
  expect(payAgain.location).toContain(`/api/payment/return/${id}`);
  const refinalized = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(refinalized.status).toBe(201); // idempotent: same amount, nothing owed, the exit key
  expect(refinalized.body).toMatchObject({ amount: fin.amount, currency: 'RON', pay_url: null });
  expect(refinalized.body.smart_key.access_command).toBe(again.body.smart_key.access_command);
  const charges = s.sandbox.netopia.charges().filter((c) => c.orderId.startsWith(`${id}-`));
  expect(charges.filter((c) => c.approved)).toHaveLength(1);
  const body = JSON.stringify({ order: { orderID: `${id}-2`, ntpID: charges.find((c) => c.approved)!.ntpId, amount: 0.1, currency: 'RON' }, payment: { status: 3, code: '00', message: 'Approved', amount: 0.1, currency: 'RON' } });
  const token = signNetopiaIpnToken({ rawBody: body, posSignature: s.config.NETOPIA_POS_SIGNATURE, privateKeyPem: keys.privateKeyPem });
  const replay = await http('POST', `${s.api}/api/providers/netopia/ipn`, { headers: { 'verification-token': token }, body });
  expect(replay.status).toBe(200);
  expect(replay.body).toEqual({ errorType: 0, errorCode: null, errorMessage: '' });
  await new Promise((r) => setTimeout(r, 300));
  expect(await LedgerModel.countDocuments({ sessionId: String(id), kind: 'capture' })).toBe(1);
  expect(await LedgerModel.countDocuments({ sessionId: String(id), kind: 'decline' })).toBe(1);
  const capture = await LedgerModel.findOne({ sessionId: String(id), kind: 'capture' }).lean();
  expect(capture).toMatchObject({ gross: '0.10', currency: 'RON', provider: 'netopia' });
  expect(JSON.stringify(await LedgerModel.find({}).lean())).not.toMatch(/99000048102250|9900541631437790/);

  const exit = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
  expect(exit.status).toBe(201);
  expect((await gateEvent(s, id, 189, 'exited')).status).toBe(202);
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');
});

test('Netopia IPN: a forged, tampered or unsigned notification is rejected and changes nothing', async () => {
  const { id } = await finalizedSession(189, '76:86:BB:DE:65:01');
  const body = JSON.stringify({ order: { orderID: `${id}-1`, ntpID: '1', amount: 0.1, currency: 'RON' }, payment: { status: 3, code: '00', amount: 0.1, currency: 'RON' } });
  const forger = generateNetopiaKeyPair();
  const forged = signNetopiaIpnToken({ rawBody: body, posSignature: s.config.NETOPIA_POS_SIGNATURE, privateKeyPem: forger.privateKeyPem });
  const honest = signNetopiaIpnToken({ rawBody: body, posSignature: s.config.NETOPIA_POS_SIGNATURE, privateKeyPem: keys.privateKeyPem });
  for (const [headers, raw] of [
    [{ 'verification-token': forged }, body],
    [{ 'verification-token': honest }, body.replace('0.1', '0.01')],
    [{}, body],
  ] as const) {
    const res = await http('POST', `${s.api}/api/providers/netopia/ipn`, { headers, body: raw });
    expect(res.status).toBe(401);
    expect(res.body.errorType).toBe(2);
  }
  expect((await session(id)).body.parking_session.payment_status).toBe('pending');
});

test('EPX: the seed card pays after server-to-server confirmation; a forged browser redirect does not', async () => {
  // Tariffs are read at finalize: without the grace period the short test stay costs one interval.
  await withoutGrace(188);
  const { id, fin } = await finalizedSession(188, '76:86:BB:DE:64:01');
  expect(fin.currency).toBe('USD');
  expect(fin.amount).toBe('2.50');
  const pay = await http('GET', fin.pay_url);
  const tac = new URL(pay.location!).searchParams.get('TAC');
  expect(tac).toBeTruthy();
  const orderId = `${id}-1`;
  const forged = await http('GET', `${s.api}/api/providers/epx/response?AUTH_RESP=00&AUTH_RESP_TEXT=APPROVAL&TRAN_NBR=${orderId}&AMOUNT=${fin.amount}`);
  expect(forged.status).toBe(303);
  await new Promise((r) => setTimeout(r, 300));
  expect((await session(id)).body.parking_session.payment_status).toBe('pending');

  const form = await http('POST', pay.location!.split('?')[0], { form: { TAC: tac!, card_number: '4000000000000002', exp_month: '12', exp_year: '2025', cvv: '', name: 'Demo' } });
  expect([302, 303]).toContain(form.status);
  expect(form.location).toContain('/api/providers/epx/response');
  const confirmed = await http('GET', form.location!);
  expect(confirmed.status).toBe(303);
  await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
});

test('ops refund: partial, over-refund refused, the same request id refunds once', async () => {
  const { id, fin } = await finalizedSession(189, '76:86:BB:DE:65:01');
  await payWithCard(fin.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
  await eventually(() => LedgerModel.countDocuments({ sessionId: String(id), kind: 'capture' }), (n) => n === 1);
  const ops = { token: s.config.OPS_API_TOKEN };
  const url = `${s.api}/api/ops/sessions/${id}/refunds`;
  expect((await http('POST', url, { body: { amount: '0.05', request_id: 'r1' } })).status).toBe(401);
  expect((await http('POST', url, { ...ops, body: { amount: '0.055', request_id: 'r1' } })).status).toBe(400);
  const first = await http('POST', url, { ...ops, body: { amount: '0.05', request_id: 'r1' } });
  expect(first.status).toBe(201);
  expect(first.body.refund).toMatchObject({ amount: '0.05', currency: 'RON' });
  const repeat = await http('POST', url, { ...ops, body: { amount: '0.05', request_id: 'r1' } });
  expect(repeat.body.refund.refundRef).toBe(first.body.refund.refundRef);
  const over = await http('POST', url, { ...ops, body: { amount: '0.06', request_id: 'r2' } });
  expect(over.status).toBe(422);
  expect(over.body.errors[0]).toMatch(/exceeds the refundable 0.05/);
  const refunds = await LedgerModel.find({ sessionId: String(id), kind: 'refund' }).lean();
  expect(refunds.map((r) => r.gross)).toEqual(['0.05']);
  expect(s.sandbox.netopia.refunds().filter((r) => r.orderId === `${id}-1`)).toHaveLength(1);
});
