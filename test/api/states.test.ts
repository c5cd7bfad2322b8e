/**
 * Honest states over the whole product on loopback: one payment_status vocabulary in the driver API, the ops API
 * and the PaymentStatus search attribute; terminal sessions refused with their state (422), never "not found";
 * validated ops filters with pagination; a gate exit without payment needs a person; messages that do not repeat
 * themselves; JSON routes that say when a body is not JSON.
 */
import { randomUUID } from 'node:crypto';
import { PAYMENT_STATUSES } from '../../src/domain/session';
import { sessionWorkflowId } from '../../src/temporal/ids';
import type { ParkingSessionInput } from '../../workflows/messages';
import { parkingSession } from '../../workflows/parking-session';
import { SA_PAYMENT_STATUS } from '../../workflows/search-attributes';
import { DRIVER_TOKEN, finalizedSession, payWithCard, sessionOf } from '../helpers/card-flow';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('api_states');
}, 120_000);
afterAll(() => s?.stop());

const ops = (method: string, path: string, body?: unknown) => http(method, `${s.api}${path}`, { token: s.config.OPS_API_TOKEN, ...(body === undefined ? {} : { body }) });
const driver = (method: string, path: string, body?: unknown) => http(method, `${s.api}/api/car_driver${path}`, { token: DRIVER_TOKEN, ...(body === undefined ? {} : { body }) });
/** A new session each call: without an Idempotency-Key, a second start while the first is `entering` returns the first. */
const startBarrier = async (parkingId = 189) =>
  (await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, headers: { 'idempotency-key': randomUUID() }, body: { parking_session: { secured_parking_id: parkingId } } })).body
    .parking_session.id as number;

test('a declined card payment is `declined` in the driver API, the ops API, the ops filter and the search attribute', async () => {
  const { id, fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  // The sandbox's expired card: Netopia declines it.
  await payWithCard(fin.pay_url, { card_number: '9900541631437790', exp_month: '12', exp_year: '2030', cvv: '111' });
  const app = await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status !== 'pending');
  expect(app.body.parking_session.payment_status).toBe('declined');
  expect((await ops('GET', `/api/ops/sessions/${id}`)).body.session.paymentStatus).toBe('declined');
  const listed = await ops('GET', '/api/ops/sessions?payment_status=declined&parking_id=189');
  expect(listed.body.sessions.map((v: { sessionId: number }) => v.sessionId)).toContain(id);
  const attribute = await eventually(
    async () => (await s.temporal.workflow.getHandle(sessionWorkflowId(id)).describe()).typedSearchAttributes.get(SA_PAYMENT_STATUS),
    (v) => v === 'declined',
  );
  expect(PAYMENT_STATUSES).toContain(attribute);
});

test('terminal sessions answer 422 with a code and the state to finalize, cancel and manual stop, never 404', async () => {
  const id = await startBarrier();
  const cancelled = await driver('POST', `/parking_sessions/${id}/cancel`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.parking_session.state).toBe('cancelled');
  await eventually(() => ops('GET', `/api/ops/sessions/${id}`), (r) => r.body.session?.state === 'cancelled');
  const answers = [
    await driver('PUT', `/parking_sessions/${id}/finalize`, { parking_session: { secured_parking_id: 189 } }),
    await driver('POST', `/parking_sessions/${id}/cancel`),
    await ops('POST', `/api/ops/sessions/${id}/cancel`),
    await ops('POST', `/api/ops/sessions/${id}/manual-stop`),
  ];
  for (const res of answers) {
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'session_cancelled', details: { state: 'cancelled' } });
  }
});

test('an ops cancel says who and why once: no "cancelled by ops: cancelled by ops"', async () => {
  const plain = await startBarrier();
  const withReason = await startBarrier();
  const a = await ops('POST', `/api/ops/sessions/${plain}/cancel`);
  const b = await ops('POST', `/api/ops/sessions/${withReason}/cancel`, { reason: 'car towed' });
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(a.body.session.closedReason).toBe('cancelled by ops: requested by demo-ops');
  expect(b.body.session.closedReason).toBe('cancelled by ops: car towed (demo-ops)');
});

test('a gate exit on an unpaid session raises attention, and the attention filter finds it', async () => {
  const id = await startBarrier();
  await driver('POST', `/parking_sessions/${id}/access_attempts`, { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' });
  expect((await gateEvent(s, id, 189, 'entered')).status).toBe(202);
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.state === 'active');
  expect((await gateEvent(s, id, 189, 'exited')).status).toBe(202);
  const flagged = await eventually(() => ops('GET', `/api/ops/sessions/${id}`), (r) => Boolean(r.body.session?.attentionCode));
  expect(flagged.body.session.attentionCode).toBe('exit_unpaid');
  const listed = await eventually(() => ops('GET', '/api/ops/sessions?attention=exit_unpaid'), (r) => r.body.sessions.length > 0);
  expect(listed.body.sessions.map((v: { sessionId: number }) => v.sessionId)).toContain(id);
  expect((await ops('GET', '/api/ops/sessions?attention=none')).body.sessions.map((v: { sessionId: number }) => v.sessionId)).not.toContain(id);
});

test('ops filters are validated (400 invalid_query naming the field) and pages follow next_cursor', async () => {
  for (const q of ['state=finished', 'payment_status=failed_hard', 'attention=Any!', 'from=yesterday', 'limit=0', 'colour=red']) {
    const res = await ops('GET', `/api/ops/sessions?${q}`);
    expect({ q, status: res.status, code: res.body.error?.code }).toEqual({ q, status: 400, code: 'invalid_query' });
  }
  expect((await ops('GET', '/api/ops/vipps/agreements?status=active')).status).toBe(400);
  await startBarrier();
  await startBarrier();
  const first = await ops('GET', '/api/ops/sessions?limit=1&state=entering');
  expect(first.body.sessions).toHaveLength(1);
  expect(first.body.next_cursor).toBe(String(first.body.sessions[0].sessionId));
  const second = await ops('GET', `/api/ops/sessions?limit=1&state=entering&cursor=${first.body.next_cursor}`);
  expect(second.body.sessions).toHaveLength(1);
  expect(second.body.sessions[0].sessionId).toBeLessThan(first.body.sessions[0].sessionId);
  const today = new Date().toISOString().slice(0, 10);
  expect((await ops('GET', `/api/ops/sessions?from=${today}&to=${today}&state=entering`)).body.sessions.length).toBeGreaterThanOrEqual(2);
  expect((await ops('GET', '/api/ops/sessions?to=2000-01-01')).body.sessions).toEqual([]);
});

test('a body that is not JSON is refused as such (415), not as a missing field', async () => {
  const res = await fetch(`${s.api}/api/car_driver/parking_sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DRIVER_TOKEN}`, 'content-type': 'text/plain' },
    body: 'parking_session=189',
  });
  expect(res.status).toBe(415);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('unsupported_media_type');
  expect(body.error.message).toContain('text/plain');
});

test('a session whose workflow task keeps failing answers 503 with Retry-After, never a 500', async () => {
  // A session workflow whose code throws in every task (here: a start input without its parking), as a session's
  // does when its code cannot replay its history: no task completes, so its queries run out of time.
  const id = 880_000_000 + Math.floor(Math.random() * 1_000_000);
  const broken = { sessionId: id } as unknown as ParkingSessionInput;
  const handle = await s.temporal.workflow.start(parkingSession, { workflowId: sessionWorkflowId(id), taskQueue: s.config.TEMPORAL_TASK_QUEUE, args: [broken] });
  try {
    const res = await driver('GET', `/parking_sessions/${id}`);
    expect(res.status).toBe(503);
    expect(['unavailable', 'workflow_unavailable']).toContain(res.body.error.code);
    expect(res.headers.get('retry-after')).toBe('5');
  } finally {
    await handle.terminate('test over');
  }
});
