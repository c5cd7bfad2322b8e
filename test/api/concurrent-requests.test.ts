/**
 * A phone app that retries, or two phones of one driver, send the same request twice at the same time. Every step
 * of a card-paid barrier session is sent twice concurrently here, session after session: each session must close,
 * its workflow must never fail a workflow task (a task that fails on every attempt leaves the session stuck for
 * good), and the driver is charged exactly once, by the provider and in the ledger.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { LedgerModel } from '../../src/db/models';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { replayWorkerOptions } from '../../workers/create-worker';
import { DRIVER_TOKEN } from '../helpers/card-flow';
import { approvedCharges, assertExactlyOnce } from '../helpers/exactly-once';
import { testDataConverter } from '../helpers/data-converter';
import { gateEvent, http, startStack, type Stack } from '../helpers/stack';
import { NETOPIA_ACCEPTED } from '../helpers/test-cards';

const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const PARKING = 189; // a demo barrier parking paid through NETOPIA
const MAC = { entrance: '76:86:BB:DE:65:01', exit: '76:86:BB:DE:65:02' };
const SESSIONS = 6;
const COPIES = 2;

let s: Stack;
beforeAll(async () => {
  s = await startStack('concurrent_requests');
});
afterAll(() => s?.stop());

type Answer = Awaited<ReturnType<typeof http>>;

/** The same request sent COPIES times at once. */
const twice = (send: () => Promise<Answer>): Promise<Answer[]> => Promise.all(Array.from({ length: COPIES }, send));

/** Each copy is answered with one of the allowed statuses, and at least one copy succeeded. */
function expectAnswers(answers: Answer[], ok: number[], alsoAllowed: number[], what: string): Answer {
  for (const a of answers) if (![...ok, ...alsoAllowed].includes(a.status)) throw new Error(`${what}: HTTP ${a.status} ${a.text.slice(0, 300)}`);
  const good = answers.find((a) => ok.includes(a.status));
  if (!good) throw new Error(`${what}: no copy succeeded: ${answers.map((a) => `${a.status} ${a.text.slice(0, 200)}`).join(' | ')}`);
  return good;
}

/**
 * The session's failed workflow tasks (none for a healthy session). One cause is the server's own and harmless: a
 * task that completes the workflow while a new message (the second "exited" of a doubled gate report) came in is
 * refused as UnhandledCommand and the workflow runs a new task that sees the message first.
 */
async function failedTasks(id: number): Promise<string[]> {
  const history = await s.temporal.workflow.getHandle(sessionWorkflowId(id)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .filter((e) => e.workflowTaskFailedEventAttributes?.cause !== WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND)
    .map((e) => `event ${String(e.eventId)}: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? '(no message)'}`);
}

/** Polls the driver's view until it passes; a failed workflow task ends the wait at once (it would never pass). */
async function until(id: number, ok: (v: { state: string; payment_status: string }) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const failed = await failedTasks(id);
    if (failed.length > 0) throw new Error(`session ${id} (${what}): workflow task failed: ${failed[0]}`);
    const res = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: DRIVER_TOKEN });
    if (res.status === 200 && ok(res.body.parking_session)) return;
    if (Date.now() > deadline) throw new Error(`session ${id}: ${what} not reached within 30 s; last ${res.status} ${res.text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One card-paid barrier session with every request of the driver, the gates and the WebView sent twice at once. */
async function doubledSession(): Promise<{ id: number; amount: string }> {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING } } });
  expect(start.status).toBe(201);
  const id = Number(start.body.parking_session.id);
  const access = (direction: 'entrance' | 'exit') => () =>
    http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: DRIVER_TOKEN, body: { direction, mac_address: MAC[direction] } });

  // A try the first copy used up may leave the second refused (422), never a server error.
  expectAnswers(await twice(access('entrance')), [201], [422], 'entrance access');
  expectAnswers(await twice(() => gateEvent(s, id, PARKING, 'entered')), [200, 202], [], 'gate entered');
  await until(id, (v) => v.state === 'active', 'active');

  const finalize = () => http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING } } });
  const finals = await twice(finalize);
  const fin = expectAnswers(finals, [201], [], 'finalize');
  // A retried finalize answers the same price (its pay link is signed afresh: either copy opens the same order).
  expect(new Set(finals.map((f) => String(f.body.amount))).size).toBe(1);
  const payUrls = finals.map((f) => String(f.body.pay_url));

  const pays = await Promise.all(Array.from({ length: COPIES }, (_, i) => http('GET', payUrls[i % payUrls.length]!)));
  expectAnswers(pays, [303], [], 'open pay_url');
  // One order at the provider: both copies land on the same card page.
  expect(new Set(pays.map((p) => p.location)).size).toBe(1);
  const cardPage = pays[0]!.location!;
  expect((await http('GET', cardPage)).status).toBe(200);
  const [action, query] = cardPage.split('?');
  const form = { ...Object.fromEntries(new URLSearchParams(query ?? '')), ...NETOPIA_ACCEPTED };
  // A double click on "pay": the provider charges the order once (the second submit finds it paid).
  expectAnswers(await twice(() => http('POST', action!, { form })), [302, 303], [200, 409, 410, 422], 'submit card');
  await until(id, (v) => v.payment_status === 'paid', 'paid');

  expectAnswers(await twice(access('exit')), [201], [422], 'exit access');
  // The copy that comes after the session closed finds no running workflow to tell (404).
  expectAnswers(await twice(() => gateEvent(s, id, PARKING, 'exited')), [200, 202], [404], 'gate exited');
  await until(id, (v) => v.state === 'closed', 'closed');
  return { id, amount: String(fin.body.amount) };
}

/** The session closed, no workflow task failed, one charge at the provider and one capture in the ledger. */
async function expectSettledOnce(done: Array<{ id: number; amount: string }>): Promise<void> {
  for (const { id, amount } of done) {
    expect(await failedTasks(id)).toEqual([]);
    const charges = (await approvedCharges(s.sandboxUrl)).filter((c) => c.sessionId === id);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.amount).toBe(amount);
    const captures = await LedgerModel.find({ sessionId: String(id), kind: 'capture' }).lean();
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ provider: 'netopia', gross: amount, providerRefs: expect.objectContaining({ orderId: charges[0]!.orderId }) });
    await assertExactlyOnce({ sandboxUrl: s.sandboxUrl, sessionId: id });
  }

  // A worker that lost its cache (a restart, a full cache) replays the history: it must replay without a
  // determinism error, whatever order the concurrent requests reached the workflow in.
  const histories = await Promise.all(done.map(async ({ id }) => ({ workflowId: sessionWorkflowId(id), history: await s.temporal.workflow.getHandle(sessionWorkflowId(id)).fetchHistory() })));
  const options = { ...(await replayWorkerOptions()), replayName: 'concurrent-requests', dataConverter: testDataConverter };
  const errors: string[] = [];
  for await (const r of Worker.runReplayHistories(options, histories)) if (r.error) errors.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
  expect(errors).toEqual([]);
}

test(`${SESSIONS} card-paid sessions with every request doubled: each closes, no workflow task fails, one charge each`, async () => {
  const done: Array<{ id: number; amount: string }> = [];
  for (let i = 0; i < SESSIONS; i += 1) done.push(await doubledSession());
  await expectSettledOnce(done);
});

/**
 * Two phones of one driver, each going through the whole session on its own, out of step with the other (the load
 * benchmark's lanes once shared a session like this). Whatever one finds already done by the other is a clear 4xx
 * or the same answer again, never a server error.
 */
async function oneClient(id: number): Promise<string | undefined> {
  const say = (what: string, res: Answer, allowed: number[]) => {
    if (!allowed.includes(res.status)) throw new Error(`session ${id} ${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const access = (direction: 'entrance' | 'exit') =>
    http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: DRIVER_TOKEN, body: { direction, mac_address: MAC[direction] } });
  say('entrance access', await access('entrance'), [201, 422]);
  say('gate entered', await gateEvent(s, id, PARKING, 'entered'), [200, 202]);
  await until(id, (v) => v.state !== 'entering', 'entered');
  const fin = say('finalize', await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING } } }), [201, 409, 422]);
  if (fin.status === 201 && fin.body.pay_url) {
    // A pay link opened after the other phone paid shows the result page or "already paid" (200).
    const pay = say('open pay_url', await http('GET', String(fin.body.pay_url)), [200, 303]);
    if (pay.status === 303 && pay.location?.includes('/netopia/')) {
      say('card page', await http('GET', pay.location), [200, 409, 410]);
      const [action, query] = pay.location.split('?');
      const form = { ...Object.fromEntries(new URLSearchParams(query ?? '')), ...NETOPIA_ACCEPTED };
      say('submit card', await http('POST', action!, { form }), [200, 302, 303, 409, 410, 422]);
    }
  }
  await until(id, (v) => v.payment_status === 'paid', 'paid');
  // Once the other phone's exit closed the session, its workflow is gone: 404.
  say('exit access', await access('exit'), [201, 404, 422]);
  say('gate exited', await gateEvent(s, id, PARKING, 'exited'), [200, 202, 404]);
  await until(id, (v) => v.state === 'closed', 'closed');
  return fin.status === 201 ? String(fin.body.amount) : undefined;
}

test('two clients drive the same sessions out of step: each closes, no workflow task fails, one charge each', async () => {
  const done: Array<{ id: number; amount: string }> = [];
  for (let i = 0; i < SESSIONS / 2; i += 1) {
    const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: PARKING } } });
    expect(start.status).toBe(201);
    const id = Number(start.body.parking_session.id);
    const amounts = await Promise.all([oneClient(id), oneClient(id)]);
    const amount = amounts.find((a) => a !== undefined);
    expect(amount).toBeDefined();
    done.push({ id, amount: amount! });
  }
  await expectSettledOnce(done);
});
