import { AccessTokenModel, SessionModel } from '../../src/db/models';
import { sha256Hex } from '../../src/security/constant-time';
import { demoGateKey } from '../../src/db/demo-data';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
const TOKEN = 'demo-driver-token-0001';
const OTHER = 'other-driver-token-0002';
const gate = (id: number, event: 'entered' | 'exited', parkingId = 187) => gateEvent(s, id, parkingId, event);

beforeAll(async () => {
  s = await startStack('car_driver');
  await AccessTokenModel.create({ tokenHash: sha256Hex(OTHER), driverId: 'other-driver' });
});
afterAll(() => s?.stop());

async function startSession(parkingId = 187, token = TOKEN): Promise<number> {
  const res = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token, body: { parking_session: { secured_parking_id: parkingId } } });
  expect(res.status).toBe(201);
  return res.body.parking_session.id;
}

async function enter(id: number) {
  const attempt = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, {
    token: TOKEN,
    body: { direction: 'entrance', mac_address: '76:86:BB:DE:63:AD' },
  });
  expect(attempt.status).toBe(201);
  expect((await gate(id, 'entered')).status).toBe(202);
  await eventually(() => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN }), (r) => r.body.parking_session.state === 'active');
}

test('every car-driver endpoint wants a valid Bearer token', async () => {
  expect((await http('GET', `${s.api}/api/car_driver/parking_sessions`)).status).toBe(401);
  const bad = await http('PUT', `${s.api}/api/car_driver/parking_sessions/1/finalize`, { token: 'nope-nope-nope', body: { parking_session: { secured_parking_id: 187 } } });
  expect(bad.status).toBe(401);
  expect(bad.body.error.code).toBe('unauthorized');
});

test('start a session: 201 with the session and its entrance smart key', async () => {
  const res = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } });
  expect(res.status).toBe(201);
  expect(res.body.parking_session).toMatchObject({ type: 'pay_per_use', state: 'entering', entrance_remaining_tries: 3, exit_remaining_tries: 0 });
  expect(res.body.smart_key).toMatchObject({
    secured_parking_id: 187,
    name: 'Secured P 1',
    type: 'session_access',
    is_active: true,
    is_online: false,
    access_points: [{ access_point: { mac_address: '76:86:BB:DE:63:AD', direction: 'entrance', name: 'Entrance' } }],
  });
  expect(res.body.smart_key.access_command).toMatch(/^[0-9a-f]{32}$/);
  expect((await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: {} })).status).toBe(400);
  expect((await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: 999 } } })).status).toBe(404);
  expect((await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: '{"parking_session":' })).body.error.code).toBe('invalid_json');
});

test('finalize: the seed contract, its error statuses, and no second price', async () => {
  const id = await startSession();
  const url = `${s.api}/api/car_driver/parking_sessions/${id}/finalize`;
  expect((await http('PUT', url, { token: TOKEN, body: {} })).status).toBe(400);
  expect((await http('PUT', url, { token: TOKEN, body: { parking_session: {} } })).status).toBe(400);
  expect((await http('PUT', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 999 } } })).status).toBe(404);
  expect((await http('PUT', `${s.api}/api/car_driver/parking_sessions/987654/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } })).status).toBe(404);
  expect((await http('PUT', url, { token: OTHER, body: { parking_session: { secured_parking_id: 187 } } })).status).toBe(404);
  const early = await http('PUT', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } });
  expect(early.status).toBe(422);
  expect(early.body.errors[0]).toMatch(/not been entered/);

  await enter(id);
  const mismatch = await http('PATCH', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 188 } } });
  expect(mismatch.status).toBe(422);
  expect(mismatch.body.errors[0]).toMatch(/belongs to parking 187/);

  const res = await http('PUT', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } });
  expect(res.status).toBe(201);
  expect(Object.keys(res.body).sort()).toEqual(['amount', 'currency', 'parking_session', 'pay_url', 'smart_key']);
  expect(Object.keys(res.body.parking_session).sort()).toEqual(
    ['end_time', 'entrance_remaining_tries', 'exit_remaining_tries', 'id', 'start_time', 'state', 'type'].sort(),
  );
  expect(Object.keys(res.body.smart_key).sort()).toEqual(
    ['access_command', 'access_points', 'description', 'end_time', 'id', 'is_active', 'is_online', 'name', 'secured_parking_id', 'start_time', 'type'].sort(),
  );
  expect(res.body.amount).toBe('0.00'); // within the 15 free minutes
  expect(res.body.currency).toBe('RON');
  expect(res.body.parking_session).toMatchObject({ id, type: 'pay_per_use', state: 'exiting', exit_remaining_tries: 3 });
  expect(res.body.parking_session.start_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
  expect(res.body.pay_url).toBeNull(); // nothing to pay: no pay page
  expect(res.body.smart_key.access_points[0].access_point.mac_address).toBe('76:86:BB:DE:63:AE');
  // a retried finalize (flaky network) of a paid (free) stay: the same 201 body, nothing priced twice
  const again = await http('PUT', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } });
  expect(again.status).toBe(201);
  expect(again.body).toEqual(res.body);
});

test('finalize twice while unpaid returns the same amount and a usable pay_url', async () => {
  const id = await startSession(189);
  const res0 = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } });
  expect(res0.status).toBe(201);
  // the gate reports by MAC address and the access command the car presented
  const gateEvent = await http('POST', `${s.api}/api/gates/events`, {
    headers: { 'x-api-key': demoGateKey(s.config, 189, 'entrance') },
    body: { mac_address: '76:86:BB:DE:65:01', access_command: res0.body.access_command, event: 'entered' },
  });
  expect(gateEvent.status).toBe(202);
  expect(gateEvent.body.parking_session_id).toBe(id);
  await eventually(() => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN }), (r) => r.body.parking_session.state === 'active');
  const url = `${s.api}/api/car_driver/parking_sessions/${id}/finalize`;
  const first = await http('PUT', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  const second = await http('PATCH', url, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(first.body.amount).toBe('0.10');
  expect(second.body.amount).toBe(first.body.amount);
  // every finalize signs a fresh link: attempt 1, an expiry, the HMAC
  for (const r of [first, second]) expect(r.body.pay_url).toMatch(new RegExp(`/api/payment/pay/${id}\\?from_mobile_v4=true&a=1&exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
  const pay = await http('GET', first.body.pay_url);
  expect(pay.status).toBe(303);
  expect(pay.location).toContain('/netopia/pay/');
  expect((await http('GET', first.body.pay_url.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);
});

test('access attempts count down and a spent key answers 422; wrong MAC is refused', async () => {
  const id = await startSession();
  const url = `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`;
  const wrong = await http('POST', url, { token: TOKEN, body: { direction: 'entrance', mac_address: '00:11:22:33:44:55' } });
  expect(wrong.status).toBe(422);
  for (const left of [2, 1, 0]) {
    const r = await http('POST', url, { token: TOKEN, body: { direction: 'entrance', mac_address: '76:86:BB:DE:63:AD' } });
    expect(r.status).toBe(201);
    expect(r.body.remaining_tries).toBe(left);
  }
  const spent = await http('POST', url, { token: TOKEN, body: { direction: 'entrance', mac_address: '76:86:BB:DE:63:AD' } });
  expect(spent.status).toBe(422);
  expect(spent.body.errors[0]).toMatch(/spent/);
  expect((await http('POST', url, { token: TOKEN, body: { direction: 'sideways', mac_address: 'x' } })).status).toBe(400);
});

test('cancel before entry; afterwards cancel is refused; lists are newest first and own only', async () => {
  const id = await startSession();
  const cancelled = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/cancel`, { token: TOKEN });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.parking_session.state).toBe('cancelled');
  const id2 = await startSession();
  await enter(id2);
  expect((await http('POST', `${s.api}/api/car_driver/parking_sessions/${id2}/cancel`, { token: TOKEN })).status).toBe(422);
  const otherId = await startSession(187, OTHER);
  const list = await eventually(
    () => http('GET', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN }),
    (r) => r.body.parking_sessions.some((p: { id: number; state: string }) => p.id === id && p.state === 'cancelled'),
  );
  const ids: number[] = list.body.parking_sessions.map((p: { id: number }) => p.id);
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
  expect(ids).not.toContain(otherId);
  expect((await http('GET', `${s.api}/api/car_driver/parking_sessions/${otherId}`, { token: TOKEN })).status).toBe(404);
  const keys = await http('GET', `${s.api}/api/car_driver/smart_keys`, { token: TOKEN });
  expect(keys.status).toBe(200);
  expect(keys.body.smart_keys.every((k: { type: string }) => k.type === 'session_access')).toBe(true);
  expect(await SessionModel.countDocuments({ sessionId: otherId, driverId: 'other-driver' })).toBe(1);
});

test('gate events: wrong key 401, unknown access command 404, a MAC, direction or parking not the key\'s own 403/404', async () => {
  const id = await startSession();
  const view = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });
  const command: string = view.body.smart_key.access_command;
  // Gates find the session through the read model, which the workflow's projection activity fills just after start.
  await eventually(
    () => http('GET', `${s.api}/api/car_driver/smart_keys`, { token: TOKEN }),
    (r) => r.body.smart_keys.some((k: { access_command: string }) => k.access_command === command),
  );
  const entrance187 = demoGateKey(s.config, 187, 'entrance');
  const send = (body: unknown, key = entrance187) => http('POST', `${s.api}/api/gates/events`, { headers: { 'x-api-key': key }, body });
  expect((await send({ mac_address: '76:86:BB:DE:63:AD', access_command: command, event: 'entered' }, 'wrong-key-123')).status).toBe(401);
  expect((await send({ mac_address: '76:86:BB:DE:63:AD', access_command: command, event: 'entered' }, s.config.DEMO_GATE_API_KEY)).status).toBe(401);
  expect((await send({ mac_address: '76:86:BB:DE:63:AD', access_command: 'f'.repeat(32), event: 'entered' })).status).toBe(404);
  // the key is bound to its gate's MAC: another gate's MAC with this key is refused, also with a session id
  const otherMac = await send({ mac_address: '76:86:BB:DE:65:01', access_command: command, event: 'entered' });
  expect([otherMac.status, otherMac.body.error.code]).toEqual([403, 'gate_mismatch']);
  expect((await send({ mac_address: '76:86:BB:DE:63:AE', parking_session_id: id, event: 'entered' })).status).toBe(403);
  // ... to its direction: an entrance gate cannot report an exit
  expect((await send({ mac_address: '76:86:BB:DE:63:AD', parking_session_id: id, event: 'exited' })).status).toBe(403);
  // ... and to its parking: parking 189's entrance gate cannot move a session at 187, with or without the session id
  const foreign = await send({ mac_address: '76:86:BB:DE:65:01', parking_session_id: id, event: 'entered' }, demoGateKey(s.config, 189, 'entrance'));
  expect(foreign.status).toBe(404);
  // every event names the gate's MAC
  expect((await send({ parking_session_id: id, event: 'entered' })).status).toBe(400);
  expect((await send({ event: 'entered' })).status).toBe(400);
  expect((await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN })).body.parking_session.state).toBe('entering');
  // the sandbox's simulated gate reports a pass the way a real controller does
  const pass = await http('POST', `${s.sandboxUrl}/gate/_pass`, { body: { mac_address: '76:86:BB:DE:63:AD', access_command: command, event: 'entered' } });
  expect(pass.status).toBe(200);
  await eventually(() => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN }), (r) => r.body.parking_session.state === 'active');
});

test('health and readiness', async () => {
  expect((await http('GET', `${s.api}/healthz`)).body.status).toBe('ok');
  const ready = await http('GET', `${s.api}/readyz`);
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ temporal: 'up', database: 'up' });
});
