/**
 * Sessions never wait for ever: active or exiting longer than the maximum, they go to ops (Attention
 * `stale_session`) once per period. The clock ends nothing: a started card attempt is asked about at NETOPIA (the
 * sandbox; its IPNs are lost here, as no API runs) and only a person's cancel ends the session.
 */
import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import type { WorkflowHandle } from '@temporalio/client';
import { LedgerModel, SessionModel } from '../../src/db/models';
import { findParkingByAreaCode, toParkingSnapshot } from '../../src/db/parking-snapshot';
import { availableOpsActions } from '../../src/domain/ops-actions';
import { historyCounts } from '../../src/temporal/history-counts';
import { sessionWorkflowId } from '../../src/temporal/ids';
import {
  autopayCancelledSignal,
  cancelUpdate,
  finalizeUpdate,
  gateEventSignal,
  opsActionSignal,
  sessionViewQuery,
  startPaymentUpdate,
  type ParkingSessionInput,
} from '../../workflows/messages';
import { parkingSession } from '../../workflows/parking-session';
import { SA_ATTENTION } from '../../workflows/search-attributes';
import { barrierInput } from '../helpers/session-input';
import { startWorkflowWorld, type WorkflowWorld } from '../helpers/workflow-world';

let w: WorkflowWorld;
beforeAll(async () => {
  w = await startWorkflowWorld('wf_stale_sessions');
});
afterAll(() => w?.stop());

const HOUR = 3_600_000;
const MINUTE = 60_000;

function input(sessionId: number, settings: Partial<ParkingSessionInput['settings']>): ParkingSessionInput {
  const base = barrierInput(sessionId);
  return { ...base, settings: { ...base.settings, ...settings } };
}

async function entered(sessionId: number, settings: Partial<ParkingSessionInput['settings']>): Promise<WorkflowHandle<typeof parkingSession>> {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: w.taskQueue,
    args: [input(sessionId, settings)],
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  expect((await handle.query(sessionViewQuery)).state).toBe('active');
  return handle;
}

const attentionAttribute = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(SA_ATTENTION);
const netopiaRecords = async () => (await (await fetch(`${w.sandboxUrl}/netopia/_records`)).json()) as Array<{ kind: string; orderId: string }>;
const payAtNetopia = (orderId: string) => fetch(`${w.sandboxUrl}/netopia/_orders/${orderId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

/** The patches a workflow's history recorded (core_patch markers), in order. */
async function patchesRecorded(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => (JSON.parse(Buffer.from(m!.details!['patch-data']!.payloads![0]!.data!).toString('utf8')) as { id: string }).id);
}

/** When each NETOPIA status query of this workflow was scheduled (workflow time, ms). */
async function statusQueriesAt(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'cardPaymentStatus')
    .map((e) => tsToMs(e.eventTime));
}

test('an active session past its maximum goes to ops once, stays active and uncharged; a resolve restarts the clock, a cancel ends it', async () => {
  const handle = await entered(9301, { maxActiveMs: 6 * HOUR });
  await w.env.sleep(5 * HOUR);
  const within = await handle.query(sessionViewQuery);
  expect(within).toMatchObject({ state: 'active', attentionCode: null });

  await w.env.sleep(2 * HOUR);
  const stale = await handle.query(sessionViewQuery);
  expect(stale).toMatchObject({ state: 'active', paymentStatus: 'none', amount: null, attentionCode: 'stale_session' });
  expect(stale.attention).toMatch(/^active since .*longer than the 6 h maximum: no finalize or exit yet/);
  expect(await attentionAttribute(handle)).toBe('stale_session');
  expect((await SessionModel.findOne({ sessionId: 9301 }).lean())?.view).toMatchObject({ attentionCode: 'stale_session', state: 'active' });
  // Started as the API starts it (a revision in the input): the clock is there by construction, no patch marker.
  expect(await patchesRecorded(handle)).toEqual([]);

  // Flagged once: no timer and no further attention write while it waits for a person.
  const before = historyCounts(await handle.fetchHistory());
  await w.env.sleep(3 * 24 * HOUR);
  const after = historyCounts(await handle.fetchHistory());
  expect({ timers: after.timers, upserts: after.searchAttributeUpserts }).toEqual({ timers: before.timers, upserts: before.searchAttributeUpserts });

  // A resolve clears it and gives the session another full period from then.
  await handle.signal(opsActionSignal, { action: 'resolve', by: 'ops-anna', note: 'driver abroad, the car stays' });
  await w.env.sleep(5 * HOUR);
  const resolved = await handle.query(sessionViewQuery);
  expect(resolved).toMatchObject({ state: 'active', attentionCode: null, lastOpsAction: { action: 'resolve', attentionCode: 'stale_session' } });
  await w.env.sleep(2 * HOUR);
  expect((await handle.query(sessionViewQuery)).attentionCode).toBe('stale_session');

  const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'car towed' }] });
  expect(cancelled.state).toBe('cancelled');
  expect((await handle.result()).state).toBe('cancelled');
  expect(await LedgerModel.countDocuments({ sessionId: '9301' })).toBe(0);
});

test('a session whose input has no revision (started before lean-v4) runs its patched clock: markers recorded, flagged the same', async () => {
  const { revision: _lean, ...older } = input(9305, { maxActiveMs: HOUR });
  const handle = await w.env.client.workflow.start(parkingSession, { workflowId: sessionWorkflowId(9305), taskQueue: w.taskQueue, args: [older] });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep(2 * HOUR);
  expect(await handle.query(sessionViewQuery)).toMatchObject({ state: 'active', attentionCode: 'stale_session' });
  expect(await attentionAttribute(handle)).toBe('stale_session');
  expect(await patchesRecorded(handle)).toEqual(['lean-v3', 'stale-sessions']);
  await handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'car towed' }] });
  expect((await handle.result()).state).toBe('cancelled');
});

/** Entered, two hours later finalized and the pay page opened: one started NETOPIA order. */
async function startedAttempt(sessionId: number) {
  const handle = await entered(sessionId, { maxExitingMs: 10 * MINUTE, paymentAttemptTtlMs: 60 * MINUTE });
  await w.env.sleep(2 * HOUR);
  const finalized = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  const { attempt } = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(attempt?.status).toBe('started');
  return { handle, exitingSince: new Date(finalized.endTime!).getTime(), orderId: attempt!.orderId };
}

test('an exiting session with a started card payment past its maximum is asked about at the provider and flagged, never cancelled by the clock', async () => {
  const { handle, exitingSince, orderId } = await startedAttempt(9302);
  await w.env.sleep(6 * MINUTE);
  expect((await handle.query(sessionViewQuery)).attentionCode).toBeNull();

  await w.env.sleep(5 * MINUTE);
  const stale = await handle.query(sessionViewQuery);
  expect(stale).toMatchObject({ state: 'exiting', paymentStatus: 'pending', attentionCode: 'stale_session' });
  expect(stale.attention).toMatch(/^exiting since .*longer than the 10 min maximum: not paid \(payment pending\)/);
  expect(stale.attempts.map((a) => a.status)).toEqual(['started']);
  // Asked at the deadline (the attempt's own schedule asks at 30 s, 2 and 5 min, then 15 min); nothing voided.
  expect((await statusQueriesAt(handle)).filter((t) => t >= exitingSince + 10 * MINUTE)).toHaveLength(1);
  expect((await netopiaRecords()).filter((r) => r.orderId === orderId && r.kind === 'void')).toHaveLength(0);

  // A person's cancel ends it: the started order is asked about and voided at NETOPIA before the workflow completes.
  await handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'driver left without paying' }] });
  const result = await handle.result();
  expect(result).toMatchObject({ state: 'cancelled' });
  expect(result.attempts[0]!.status).toBe('voided');
  expect((await netopiaRecords()).filter((r) => r.orderId === orderId && r.kind === 'void')).toHaveLength(1);
});

test('the stale check finds a payment whose IPN was lost; ops resolve it and the exit closes the session', async () => {
  const { handle, orderId } = await startedAttempt(9303);
  await w.env.sleep(6 * MINUTE);
  expect((await payAtNetopia(orderId)).status).toBe(200);
  // Only the deadline's question can find it before the attempt's 15-minute status check.
  await w.env.sleep(5 * MINUTE);
  const stale = await handle.query(sessionViewQuery);
  expect(stale).toMatchObject({ state: 'exiting', paymentStatus: 'paid', attentionCode: 'stale_session' });
  expect(stale.attention).toMatch(/paid, but no exit was reported/);

  await handle.signal(opsActionSignal, { action: 'resolve', by: 'ops-anna', note: 'paid; the exit gate was offline' });
  await handle.signal(gateEventSignal, { direction: 'exit' });
  expect(await handle.result()).toMatchObject({ state: 'closed', paymentStatus: 'paid', attentionCode: null });
  expect((await LedgerModel.find({ sessionId: '9303' }).lean()).map((r) => r.kind).sort()).toEqual(['attempt', 'capture']);
});

test('a camera (ANPR) session Autopay never ends goes to ops with manual stop offered; nothing is charged', async () => {
  await fetch(`${w.sandboxUrl}/autopay/_camera/enter`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ area_code: 'area1', vehicle_reg: 'STALE1', plate_issuer: 'NOR' }),
  });
  const parking = (await findParkingByAreaCode('area1'))!;
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9304),
    taskQueue: w.taskQueue,
    args: [
      {
        sessionId: 9304,
        driverId: 'demo-driver',
        kind: 'anpr',
        parking: toParkingSnapshot(parking),
        anpr: { operatorId: 'demo-operator', areaCode: 'area1', vehicleReg: 'STALE1', plateIssuer: 'NOR', plateSubdivision: null },
        createdAt: new Date().toISOString(),
        settings: { entryTimeoutMs: 2 * HOUR, paymentAttemptTtlMs: 15 * MINUTE, smartKeyTries: 3, maxActiveMs: 48 * HOUR },
      },
    ],
  });
  let view = await handle.query(sessionViewQuery);
  for (let i = 0; i < 100 && view.state === 'entering'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    view = await handle.query(sessionViewQuery);
  }
  expect(view.state).toBe('active');
  await w.env.sleep(47 * HOUR);
  expect((await handle.query(sessionViewQuery)).attentionCode).toBeNull();
  await w.env.sleep(2 * HOUR);
  const stale = await handle.query(sessionViewQuery);
  expect(stale).toMatchObject({ kind: 'anpr', state: 'active', attentionCode: 'stale_session', amount: null });
  const actions = availableOpsActions({ ...stale, attentionCode: stale.attentionCode ?? null, unsettledAttempts: 0, running: true });
  expect(actions).toEqual(expect.arrayContaining(['resolve', 'cancel', 'manual_stop']));

  await handle.signal(autopayCancelledSignal, { autopayParkingId: stale.anpr!.autopayParkingId! });
  expect((await handle.result()).state).toBe('cancelled');
  expect(await LedgerModel.countDocuments({ sessionId: '9304' })).toBe(0);
});
