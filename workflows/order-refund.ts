/**
 * One automatic refund of a card order whose capture is not kept (a duplicate, a wrong amount, a capture after
 * the session ended). Its own workflow, `order-refund-<orderId>`, so it outlives the session and runs once per
 * order. Transient provider faults retry for ever; a refusal is booked and held for ops (Attention).
 */
import { condition, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderRefundActivities, OrderRefundOutcome, OrderRefundRequest } from '../activities/order-refunds';
import { SA_ATTENTION } from './search-attributes';

const { refundCapturedOrder } = proxyActivities<OrderRefundActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2 },
});

export interface OpsRefundDecision {
  action: 'retry' | 'resolve';
  by: string;
  note: string;
}
export const opsRefundDecisionSignal = defineSignal<[OpsRefundDecision]>('opsRefundDecision');

export async function orderRefund(req: OrderRefundRequest): Promise<OrderRefundOutcome & { resolvedBy?: string; note?: string }> {
  let decision: OpsRefundDecision | null = null;
  setHandler(opsRefundDecisionSignal, (d) => void (decision = d));
  for (;;) {
    const outcome = await refundCapturedOrder(req);
    if (outcome.status === 'refunded') {
      upsertSearchAttributes([{ key: SA_ATTENTION, value: '' }]);
      return outcome;
    }
    upsertSearchAttributes([{ key: SA_ATTENTION, value: 'refund_refused' }]);
    decision = null;
    await condition(() => decision !== null);
    const d = decision as OpsRefundDecision | null;
    if (d?.action === 'resolve') {
      upsertSearchAttributes([{ key: SA_ATTENTION, value: '' }]);
      return { ...outcome, resolvedBy: d.by, note: d.note };
    }
  }
}
