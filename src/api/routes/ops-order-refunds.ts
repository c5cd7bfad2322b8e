import { Router } from 'express';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { orderRefundWorkflowId } from '../../temporal/ids';
import type { orderRefund } from '../../../workflows/order-refund';
import { opsRefundDecisionSignal, orderRefundStateQuery, type OrderRefundState } from '../../../workflows/messages';
import { SA_ATTENTION } from '../../../workflows/search-attributes';
import { audited } from '../audit';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound, zodDetails } from '../errors';

/** Card order ids are `<sessionId>-<attempt>` (src/temporal/ids.ts parseOrderId). */
export const OrderIdParam = z.string().regex(/^\d{1,15}-\d{1,6}$/, 'order id: <session id>-<attempt>, e.g. 42-1');

export const RefundDecisionBody = z
  .strictObject({
    action: z.enum(['retry', 'resolve']),
    note: z.string().trim().max(500).default(''),
  })
  // Resolving keeps the captured money without a refund: the person must say how it was settled.
  .refine((b) => b.action !== 'resolve' || b.note.length > 0, { path: ['note'], message: 'a resolve needs a note saying how the money was settled' });

export interface OrderRefundView {
  order_id: string;
  workflow_id: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  status: string;
  /** The Attention search attribute ("refund_refused" while a refusal waits for ops); null when none. */
  attention: string | null;
  waiting_for_decision: boolean;
  phase: OrderRefundState['phase'] | null;
  refusal: OrderRefundState['refusal'];
  session_id: number | null;
  provider: string | null;
  amount: string | null;
  currency: string | null;
  decisions: OrderRefundState['decisions'];
  /** The workflow's result once it completed (refunded, or resolved by ops with the refusal it resolved). */
  result: unknown;
}

type OrderRefundHandle = WorkflowHandle<typeof orderRefund>;

/** The workflow's status and attention (describe) and its own account of where the refund stands (query). */
async function orderRefundView(temporal: Client, orderId: string): Promise<{ view: OrderRefundView; handle: OrderRefundHandle }> {
  const handle: OrderRefundHandle = temporal.workflow.getHandle(orderRefundWorkflowId(orderId));
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(`no automatic refund for order ${orderId}`);
    throw err;
  }
  let status = described.status.name;
  // Queries need a worker; a completed workflow's state is its result, read from history alone.
  const state = status === 'RUNNING' ? await handle.query(orderRefundStateQuery) : null;
  // A query waits for the task in flight, a describe does not: described again after it, the Attention is at least
  // as new as the state the query saw (both change in the same workflow task).
  if (state) {
    described = await handle.describe();
    status = described.status.name;
  }
  const attention = described.typedSearchAttributes.get(SA_ATTENTION) || null;
  const result = status === 'COMPLETED' ? await handle.result() : null;
  return {
    handle,
    view: {
      order_id: orderId,
      workflow_id: handle.workflowId,
      status,
      attention,
      waiting_for_decision: state?.phase === 'waiting_for_decision',
      phase: state?.phase ?? (status === 'COMPLETED' ? 'done' : null),
      refusal: state?.refusal ?? null,
      session_id: state?.request.sessionId ?? null,
      provider: state?.request.provider ?? null,
      amount: state?.request.amount ?? null,
      currency: state?.request.currency ?? null,
      decisions: state?.decisions ?? [],
      result,
    },
  };
}

/**
 * Automatic refunds the provider refused (`order-refund-<orderId>` waiting with Attention "refund_refused"):
 * ops look at one and decide to retry it or to resolve it by hand. Every decision is audited with the person.
 */
export function opsOrderRefundRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { temporal } = deps;
  r.use('/api/ops/order-refunds', requireOps);

  r.get('/api/ops/order-refunds/:orderId', async (req, res) => {
    const orderId = parseOrderIdParam(req.params.orderId);
    res.json({ order_refund: (await orderRefundView(temporal, orderId)).view });
  });

  r.post('/api/ops/order-refunds/:orderId/decision', async (req, res) => {
    const orderId = parseOrderIdParam(req.params.orderId);
    const body = RefundDecisionBody.safeParse(req.body ?? {});
    if (!body.success) throw badRequest('invalid decision', zodDetails(body.error));
    const decision = { action: body.data.action, by: req.opsUser ?? '', note: body.data.note };
    await audited(req, 'order_refund_decision', `order:${orderId}`, { action: decision.action, note: decision.note }, async () => {
      const { view, handle } = await orderRefundView(temporal, orderId);
      if (!view.waiting_for_decision) {
        throw conflict('not_waiting_for_decision', `the refund of order ${orderId} is not waiting for a decision (${view.status}, ${view.phase ?? 'unknown'})`);
      }
      await handle.signal(opsRefundDecisionSignal, decision);
    });
    res.status(202).json({ order_id: orderId, decision });
  });

  return r;
}

function parseOrderIdParam(raw: unknown): string {
  const parsed = OrderIdParam.safeParse(raw);
  if (!parsed.success) throw badRequest(parsed.error.issues[0]?.message ?? 'invalid order id');
  return parsed.data;
}
