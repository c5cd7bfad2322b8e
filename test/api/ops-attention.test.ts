/**
 * The ops queue: a session that needs a person is listed with what can be done, and a person's resolve or retry is
 * recorded in the session's history, the ledger and the audit trail.
 */
import { LedgerModel } from '../../src/db/models';
import { findParking, toParkingSnapshot } from '../../src/db/parking-snapshot';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { sessionStartSearchAttributes } from '../../src/temporal/session-search-attributes';
import { gateEventSignal, type ParkingSessionInput } from '../../workflows/messages';
import { SA_ATTENTION } from '../../workflows/search-attributes';
import { parkingSession } from '../../workflows/parking-session';
import { DRIVER_TOKEN, sessionOf } from '../helpers/card-flow';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
let ops: (method: string, path: string, body?: unknown) => ReturnType<typeof http>;
beforeAll(async () => {
  s = await startStack('ops_attention');
  ops = (method, path, body) => http(method, `${s.api}${path}`, { token: s.config.OPS_API_TOKEN, body });
});
afterAll(() => s?.stop());

/** A car that left through the exit gate without paying: the session needs a person. */
async function unpaidExit(): Promise<number> {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  const id: number = start.body.parking_session.id;
  await gateEvent(s, id, 189, 'entered');
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.state === 'active');
  await gateEvent(s, id, 189, 'exited');
  await eventually(() => ops('GET', '/api/ops/attention?reason=exit_unpaid'), (r) => r.body.items.some((i: { session_id: number }) => i.session_id === id));
  return id;
}

test('listed with its actions; a resolve needs a note, clears the attention and is recorded three times', async () => {
  const id = await unpaidExit();
  const queue = await ops('GET', '/api/ops/attention');
  const entry = queue.body.items.find((i: { session_id: number }) => i.session_id === id);
  expect(entry).toMatchObject({ parking_id: 189, state: 'active', payment_status: 'none', attention: { code: 'exit_unpaid' } });
  expect(entry.actions.map((a: { name: string }) => a.name)).toEqual(['resolve', 'cancel']);
  expect(entry.actions[0]).toEqual({ name: 'resolve', method: 'POST', path: `/api/ops/sessions/${id}/attention/resolve` });

  expect((await ops('POST', `/api/ops/sessions/${id}/attention/resolve`, {})).status).toBe(400);
  expect((await http('POST', `${s.api}/api/ops/sessions/${id}/attention/resolve`, { body: { note: 'barrier was open for maintenance' } })).status).toBe(401);
  const resolved = await ops('POST', `/api/ops/sessions/${id}/attention/resolve`, { note: 'barrier was open for maintenance' });
  expect(resolved.status).toBe(200);
  expect(resolved.body).toMatchObject({ session_id: id, action: 'resolve', by: 'demo-ops', attention_was: 'exit_unpaid' });

  const view = await eventually(() => ops('GET', `/api/ops/sessions/${id}`), (r) => r.body.session.attentionCode === null);
  expect(view.body.session.lastOpsAction).toMatchObject({ action: 'resolve', by: 'demo-ops', note: 'barrier was open for maintenance', attentionCode: 'exit_unpaid' });
  const description = await s.temporal.workflow.getHandle(`parking-session-${id}`).describe();
  expect(description.typedSearchAttributes.get(SA_ATTENTION) ?? '').toBe('');
  const history = await s.temporal.workflow.getHandle(`parking-session-${id}`).fetchHistory();
  expect(history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'opsAction')).toBe(true);
  const ledger = await LedgerModel.find({ sessionId: String(id), kind: 'ops_action' }).lean();
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ gross: '0.00', provider: 'none' });
  expect(ledger[0].note).toContain('demo-ops');
  const audit = await ops('GET', `/api/ops/audit?target=session:${id}`);
  expect(audit.body.entries[0]).toMatchObject({ actor: 'demo-ops', action: 'attention_resolve' });

  await eventually(() => ops('GET', '/api/ops/attention?reason=exit_unpaid'), (r) => !r.body.items.some((i: { session_id: number }) => i.session_id === id));
  const again = await ops('POST', `/api/ops/sessions/${id}/attention/resolve`, { note: 'twice' });
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('no_attention');
});

test('retry is refused when no payment waits for the provider; bad queries are 400', async () => {
  const id = await unpaidExit();
  const retry = await ops('POST', `/api/ops/sessions/${id}/attention/retry`, {});
  expect(retry.status).toBe(422);
  expect(retry.body.error.code).toBe('nothing_to_retry');
  for (const q of ['reason=Not-A-Code', 'limit=0', 'before_id=-1', 'colour=red']) expect((await ops('GET', `/api/ops/attention?${q}`)).status).toBe(400);
  expect((await http('GET', `${s.api}/api/ops/attention`)).status).toBe(401);
});

test('a session active past its maximum is listed as stale_session with resolve and cancel; the cancel ends it', async () => {
  // Started as the API starts it, but with a two-second maximum: SESSION_MAX_ACTIVE_HOURS counts whole hours.
  const id = 900_000_000 + (Date.now() % 100_000_000);
  const input: ParkingSessionInput = {
    sessionId: id,
    driverId: 'demo-driver',
    kind: 'barrier',
    parking: toParkingSnapshot((await findParking(189))!),
    createdAt: new Date().toISOString(),
    settings: { entryTimeoutMs: 3_600_000, paymentAttemptTtlMs: 900_000, smartKeyTries: 3, maxActiveMs: 2_000 },
  };
  const handle = await s.temporal.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(id),
    taskQueue: s.config.TEMPORAL_TASK_QUEUE,
    args: [input],
    typedSearchAttributes: sessionStartSearchAttributes(input, s.config.PLATE_HASH_KEY),
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  const queue = await eventually(() => ops('GET', '/api/ops/attention?reason=stale_session'), (r) => r.body.items.some((i: { session_id: number }) => i.session_id === id));
  const entry = queue.body.items.find((i: { session_id: number }) => i.session_id === id);
  expect(entry).toMatchObject({ state: 'active', payment_status: 'none', amount: null, attention: { code: 'stale_session' } });
  expect(entry.attention.message).toMatch(/^active since .*, longer than the 2 s maximum: no finalize or exit yet/);
  expect(entry.actions.map((a: { name: string }) => a.name)).toEqual(['resolve', 'cancel']);

  const cancelled = await ops('POST', `/api/ops/sessions/${id}/cancel`, { reason: 'car towed away' });
  expect(cancelled.status).toBeLessThan(300);
  expect((await handle.result()).state).toBe('cancelled');
  // Who cancelled, when and why: in the ledger too, as a zero-amount ops_action row.
  const rows = await LedgerModel.find({ sessionId: String(id), kind: 'ops_action' }).lean();
  expect(rows.map((r) => [r.gross, r.note])).toEqual([['0.00', expect.stringMatching(/^cancel by \S+ \(stale_session\): car towed away$/)]]);
});
