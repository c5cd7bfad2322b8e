import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CardPaymentStatus, CardProviderName } from '../providers/card-provider';
import { lateProviderResultSignal, paymentResultSignal, type PaymentResult } from '../../workflows/messages';
import { lateCapture } from '../../workflows/late-capture';
import { lateCaptureWorkflowId, sessionWorkflowId } from './ids';

/** Outcomes after which money was taken at some point: they must reach the ledger even with no session left. */
const MONEY_OUTCOMES: ReadonlySet<PaymentResult['outcome']> = new Set(['paid', 'refunded', 'reversed', 'chargeback']);

export type Delivery = 'session' | 'late-capture' | 'nothing-to-do';

/**
 * A verified, final card outcome goes to its session workflow. When that workflow is gone (completed, or the
 * history expired), an outcome that moved money starts the order's late-capture workflow instead, which books
 * it and gives it back: a verified capture is never dropped, never answered "do not resend".
 * Temporal being unreachable is thrown: the callback route answers the provider "retry later".
 */
export async function deliverProviderResult(
  temporal: Client,
  taskQueue: string,
  sessionId: number,
  provider: CardProviderName,
  s: CardPaymentStatus & { outcome: PaymentResult['outcome'] },
): Promise<Delivery> {
  const result: PaymentResult = {
    orderId: s.orderId,
    outcome: s.outcome,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.reasonCode ? { reasonCode: s.reasonCode } : {}),
    providerRef: s.providerRef,
    amount: s.amount,
    currency: s.currency,
    ...(s.cardLast4 ? { cardLast4: s.cardLast4 } : {}),
  };
  try {
    await temporal.workflow.getHandle(sessionWorkflowId(sessionId)).signal(paymentResultSignal, result);
    return 'session';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (!MONEY_OUTCOMES.has(result.outcome)) return 'nothing-to-do';
  await temporal.workflow.signalWithStart(lateCapture, {
    workflowId: lateCaptureWorkflowId(result.orderId),
    taskQueue,
    args: [{ orderId: result.orderId, sessionId }],
    signal: lateProviderResultSignal,
    signalArgs: [{ ...result, provider }],
  });
  return 'late-capture';
}

export function isFinalOutcome(outcome: CardPaymentStatus['outcome']): outcome is PaymentResult['outcome'] {
  return outcome !== 'pending';
}
