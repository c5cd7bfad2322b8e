/**
 * One automatic refund of a card order whose capture is not kept (a duplicate, a wrong amount, a capture after
 * the session ended). Its own workflow, `order-refund-<orderId>`, so it outlives the session and runs once per
 * order. Transient provider faults retry for ever; a refusal is booked and held for ops (Attention).
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderRefundActivities } from '../activities/contracts';
import { opsRefundDecisionSignal, orderRefundStateQuery, type OpsRefundDecision, type OrderRefundOutcome, type OrderRefundRequest, type OrderRefundState } from './messages';
import { SA_ATTENTION } from './search-attributes';

const { refundCapturedOrder } = proxyActivities<OrderRefundActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2 },
});

export async function orderRefund(req: OrderRefundRequest): Promise<OrderRefundOutcome & { resolvedBy?: string; note?: string }> {
  let decision: OpsRefundDecision | null = null;
  const state: OrderRefundState = { request: req, phase: 'refunding', refusal: null, decisions: [] };
  setHandler(opsRefundDecisionSignal, (d) => {
    // A decision is about the refusal ops looked at: one sent while the refund is being tried is not for this one.
    if (state.phase !== 'waiting_for_decision') return;
    decision = d;
    state.decisions.push(d);
  });
  setHandler(orderRefundStateQuery, () => state);
  for (;;) {
    state.phase = 'refunding';
    const outcome = await refundCapturedOrder(req);
    if (outcome.status === 'refunded') {
      upsertSearchAttributes([{ key: SA_ATTENTION, value: '' }]);
      state.phase = 'done';
      state.refusal = null;
      return outcome;
    }
    state.refusal = { code: outcome.code, message: outcome.message };
    upsertSearchAttributes([{ key: SA_ATTENTION, value: 'refund_refused' }]);
    decision = null;
    state.phase = 'waiting_for_decision';
    await condition(() => decision !== null);
    const d = decision as OpsRefundDecision | null;
    if (d?.action === 'resolve') {
      upsertSearchAttributes([{ key: SA_ATTENTION, value: '' }]);
      state.phase = 'done';
      return { ...outcome, resolvedBy: d.by, note: d.note };
    }
  }
}
