/**
 * Production reference data through the ops API: a parking made by hand (tariff, VAT, zone, provider, gates)
 * takes a real session end to end; tariff changes are versions that never reprice a running stay; every write
 * is validated and audited, and secrets never come back.
 */
import mongoose from 'mongoose';
import { eventually, http, startStack, type Stack } from '../helpers/stack';
import { DRIVER_TOKEN, sessionOf } from '../helpers/card-flow';

let s: Stack;
let ops: (method: string, path: string, body?: unknown) => ReturnType<typeof http>;
beforeAll(async () => {
  // A memo that outlives any pause of this machine, so the test below sees reads saved, not a lapsed TTL.
  s = await startStack('reference_data', { REFERENCE_CACHE_TTL_MS: '60000' });
  ops = (method, path, body) => http(method, `${s.api}${path}`, { token: s.config.OPS_API_TOKEN, body });
});
afterAll(() => s?.stop());

const PARKING_ID = 7001;
const parking = (price: string, extra: Record<string, unknown> = {}) => ({
  name: 'Harbour P',
  currency: 'RON',
  time_zone: 'Europe/Bucharest',
  vat_percent: '19',
  card_provider: 'netopia',
  tariff: { grace_minutes: 0, interval_minutes: 1, price_per_interval: price, daily_cap: null },
  ...extra,
});

test('a parking made through the ops API takes a session, and a tariff change does not reprice it', async () => {
  const created = await ops('PUT', `/api/ops/parkings/${PARKING_ID}`, parking('0.10'));
  expect(created.status).toBe(201);
  expect(created.body.parking).toMatchObject({ id: PARKING_ID, time_zone: 'Europe/Bucharest', tariff: { price_per_interval: '0.10' }, access_points: [] });
  expect((await ops('PUT', `/api/ops/parkings/${PARKING_ID}`, parking('0.10'))).status).toBe(200);

  const entrance = await ops('PUT', `/api/ops/parkings/${PARKING_ID}/gates/harbour-in`, { direction: 'entrance', mac_address: '02:00:00:00:70:01' });
  const exit = await ops('PUT', `/api/ops/parkings/${PARKING_ID}/gates/harbour-out`, { direction: 'exit', mac_address: '02:00:00:00:70:02' });
  expect(entrance.status).toBe(201);
  expect(entrance.body.gate.api_key).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  const listed = await ops('GET', `/api/ops/parkings/${PARKING_ID}`);
  expect(listed.body.parking.access_points.map((a: { direction: string }) => a.direction).sort()).toEqual(['entrance', 'exit']);

  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING_ID } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const gate = (key: string, mac: string, event: string) =>
    http('POST', `${s.api}/api/gates/events`, { headers: { 'x-api-key': key }, body: { parking_session_id: id, event, mac_address: mac } });
  expect((await gate(entrance.body.gate.api_key, '02:00:00:00:70:01', 'entered')).status).toBe(202);
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.state === 'active');

  // Ops raise the price while the car is inside: its stay keeps the tariff it entered under.
  const raised = await ops('PUT', `/api/ops/parkings/${PARKING_ID}`, parking('9.00'));
  expect(raised.status).toBe(200);
  expect(raised.body.parking.tariff_versions.map((v: { price_per_interval: string }) => v.price_per_interval)).toEqual(['0.10', '9.00']);
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING_ID } } });
  expect(fin.status).toBe(201);
  expect(fin.body).toMatchObject({ amount: '0.10', currency: 'RON' });

  // A retired gate's key stops working.
  expect((await ops('DELETE', `/api/ops/parkings/${PARKING_ID}/gates/harbour-out`)).status).toBe(204);
  const after = await ops('GET', `/api/ops/parkings/${PARKING_ID}`);
  expect(after.body.parking.access_points.map((a: { direction: string }) => a.direction)).toEqual(['entrance']);
  expect((await gate(exit.body.gate.api_key, '02:00:00:00:70:02', 'exited')).status).toBe(401);
});

/** The collections this process read from (through mongoose) while `fn` ran. */
async function readsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; reads: string[] }> {
  const reads: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => {
    if (/^find/.test(method)) reads.push(collection);
  });
  try {
    return { result: await fn(), reads };
  } finally {
    mongoose.set('debug', false);
  }
}

test('the API reads a parking, a gate key and a token once, and sees an ops write through it on the next request', async () => {
  const id = 7020;
  expect((await ops('PUT', `/api/ops/parkings/${id}`, parking('0.10', { name: 'Quay P' }))).status).toBe(201);
  const entrance = await ops('PUT', `/api/ops/parkings/${id}/gates/quay-in`, { direction: 'entrance', mac_address: '02:00:00:00:70:11' });
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: id } } });
  expect(start.status).toBe(201);
  const sessionId: number = start.body.parking_session.id;
  const reference = (reads: string[]) => reads.filter((c) => ['parkings', 'accesstokens', 'gates', 'credentialkeys'].includes(c));

  const first = await readsDuring(() => sessionOf(s, sessionId));
  const again = await readsDuring(() => sessionOf(s, sessionId));
  expect(first.result.body.smart_key.name).toBe('Quay P');
  expect(again.result.body.smart_key).toEqual(first.result.body.smart_key);
  expect(reference(again.reads)).toEqual([]);

  expect((await ops('PUT', `/api/ops/parkings/${id}`, parking('0.10', { name: 'Quay P North' }))).status).toBe(200);
  const renamed = await readsDuring(() => sessionOf(s, sessionId));
  expect(renamed.result.body.smart_key.name).toBe('Quay P North');
  expect(reference(renamed.reads)).toEqual(['parkings']);

  const gate = () =>
    http('POST', `${s.api}/api/gates/events`, { headers: { 'x-api-key': entrance.body.gate.api_key }, body: { parking_session_id: sessionId, event: 'entered', mac_address: '02:00:00:00:70:11' } });
  expect((await gate()).status).toBe(202);
  const repeated = await readsDuring(gate);
  expect(repeated.result.status).toBeLessThan(300);
  expect(reference(repeated.reads)).toEqual([]);

  // Re-keyed through this API: the old key is refused on its next use, the new one works.
  const rekeyed = await ops('PUT', `/api/ops/parkings/${id}/gates/quay-in`, { direction: 'entrance', mac_address: '02:00:00:00:70:11' });
  expect(rekeyed.body.gate.api_key).not.toBe(entrance.body.gate.api_key);
  expect((await gate()).status).toBe(401);
  const withNewKey = await http('POST', `${s.api}/api/gates/events`, {
    headers: { 'x-api-key': rekeyed.body.gate.api_key },
    body: { parking_session_id: sessionId, event: 'entered', mac_address: '02:00:00:00:70:11' },
  });
  expect(withNewKey.status).toBeLessThan(300);
});

test('bad reference data is refused with a code and changes nothing', async () => {
  const before = await ops('GET', '/api/ops/parkings?limit=500');
  const cases: Array<[string, string, unknown, number, string]> = [
    ['PUT', '/api/ops/parkings/7002', parking('1.00', { time_zone: 'Mars/Olympus' }), 400, 'bad_request'],
    ['PUT', '/api/ops/parkings/7002', parking('1.0000'), 400, 'bad_request'],
    ['PUT', '/api/ops/parkings/7002', parking('1.00', { colour: 'red' }), 400, 'bad_request'],
    ['PUT', '/api/ops/parkings/7002', parking('1.00', { anpr: { area_code: 'nowhere', operator_id: 'no-such-operator' } }), 422, 'unknown_operator'],
    ['PUT', '/api/ops/parkings/7002', parking('1.00', { anpr: { area_code: 'area1', operator_id: 'demo-operator' } }), 409, 'area_taken'],
    ['PUT', '/api/ops/parkings/07002', parking('1.00'), 400, 'bad_request'],
    ['PUT', `/api/ops/parkings/${PARKING_ID}`, parking('2.00', { tariff_effective_from: '2020-01-01T00:00:00Z' }), 422, 'tariff_change_rejected'],
    ['PUT', '/api/ops/parkings/7003/gates/g1', { direction: 'entrance', mac_address: '02:00:00:00:70:09' }, 422, 'unknown_parking'],
    ['PUT', '/api/ops/parkings/187/gates/thief', { direction: 'entrance', mac_address: '76:86:BB:DE:63:AD' }, 409, 'mac_taken'],
    ['PUT', '/api/ops/operators/x', { callback_auth: { method: 'basic', secret: 'short' } }, 400, 'bad_request'],
    ['PUT', '/api/ops/fleets/other', { username: 'demo-fleet', password: 'long-enough-password', currency: 'SEK' }, 409, 'username_taken'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await ops(method, path, body);
    expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status, code });
    expect(r.body.error.message.length).toBeGreaterThan(5);
  }
  expect((await ops('GET', '/api/ops/parkings?limit=500')).body).toEqual(before.body);
  expect((await http('PUT', `${s.api}/api/ops/parkings/7004`, { body: parking('1.00') })).status).toBe(401);
});

test('operators, areas and fleets: created by ops, usable by the provider, secrets write-only and audited', async () => {
  const secret = 'harbour-callback-secret-0001';
  expect((await ops('PUT', '/api/ops/operators/harbour-op', { name: 'Harbour operator', callback_auth: { method: 'token', secret } })).status).toBe(201);
  expect((await ops('PUT', '/api/ops/parkings/7010', parking('30.00', { currency: 'NOK', time_zone: 'Europe/Oslo', anpr: { area_code: 'harbour-area', operator_id: 'harbour-op' } }))).status).toBe(201);
  const operators = await ops('GET', '/api/ops/operators');
  expect(operators.body.operators.find((o: { id: string }) => o.id === 'harbour-op')).toEqual({
    id: 'harbour-op',
    name: 'Harbour operator',
    callback_auth_method: 'token',
    areas: [{ area_code: 'harbour-area', parking_id: 7010 }],
  });

  const password = 'harbour-fleet-password-1';
  expect((await ops('PUT', '/api/ops/fleets/harbour-fleet', { name: 'Harbour fleet', username: 'harbour-fleet', password, currency: 'SEK' })).status).toBe(201);
  // EasyPark's Basic credentials are now the fleet's: a bad body is refused as a body (400), not as auth (401).
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const withFleet = await http('POST', `${s.api}/api/providers/easypark/parking-transactions`, { headers: { authorization: basic('harbour-fleet', password) }, body: {} });
  const wrong = await http('POST', `${s.api}/api/providers/easypark/parking-transactions`, { headers: { authorization: basic('harbour-fleet', 'not-the-password') }, body: {} });
  expect(wrong.status).toBe(401);
  expect(withFleet.status).toBe(400);

  const audit = await ops('GET', '/api/ops/audit?limit=500');
  const actions = audit.body.entries.map((e: { action: string }) => e.action);
  for (const a of ['parking_put', 'gate_put', 'gate_retire', 'operator_put', 'fleet_put']) expect(actions).toContain(a);
  expect(JSON.stringify(audit.body)).not.toContain(secret);
  expect(JSON.stringify(audit.body)).not.toContain(password);
  expect(JSON.stringify(await ops('GET', '/api/ops/fleets'))).not.toContain(password);
});
