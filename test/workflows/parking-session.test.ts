import { SANDBOX_DEFAULTS } from '../../src/config';
import { SessionModel } from '../../src/db/models';
import { endOfLocalDay } from '../../src/domain/calendar';
import { LedgerModel } from '../../src/db/models';
import { historyCounts } from '../../src/temporal/history-counts';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { sessionStartSearchAttributes } from '../../src/temporal/session-search-attributes';
import {
  accessAttemptUpdate,
  finalizeUpdate,
  gateEventSignal,
  paymentResultSignal,
  sessionViewQuery,
  startPaymentUpdate,
} from '../../workflows/messages';
import { barrierInput as input } from '../helpers/session-input';
import { rejectionOf } from '../helpers/errors';
import { startWorkflowWorld, type WorkflowWorld } from '../helpers/workflow-world';
import { testDataConverter } from '../helpers/data-converter';
import { createActivities } from '../../activities';
import { createProviderClients } from '../../src/providers/clients';
import { createWorker } from '../../workers/create-worker';
import { activityDeps } from '../../workers/run-worker';
import { parkingSession } from '../../workflows/parking-session';

/** The parking-session workflow on the time-skipping server with every activity, real provider clients and the sandboxes. */

let w: WorkflowWorld;

beforeAll(async () => {
  w = await startWorkflowWorld('wf_parking_session');
});
afterAll(() => w?.stop());

test('a session nobody enters expires after the two-hour entry timeout, instantly under time skipping', async () => {
  const started = Date.now();
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9001),
    taskQueue: w.taskQueue,
    args: [input(9001)],
  });
  const result = await handle.result();
  expect(result.state).toBe('expired');
  expect(Date.now() - started).toBeLessThan(60_000);
  const projected = await SessionModel.findOne({ sessionId: 9001 }).lean();
  expect(projected?.state).toBe('expired');
});

test('entry, a 3-hour stay and finalize: priced with the tariff, exit key issued, finalize again gives the same amount', async () => {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9002),
    taskQueue: w.taskQueue,
    args: [input(9002)],
  });
  const attempt = await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:bb:de:63:ad' }] });
  expect(attempt.key.remainingTries).toBe(2);
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('3 hours');
  const view = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  expect(view.state).toBe('exiting');
  // 3 h + a few ms: 4 started hours at 5.00 (grace is not deducted once exceeded)
  expect(view.amount).toEqual({ gross: '20.00', net: '16.53', vat: '3.47', vatPercent: '21', currency: 'RON' });
  expect(view.exitKey?.remainingTries).toBe(3);
  expect(view.paymentStatus).toBe('pending');
  const again = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  expect(again.amount).toEqual(view.amount);
  expect(again.attempts).toHaveLength(1);
  expect(await rejectionOf(handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 188 }] }))).toMatch(/belongs to parking 187/);
  expect(await rejectionOf(handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'exit', macAddress: '76:86:BB:DE:63:AE' }] }))).toMatch(/not paid/);
  const q = await handle.query(sessionViewQuery);
  expect(q.exitKey?.remainingTries).toBe(3);
});

test('finalize before entry is refused and changes nothing', async () => {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9003),
    taskQueue: w.taskQueue,
    args: [input(9003)],
  });
  expect(await rejectionOf(handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] }))).toMatch(/not been entered/);
  expect((await handle.query(sessionViewQuery)).state).toBe('entering');
});

test('the entrance key is spent after its tries', async () => {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9004),
    taskQueue: w.taskQueue,
    args: [input(9004)],
  });
  for (let i = 0; i < 3; i++) await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] });
  expect(await rejectionOf(handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] }))).toMatch(/spent/);
  expect(await rejectionOf(handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '00:00:00:00:00:00' }] }))).toMatch(/spent|unknown/);
});

test('an unpaid attempt is voided at the provider when its time is up; the next finalize opens a fresh attempt for the same amount', async () => {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9005),
    taskQueue: w.taskQueue,
    args: [input(9005)],
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('2 hours');
  const first = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  expect(first.attempts.map((a) => a.status)).toEqual(['open']);
  const started = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(started.attempt?.status).toBe('started');
  expect(started.attempt?.redirectUrl).toContain('/netopia/pay/');
  await w.env.sleep('16 minutes');
  const expired = await handle.query(sessionViewQuery);
  expect(expired.paymentStatus).toBe('expired');
  // The clock alone ends nothing: the provider was asked, then the order was voided there.
  expect(expired.attempts[0]).toMatchObject({ status: 'voided', reasonCode: 'attempt_expired' });
  const records = (await (await fetch(`${w.sandboxUrl}/netopia/_records`)).json()) as Array<{ kind: string; orderId: string }>;
  expect(records.filter((r) => r.orderId === '9005-1').map((r) => r.kind)).toContain('void');
  const second = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  expect(second.amount).toEqual(first.amount);
  expect(second.attempts.map((a) => [a.orderId, a.status])).toEqual([
    ['9005-1', 'voided'],
    ['9005-2', 'open'],
  ]);
  expect(second.paymentStatus).toBe('pending');
});

/** Enters at the workflow's current time, stays `stayMs`, finalizes at parking 187 and returns the view. */
async function stay(sessionId: number, stayMs: number) {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: w.taskQueue,
    args: [input(sessionId)],
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await handle.query(sessionViewQuery); // the entry is recorded before time moves on
  await w.env.sleep(stayMs);
  return handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
}

test('parking 187: 10 minutes are free (no payment, exit key usable), 2 h 30 min cost 15.00', async () => {
  const free = await stay(9006, 10 * 60_000);
  expect(free.amount?.gross).toBe('0.00');
  expect(free.paymentStatus).toBe('paid');
  expect(free.paidVia).toBe('free');
  expect(free.attempts).toHaveLength(0);
  expect(free.exitKey?.remainingTries).toBe(3);
  const paid = await stay(9007, 150 * 60_000 - 1000);
  expect(paid.amount).toEqual({ gross: '15.00', net: '12.40', vat: '2.60', vatPercent: '21', currency: 'RON' });
});

test('parking 187: three whole local days hit the 40.00 cap each day', async () => {
  // Start at a local midnight in Bucharest so the stay covers exactly three calendar days there.
  const now = await w.env.currentTimeMs();
  const midnight = endOfLocalDay(now, 'Europe/Bucharest');
  await w.env.sleep(midnight - now + 1000);
  const start = await w.env.currentTimeMs();
  const thirdMidnight = endOfLocalDay(endOfLocalDay(endOfLocalDay(start, 'Europe/Bucharest') + 1000, 'Europe/Bucharest') + 1000, 'Europe/Bucharest');
  const view = await stay(9008, thirdMidnight - start - 5000);
  expect(view.amount?.gross).toBe('120.00');
  expect(view.amount?.vat).toBe('20.83');
});

test('a card-paid barrier session stays lean: at most 60 history events and 4 activities, the rest local', async () => {
  // Started as the API starts it (search attributes given with the start), driven through every step of the app.
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9010),
    taskQueue: w.taskQueue,
    args: [input(9010)],
    typedSearchAttributes: sessionStartSearchAttributes(input(9010), SANDBOX_DEFAULTS.PLATE_HASH_KEY),
  });
  await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] });
  // No queries in between: the time-skipping server answers a query with a workflow task of its own.
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('2 hours');
  const finalized = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  const { attempt } = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(attempt?.status).toBe('started');
  await handle.signal(paymentResultSignal, { orderId: attempt!.orderId, outcome: 'paid', providerRef: attempt!.providerRef!, amount: finalized.amount!.gross, currency: 'RON' });
  // The exit key opens only for a paid session.
  const exit = await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'exit', macAddress: '76:86:BB:DE:63:AE' }] });
  expect(exit.key.remainingTries).toBe(2);
  await handle.signal(gateEventSignal, { direction: 'exit' });
  expect(await handle.result()).toMatchObject({ state: 'closed', paymentStatus: 'paid', paidVia: 'card' });

  const history = await handle.fetchHistory();
  const counts = historyCounts(history);
  // Started with a revision (lean-v4, as the API starts it): 67 with the lean-v3 and stale-sessions patches, 60 now.
  // No patch is asked, so no marker and no TemporalChangeVersion upsert (4 events); the stale clock's deadlines keep
  // their timers across nearer ones instead of being cancelled and started again (3 events).
  expect(counts.events).toBeLessThanOrEqual(60);
  const patchMarkers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(patchMarkers).toHaveLength(0);
  // Entry timeout, active and exiting deadlines, the first status check: one timer each, none started twice.
  expect(counts.timers).toBe(4);
  expect(counts.activities).toBeLessThanOrEqual(4);
  // The one remaining activity is the provider call; pricing, ledger and read model are local activities.
  expect(counts.activities).toBe(1);
  expect(counts.localActivities).toBeGreaterThanOrEqual(6);
  expect(counts.localActivities).toBeLessThanOrEqual(8);
  // The start's own attributes are not upserted again; then active, exiting, paid and closed: one upsert each.
  expect(counts.searchAttributeUpserts).toBe(4);
  expect(counts).toMatchObject({ signals: 3, updates: 4 });

  // Local activities still wrote everything: the ledger once per key and the read model's final version.
  const rows = await LedgerModel.find({ sessionId: '9010' }).lean();
  expect(rows.map((r) => r.kind).sort()).toEqual(['attempt', 'capture']);
  const projected = await SessionModel.findOne({ sessionId: 9010 }).lean();
  expect(projected).toMatchObject({ state: 'closed', paymentStatus: 'paid', amountGross: finalized.amount!.gross });
  expect((projected?.view as { exitKey?: { remainingTries: number } } | undefined)?.exitKey?.remainingTries).toBe(2);
});

test("the exit key opens on a payment callback that reaches the workflow in the same task as the driver's exit try", async () => {
  // Its own task queue and workers: the first is stopped so the callback and the exit try wait together, and the
  // next workflow task delivers both (the app opens the gate the moment the driver has paid).
  const taskQueue = `${w.taskQueue}-same-task`;
  const startWorker = async () => {
    const activities = createActivities(activityDeps(w.config, createProviderClients(w.config), w.env.client, taskQueue));
    // No workflow cache, so no sticky queue: the next task goes to whichever worker polls the task queue.
    const sizing = { maxCachedWorkflows: 0, maxConcurrentWorkflowTaskExecutions: 2, maxConcurrentActivityTaskExecutions: 2, maxConcurrentLocalActivityExecutions: 2 };
    const worker = await createWorker({ dataConverter: testDataConverter, connection: w.env.nativeConnection, namespace: w.env.namespace ?? 'default', taskQueue, activities, sizing });
    return { worker, running: worker.run() };
  };
  const first = await startWorker();
  const handle = await w.env.client.workflow.start(parkingSession, { workflowId: sessionWorkflowId(9011), taskQueue, args: [input(9011)] });
  await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('1 hour');
  const finalized = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  const { attempt } = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  first.worker.shutdown();
  await first.running;

  await handle.signal(paymentResultSignal, { orderId: attempt!.orderId, outcome: 'paid', providerRef: attempt!.providerRef!, amount: finalized.amount!.gross, currency: 'RON' });
  const exitTry = handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'exit', macAddress: '76:86:BB:DE:63:AE' }] });
  const second = await startWorker();
  try {
    const exit = await exitTry;
    expect(exit.key.remainingTries).toBe(2);
    expect(exit.view.paymentStatus).toBe('paid');
    await handle.signal(gateEventSignal, { direction: 'exit' });
    expect(await handle.result()).toMatchObject({ state: 'closed', paymentStatus: 'paid' });
  } finally {
    second.worker.shutdown();
    await second.running;
  }
});

test('sessions evicted from a two-workflow cache replay on their next event, and each is paid once', async () => {
  // The production sizing in small: more open sessions than cached workflows (WORKER_MAX_CACHED_WORKFLOWS), so
  // each session's next event finds it evicted and the worker rebuilds it from its history.
  const taskQueue = `${w.taskQueue}-tiny-cache`;
  const activities = createActivities(activityDeps(w.config, createProviderClients(w.config), w.env.client, taskQueue));
  const sizing = { maxCachedWorkflows: 2, maxConcurrentWorkflowTaskExecutions: 2, maxConcurrentActivityTaskExecutions: 2, maxConcurrentLocalActivityExecutions: 2 };
  const worker = await createWorker({ dataConverter: testDataConverter, connection: w.env.nativeConnection, namespace: w.env.namespace ?? 'default', taskQueue, activities, sizing });
  const running = worker.run();
  try {
    const ids = [9020, 9021, 9022, 9023];
    const handles = [];
    for (const id of ids) {
      const handle = await w.env.client.workflow.start(parkingSession, { workflowId: sessionWorkflowId(id), taskQueue, args: [input(id)] });
      await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] });
      await handle.signal(gateEventSignal, { direction: 'entrance' });
      handles.push(handle);
    }
    expect(worker.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);
    await w.env.sleep('2 hours');
    // Round the sessions step by step: each step of one session comes after the others pushed it out of the cache.
    const finalized = [];
    for (const handle of handles) finalized.push(await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] }));
    const attempts = [];
    for (const handle of handles) attempts.push((await handle.executeUpdate(startPaymentUpdate, { args: [] })).attempt!);
    for (const [i, handle] of handles.entries()) {
      const { orderId, providerRef } = attempts[i]!;
      await handle.signal(paymentResultSignal, { orderId, outcome: 'paid', providerRef: providerRef!, amount: finalized[i]!.amount!.gross, currency: 'RON' });
    }
    for (const handle of handles) {
      const exit = await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'exit', macAddress: '76:86:BB:DE:63:AE' }] });
      expect(exit.view.paymentStatus).toBe('paid');
    }
    for (const handle of handles) await handle.signal(gateEventSignal, { direction: 'exit' });
    for (const [i, handle] of handles.entries()) {
      expect(await handle.result()).toMatchObject({ state: 'closed', paymentStatus: 'paid', amount: finalized[i]!.amount });
      // Replays book nothing twice: one attempt and one capture in the ledger.
      const rows = await LedgerModel.find({ sessionId: String(ids[i]) }).lean();
      expect(rows.map((r) => r.kind).sort()).toEqual(['attempt', 'capture']);
      // Evicted indeed: besides the first, workflow tasks went to the task queue, not to the worker's sticky queue.
      const scheduled = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowTaskScheduledEventAttributes);
      const toTaskQueue = scheduled.filter((e) => e.workflowTaskScheduledEventAttributes!.taskQueue?.name === taskQueue);
      expect(toTaskQueue.length).toBeGreaterThan(1);
    }
    expect(worker.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);
  } finally {
    worker.shutdown();
    await running;
  }
});
