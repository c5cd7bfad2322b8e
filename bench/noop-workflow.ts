/**
 * The no-op twin of a card-paid barrier session for `npm run bench:load`: the same signals, updates, activities and
 * local activities as a lean-v3 parkingSession, doing nothing. What the engine costs for a session's shape alone.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export interface NoopActivities {
  noop(): Promise<void>;
}

const remote = proxyActivities<NoopActivities>({ startToCloseTimeout: '10 seconds' });
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '10 seconds' });

// Its own definitions, not workflows/messages.ts: the names match the session's so the history has the same shape,
// but the payloads are minimal and the updates answer a step count, not a session view.
export const noopGate = defineSignal<[string]>('gateEvent');
export const noopPaid = defineSignal<[]>('paymentResult');
export const noopAccess = defineUpdate<number, [string]>('accessAttempt');
export const noopFinalize = defineUpdate<number, []>('finalize');
export const noopStartPayment = defineUpdate<number, []>('startPayment');

/** Local activities per step as the lean session runs them: start 1, entry 1, finalize 2, pay 1, paid 1, exit 1. */
export async function noopSession(): Promise<number> {
  let steps = 0;
  let exited = false;
  setHandler(noopGate, async (direction) => {
    await local.noop();
    steps += 1;
    if (direction === 'exit') exited = true;
  });
  setHandler(noopPaid, async () => {
    await local.noop();
    steps += 1;
  });
  setHandler(noopAccess, () => ++steps);
  setHandler(noopFinalize, async () => {
    await local.noop();
    await local.noop();
    return ++steps;
  });
  setHandler(noopStartPayment, async () => {
    await remote.noop();
    await local.noop();
    return ++steps;
  });
  await local.noop(); // the first projection
  await condition(() => exited);
  return steps;
}
