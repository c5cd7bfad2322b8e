import { LedgerModel, OperatorModel } from '../../src/db/models';
import { hashPassword } from '../../src/security/password';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
const TOKEN = 'demo-driver-token-0001';
const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;
const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });
const camera = (path: string, body: unknown) => http('POST', `${s.sandboxUrl}/autopay/${path}`, { body });

beforeAll(async () => {
  s = await startStack('autopay');
});
afterAll(() => s?.stop());

async function anprSession(plate: string): Promise<{ id: number; parkingId: string }> {
  await camera('_camera/enter', { area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR', offset_minutes: -390 }); // 6½ h: 7 started hours whatever the second the stop lands on
  const res = await http('POST', `${s.api}/api/car_driver/parking_sessions`, {
    token: TOKEN,
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: plate.toLowerCase(), plate_issuer: 'nor' } },
  });
  expect(res.status).toBe(201);
  expect(res.body.parking_session.state).toBe('active');
  expect(res.body.parking_session.vehicle_reg).toBe(plate);
  const view = await http('GET', `${s.api}/api/ops/sessions/${res.body.parking_session.id}`, { token: s.config.OPS_API_TOKEN });
  return { id: res.body.parking_session.id, parkingId: view.body.session.anpr.autopayParkingId };
}

test('app start → camera exit → Autopay callback → card payment → closed; duplicates change nothing', async () => {
  const { id, parkingId } = await anprSession('AP1001');
  expect(parkingId).toMatch(/^\d+$/);
  await camera('_camera/exit', { vehicle_reg: 'AP1001', wait: true });
  const priced = await eventually(() => session(id), (r) => r.body.parking_session.state === 'exiting');
  // 6½ h: 7 started hours at 30.00 NOK incl. 25 % VAT
  expect(priced.body.parking_session).toMatchObject({ amount: '210.00', currency: 'NOK', payment_status: 'pending' });
  const delivered = (await http('GET', `${s.sandboxUrl}/autopay/_records`)).body;
  expect(JSON.stringify(delivered)).toContain(parkingId);

  // The same callback again (Autopay retries for a week) is acknowledged and changes nothing.
  const dup = await http('POST', `${s.api}/api/providers/autopay/parking-ended`, {
    headers: { authorization: basic(s.config.DEMO_AUTOPAY_CALLBACK_SECRET) },
    body: { parking_id: parkingId, reference: String(id), end_time: '2030-01-01T00:00:00+0000', cost: { currency: 'NOK', vat_percent: 25, net_amount: 8, vat_amount: 2, gross_amount: 10 } },
  });
  expect(dup.status).toBe(200);
  expect((await session(id)).body.parking_session.amount).toBe('210.00');

  const pay = await http('GET', priced.body.parking_session.pay_url);
  await http('POST', pay.location!, { form: { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111', name: 'Demo' } });
  const closed = await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');
  expect(closed.body.parking_session).toMatchObject({ payment_status: 'paid', paid_via: 'card' });
});

test('callback authentication: basic, token and API key per operator; wrong or missing → 401 in Autopay error shape', async () => {
  const { id, parkingId } = await anprSession('AP1002');
  const url = `${s.api}/api/providers/autopay/parking-cancelled`;
  const body = { parking_id: parkingId, reference: String(id) };
  const wrong = await http('POST', url, { headers: { authorization: basic('autopay:wrong-password') }, body });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error_id).toBe('authentication_error');
  expect((await http('POST', url, { body })).status).toBe(401);

  await OperatorModel.updateOne({ id: 'demo-operator' }, { $set: { callbackAuth: { method: 'token', secretHash: await hashPassword('tok-123456789') } } });
  expect((await http('POST', url, { headers: { authorization: 'tok-wrong' }, body })).status).toBe(401);
  await OperatorModel.updateOne({ id: 'demo-operator' }, { $set: { callbackAuth: { method: 'api_key', secretHash: await hashPassword('key-123456789') } } });
  expect((await http('POST', url, { headers: { authorization: 'tok-123456789' }, body })).status).toBe(401);
  const ok = await http('POST', url, { headers: { 'x-api-key': 'key-123456789' }, body });
  expect(ok.status).toBe(200);
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'cancelled');
  await OperatorModel.updateOne({ id: 'demo-operator' }, { $set: { callbackAuth: { method: 'token', secretHash: await hashPassword('tok-123456789') } } });
  expect((await http('POST', url, { headers: { authorization: 'Bearer tok-123456789' }, body })).status).toBe(200);
  await OperatorModel.updateOne(
    { id: 'demo-operator' },
    { $set: { callbackAuth: { method: 'basic', secretHash: await hashPassword(s.config.DEMO_AUTOPAY_CALLBACK_SECRET) } } },
  );
});

test('unknown reference → 404 (stops retries); malformed → 400 in Autopay shape; cost that does not add up → 400', async () => {
  const auth = { authorization: basic(s.config.DEMO_AUTOPAY_CALLBACK_SECRET) };
  const url = `${s.api}/api/providers/autopay/parking-ended`;
  const cost = { currency: 'NOK', vat_percent: 25, net_amount: 8, vat_amount: 2, gross_amount: 10 };
  const unknown = await http('POST', url, { headers: auth, body: { parking_id: '1', reference: '99999999', end_time: '2030-01-01T00:00:00+0000', cost } });
  expect(unknown.status).toBe(404);
  const missing = await http('POST', url, { headers: auth, body: { parking_id: '1', cost } });
  expect(missing.status).toBe(400);
  expect(missing.body.error_id).toBe('missing_property');
  const notJson = await http('POST', url, { headers: { ...auth, 'content-type': 'application/json' }, body: '{nope' });
  expect(notJson.status).toBe(400);
  expect(notJson.body.error_id).toBe('message_not_readable');
  const badSum = await http('POST', url, { headers: auth, body: { parking_id: '1', reference: '1', end_time: '2030-01-01T00:00:00+0000', cost: { ...cost, gross_amount: 11 } } });
  expect(badSum.status).toBe(400);
});

test('camera cancel ends the session without charge; ops manual stop leads to the success callback', async () => {
  const a = await anprSession('AP1003');
  await camera('_cancel', { parking_id: a.parkingId, wait: true });
  const cancelled = await eventually(() => session(a.id), (r) => r.body.parking_session.state === 'cancelled');
  expect(cancelled.body.parking_session.amount).toBeNull();

  const b = await anprSession('AP1004');
  const stop = await http('POST', `${s.api}/api/ops/sessions/${b.id}/manual-stop`, { token: s.config.OPS_API_TOKEN, body: {} });
  expect(stop.status).toBe(202);
  const ended = await eventually(() => session(b.id), (r) => r.body.parking_session.state === 'exiting');
  expect(ended.body.parking_session.amount).toBe('210.00');
  expect((await http('POST', `${s.api}/api/ops/sessions/${b.id}/manual-stop`, { token: s.config.OPS_API_TOKEN, body: {} })).status).toBe(422);
  // The stop that was carried out is in the ledger with who did it; the refused second one is not.
  const opsRows = await LedgerModel.find({ sessionId: String(b.id), kind: 'ops_action' }).lean();
  expect(opsRows.map((r) => r.note)).toEqual([expect.stringMatching(/^manual_stop by \S+: end time \d{4}-/)]);
});
