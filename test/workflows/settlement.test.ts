/**
 * Settling card attempts with the provider, on the time-skipping server with the real NETOPIA sandbox. The API
 * does not run here, so every IPN the sandbox sends is lost: the only way the workflow learns of a payment is by
 * asking NETOPIA, which is exactly the safety net under test. Each test ends with the exactly-once check against
 * the sandbox's charge records and the ledger.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { LedgerModel } from '../../src/db/models';
import { sessionWorkflowId } from '../../src/temporal/ids';
import {
  cancelUpdate,
  finalizeUpdate,
  gateEventSignal,
  paymentResultSignal,
  sessionViewQuery,
  startPaymentUpdate,
  type SessionView,
} from '../../workflows/messages';
import { parkingSession } from '../../workflows/parking-session';
import { rejectionOf } from '../helpers/errors';
import { barrierInput } from '../helpers/session-input';
import { startWorkflowWorld, type WorkflowWorld } from '../helpers/workflow-world';

let w: WorkflowWorld;
beforeAll(async () => {
  w = await startWorkflowWorld('wf_settlement');
});
afterAll(() => w?.stop());

interface SandboxRecord {
  kind: string;
  orderId: string;
  approved?: boolean;
  amount?: string;
}

async function sandbox(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${w.sandboxUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const records = async () => (await sandbox('GET', '/netopia/_records')).json as SandboxRecord[];
const payAtNetopia = (orderId: string, capture: { amount?: string; currency?: string } = {}) => sandbox('POST', `/netopia/_orders/${orderId}/pay`, capture);
const ledgerOf = (sessionId: number) => LedgerModel.find({ sessionId: String(sessionId) }).sort({ occurredAt: 1 }).lean();

/** Entered two hours ago, finalized, pay page opened: one started NETOPIA order. */
async function startedAttempt(sessionId: number): Promise<{ handle: WorkflowHandle<typeof parkingSession>; view: SessionView }> {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: w.taskQueue,
    args: [barrierInput(sessionId)],
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('2 hours');
  await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  const { attempt, view } = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(attempt?.status).toBe('started');
  return { handle, view };
}

/**
 * Exactly once: every approved NETOPIA charge of the session has one capture row; money kept is at most one
 * charge, and every charge not kept has a refund both at NETOPIA and in the ledger.
 */
async function expectExactlyOnce(sessionId: number, keptCharges: 0 | 1): Promise<void> {
  const recs = (await records()).filter((r) => r.orderId.startsWith(`${sessionId}-`));
  const charges = recs.filter((r) => r.kind === 'charge' && r.approved);
  const rows = await ledgerOf(sessionId);
  for (const c of charges) expect(rows.filter((r) => r.kind === 'capture' && (r.providerRefs as { orderId: string }).orderId === c.orderId)).toHaveLength(1);
  expect(rows.filter((r) => r.kind === 'capture')).toHaveLength(charges.length);
  const refundedOrders = new Set(recs.filter((r) => r.kind === 'refund').map((r) => r.orderId));
  const ledgerRefunds = new Set(rows.filter((r) => r.kind === 'refund').map((r) => (r.providerRefs as { orderId: string }).orderId));
  expect([...ledgerRefunds].sort()).toEqual([...refundedOrders].sort());
  expect(charges.filter((c) => !refundedOrders.has(c.orderId))).toHaveLength(keptCharges);
}

test('an IPN that never arrives: the status check finds the capture, the session is paid once', async () => {
  const { handle } = await startedAttempt(9101);
  expect((await payAtNetopia('9101-1')).status).toBe(200);
  await w.env.sleep('1 minute');
  const view = await handle.query(sessionViewQuery);
  expect(view.paymentStatus).toBe('paid');
  expect(view.attempts.map((a) => a.status)).toEqual(['captured']);
  // A late duplicate of the same result changes nothing.
  await handle.signal(paymentResultSignal, { orderId: '9101-1', outcome: 'paid', providerRef: view.attempts[0]!.providerRef!, amount: view.amount!.gross, currency: 'RON' });
  await w.env.sleep('1 minute');
  await expectExactlyOnce(9101, 1);
});

test('the clock never ends a started attempt: past its time it is asked about, then voided, and a card cannot be taken on it any more', async () => {
  const { handle } = await startedAttempt(9102);
  await w.env.sleep('20 minutes');
  const view = await handle.query(sessionViewQuery);
  expect(view.attempts[0]).toMatchObject({ status: 'voided', reasonCode: 'attempt_expired' });
  expect((await payAtNetopia('9102-1')).status).toBeGreaterThanOrEqual(400);
  const again = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(again.attempt).toMatchObject({ orderId: '9102-2', status: 'started' });
  await expectExactlyOnce(9102, 0);
});

test('paid at the provider, attempt past its time: settled as paid, not voided', async () => {
  const { handle } = await startedAttempt(9103);
  await payAtNetopia('9103-1');
  await w.env.sleep('20 minutes');
  const view = await handle.query(sessionViewQuery);
  expect(view.paymentStatus).toBe('paid');
  expect(view.attempts[0]!.status).toBe('captured');
  await expectExactlyOnce(9103, 1);
});

test('an ops cancel while an attempt is started voids it before the workflow completes; the driver cannot pay afterwards', async () => {
  const { handle } = await startedAttempt(9104);
  const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'barrier broken' }] });
  expect(cancelled.state).toBe('cancelled');
  const result = await handle.result();
  expect(result.attempts[0]!.status).toBe('voided');
  expect((await payAtNetopia('9104-1')).status).toBeGreaterThanOrEqual(400);
  await expectExactlyOnce(9104, 0);
});

test('paid while the session was being cancelled: the capture is booked and refunded, never dropped', async () => {
  const { handle } = await startedAttempt(9105);
  await payAtNetopia('9105-1'); // its IPN is lost: the workflow does not know yet
  await handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'cancelled at the desk' }] });
  const result = await handle.result();
  expect(result.state).toBe('cancelled');
  expect(result.attempts[0]!.status).toBe('captured');
  await w.env.sleep('1 minute'); // the order-refund workflow runs on its own
  await expectExactlyOnce(9105, 0);
  const rows = await ledgerOf(9105);
  expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['capture', 'refund']));
});

test('a capture with the wrong amount never opens the exit: held for ops and refunded', async () => {
  const { handle, view } = await startedAttempt(9106);
  await payAtNetopia('9106-1', { amount: '1.00' });
  await w.env.sleep('1 minute');
  const after = await handle.query(sessionViewQuery);
  expect(after.paymentStatus).not.toBe('paid');
  expect(after.attentionCode).toBe('amount_mismatch');
  expect(after.attempts[0]).toMatchObject({ status: 'captured', reasonCode: 'amount_mismatch', capture: { amount: '1.00', currency: 'RON' } });
  expect(view.amount!.gross).not.toBe('1.00');
  await w.env.sleep('1 minute');
  await expectExactlyOnce(9106, 0);
  // The driver can still pay the right amount on a fresh attempt.
  const next = await handle.executeUpdate(startPaymentUpdate, { args: [] });
  expect(next.attempt?.orderId).toBe('9106-2');
});

test('an ops cancel racing a finalize: one wins whole, never a half-finalized cancelled session', async () => {
  const handle = await w.env.client.workflow.start(parkingSession, {
    workflowId: sessionWorkflowId(9107),
    taskQueue: w.taskQueue,
    args: [barrierInput(9107)],
  });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('2 hours');
  const [finalized, cancelled] = await Promise.allSettled([
    handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] }),
    handle.executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason: 'test' }] }),
  ]);
  expect(cancelled.status).toBe('fulfilled');
  const result = await handle.result();
  expect(result.state).toBe('cancelled');
  expect(result.closedReason).toBe('cancelled by ops: test');
  expect(result.attempts.every((a) => a.status !== 'open' && a.status !== 'started')).toBe(true);
  if (finalized.status === 'fulfilled') expect(finalized.value.state).toBe('exiting');
  expect(await rejectionOf(handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] }))).toBeTruthy();
});

test('a reversal after payment gets its own ledger row and asks for a person', async () => {
  const { handle } = await startedAttempt(9108);
  await payAtNetopia('9108-1');
  await w.env.sleep('1 minute');
  const paid = await handle.query(sessionViewQuery);
  expect(paid.paymentStatus).toBe('paid');
  const ref = paid.attempts[0]!.providerRef!;
  await handle.signal(paymentResultSignal, { orderId: '9108-1', outcome: 'reversed', providerRef: ref, amount: paid.amount!.gross, currency: 'RON' });
  await handle.signal(paymentResultSignal, { orderId: '9108-1', outcome: 'reversed', providerRef: ref, amount: paid.amount!.gross, currency: 'RON' });
  await w.env.sleep('10 seconds');
  const after = await handle.query(sessionViewQuery);
  expect(after.attentionCode).toBe('reversal');
  const rows = await ledgerOf(9108);
  expect(rows.filter((r) => r.kind === 'reversal')).toHaveLength(1);
  expect(rows.filter((r) => r.kind === 'capture')).toHaveLength(1);
});
