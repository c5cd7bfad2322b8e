/**
 * One ops refund of a paid card session. Its own workflow (`refund-<sessionId>-<requestId>`) so it works
 * after the session workflow has closed, and so a repeated request id refunds once. A refusal is the
 * workflow's result, not a failure: the run completes, and the API answers it as a 4xx.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RefundActivities, RefundOutcome, RefundRequest } from '../activities/refunds';

const { refundSessionPayment } = proxyActivities<RefundActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['RefundRejected', 'CardProviderRejected'] },
});

export type SessionRefundInput = RefundRequest;

export async function sessionRefund(input: SessionRefundInput): Promise<RefundOutcome> {
  return refundSessionPayment(input);
}
