/**
 * One ops refund of a paid card session. Its own workflow (`refund-<sessionId>-<requestId>`) so it works
 * after the session workflow has closed, and so a repeated request id refunds once.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RefundActivities } from '../activities/refunds';

const { refundSessionPayment } = proxyActivities<RefundActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['RefundRejected', 'CardProviderRejected'] },
});

export interface SessionRefundInput {
  sessionId: number;
  requestId: string;
  /** Decimal string; null refunds everything still refundable. */
  amount: string | null;
  reason: string;
}

export async function sessionRefund(input: SessionRefundInput): Promise<{ refundRef: string; amount: string; currency: string }> {
  return refundSessionPayment(input);
}
