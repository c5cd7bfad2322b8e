import { issueDriverToken } from '../../src/db/credentials';
import { DEMO_PARKINGS, demoGateKey } from '../../src/db/demo-data';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('session_start');
});
afterAll(() => s?.stop());

const start = (token: string, parkingId = 187, headers: Record<string, string> = {}) =>
  http('POST', `${s.api}/api/car_driver/parking_sessions`, { token, headers, body: { parking_session: { secured_parking_id: parkingId } } });

async function newDriver(name: string): Promise<string> {
  return (await issueDriverToken(name, 'test', 1)).token;
}

test('128 simultaneous starts by 128 drivers: 128 × 201 with distinct ids', async () => {
  const tokens = await Promise.all(Array.from({ length: 128 }, (_, i) => newDriver(`burst-driver-${i}`)));
  const answers = await Promise.all(tokens.map((token) => start(token)));
  expect(answers.map((a) => a.status)).toEqual(tokens.map(() => 201));
  const ids = answers.map((a) => a.body.parking_session.id as number);
  expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
  expect(new Set(ids).size).toBe(128);
  // Answered from the start input, not from the workflow: the answer must still be the session the workflow holds.
  for (const a of answers) {
    expect(a.body.parking_session.state).toBe('entering');
    expect(a.body.smart_key.access_command).toMatch(/^[0-9a-f]{32}$/);
    expect(a.body.smart_key.id).toBe(a.body.parking_session.id * 10 + 1);
  }
  const descriptions = await Promise.all(ids.map((id) => s.temporal.workflow.getHandle(sessionWorkflowId(id)).describe()));
  expect(descriptions.map((d) => d.status.name)).toEqual(ids.map(() => 'RUNNING'));
  // One of the keys opens the entrance, and its session becomes active.
  const chosen = answers[77].body;
  const entrance = DEMO_PARKINGS.find((p) => p.id === 187)!.accessPoints.find((ap) => ap.direction === 'entrance')!;
  const gate = await http('POST', `${s.api}/api/gates/events`, {
    headers: { 'x-api-key': demoGateKey(s.config, 187, 'entrance') },
    body: { mac_address: entrance.macAddress, access_command: chosen.smart_key.access_command, event: 'entered' },
  });
  expect(gate.status).toBe(202);
  expect(gate.body.parking_session_id).toBe(chosen.parking_session.id);
  const active = await eventually(
    () => http('GET', `${s.api}/api/car_driver/parking_sessions/${chosen.parking_session.id}`, { token: tokens[77] }),
    (r) => r.body?.parking_session?.state === 'active',
  );
  expect(active.body.parking_session.created_at).toBe(chosen.parking_session.created_at);
}, 300_000);

test('a fresh start answers what the workflow holds, and the driver\'s list shows it at once', async () => {
  const token = await newDriver('answer-matches-driver');
  const started = await start(token);
  expect(started.status).toBe(201);
  const id = started.body.parking_session.id as number;
  const list = await http('GET', `${s.api}/api/car_driver/parking_sessions`, { token });
  expect(list.body.parking_sessions.map((p: { id: number }) => p.id)).toEqual([id]);
  const read = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token });
  expect(read.status).toBe(200);
  expect(read.body.parking_session).toEqual(started.body.parking_session);
  expect(read.body.smart_key).toEqual(started.body.smart_key);
}, 60_000);

test('a repeated Idempotency-Key answers the first start: the same session, no second one', async () => {
  const token = await newDriver('idempotent-driver');
  const first = await start(token, 187, { 'idempotency-key': 'start-1' });
  expect(first.status).toBe(201);
  const again = await start(token, 187, { 'idempotency-key': 'start-1' });
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.parking_session.id).toBe(first.body.parking_session.id);
  const list = await http('GET', `${s.api}/api/car_driver/parking_sessions`, { token });
  expect(list.body.parking_sessions.map((p: { id: number }) => p.id)).toEqual([first.body.parking_session.id]);
}, 60_000);

test('the same Idempotency-Key twice at once: both answer one session', async () => {
  const token = await newDriver('racing-driver');
  const [a, b] = await Promise.all([start(token, 188, { 'idempotency-key': 'race' }), start(token, 188, { 'idempotency-key': 'race' })]);
  expect([a.status, b.status]).toEqual([201, 201]);
  expect(a.body.parking_session.id).toBe(b.body.parking_session.id);
}, 60_000);

test('an Idempotency-Key reused for another parking is refused; a malformed one is a 400', async () => {
  const token = await newDriver('reusing-driver');
  expect((await start(token, 187, { 'idempotency-key': 'k-1' })).status).toBe(201);
  const other = await start(token, 189, { 'idempotency-key': 'k-1' });
  expect(other.status).toBe(422);
  expect(other.body.error.code).toBe('idempotency_key_reused');
  const bad = await start(token, 187, { 'idempotency-key': 'spaces are not allowed' });
  expect(bad.status).toBe(400);
}, 60_000);

test('without a key, a second start at the same parking while the first is entering returns the first', async () => {
  const token = await newDriver('double-tap-driver');
  const first = await start(token, 187);
  expect(first.status).toBe(201);
  const second = await start(token, 187);
  expect(second.status).toBe(201);
  expect(second.body.parking_session.id).toBe(first.body.parking_session.id);
  // Another parking is another start.
  const elsewhere = await start(token, 188);
  expect(elsewhere.status).toBe(201);
  expect(elsewhere.body.parking_session.id).not.toBe(first.body.parking_session.id);
  // Once the first is cancelled, the parking takes a new start.
  const cancel = await http('POST', `${s.api}/api/car_driver/parking_sessions/${first.body.parking_session.id}/cancel`, { token });
  expect(cancel.status).toBe(200);
  const fresh = await start(token, 187);
  expect(fresh.status).toBe(201);
  expect(fresh.body.parking_session.id).not.toBe(first.body.parking_session.id);
}, 60_000);
