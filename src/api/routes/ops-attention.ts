import { Router, type Request } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { SessionModel, sessionRowId } from '../../db/models';
import { availableOpsActions, type OpsActionName } from '../../domain/ops-actions';
import { opsActionSignal, type OpsAction, type SessionView } from '../../../workflows/messages';
import { audited } from '../audit';
import { recordOpsAction } from '../ops-action-ledger';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, zodDetails } from '../errors';
import { IdText } from '../schemas/ids';
import { loadSession, parseSessionId, sessionHandle } from '../sessions';

export const QueueQuery = z
  .object({
    reason: z.string().regex(/^[a-z_]{1,60}$/, 'reason: an attention code like amount_mismatch').optional(),
    parking_id: IdText.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** The last session id of the previous page: the queue is newest first. */
    before_id: IdText.optional(),
  })
  .strict();
export const ActionBody = z.object({ note: z.string().trim().min(3, 'note: say what you decided and why').max(500) }).strict();
export const RetryBody = z.object({ note: z.string().trim().max(500).default('retry settlement now') }).strict();

const UNSETTLED = new Set(['started']);
const unsettled = (v: SessionView) => v.attempts.filter((a) => UNSETTLED.has(a.status)).length;

/** Where each action is done: the existing session routes for the money and state actions. */
const ACTION_ROUTES: Record<OpsActionName, (id: number) => { method: string; path: string }> = {
  resolve: (id) => ({ method: 'POST', path: `/api/ops/sessions/${id}/attention/resolve` }),
  retry: (id) => ({ method: 'POST', path: `/api/ops/sessions/${id}/attention/retry` }),
  refund: (id) => ({ method: 'POST', path: `/api/ops/sessions/${id}/refunds` }),
  cancel: (id) => ({ method: 'POST', path: `/api/ops/sessions/${id}/cancel` }),
  manual_stop: (id) => ({ method: 'POST', path: `/api/ops/sessions/${id}/manual-stop` }),
};

function queueEntry(v: SessionView, running: boolean, updatedAt: Date | null) {
  const actions = availableOpsActions({
    kind: v.kind,
    state: v.state,
    paymentStatus: v.paymentStatus,
    paidVia: v.paidVia,
    attentionCode: v.attentionCode ?? null,
    unsettledAttempts: unsettled(v),
    running,
  });
  return {
    session_id: v.sessionId,
    parking_id: v.parkingId,
    kind: v.kind,
    state: v.state,
    payment_status: v.paymentStatus,
    amount: v.amount ? { gross: v.amount.gross, currency: v.amount.currency } : null,
    attention: { code: v.attentionCode ?? null, message: v.attention },
    updated_at: updatedAt,
    actions: actions.map((name) => ({ name, ...ACTION_ROUTES[name](v.sessionId) })),
  };
}

/**
 * The ops queue: every session that needs a person, newest first, with what can be done about it. Resolve and
 * retry are recorded three times: the signal in the session's history, a zero-amount `ops_action` ledger row,
 * and the audit trail.
 */
export function opsAttentionRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { temporal } = deps;
  r.use(['/api/ops/attention', '/api/ops/sessions/:id/attention'], requireOps);

  r.get('/api/ops/attention', async (req, res) => {
    const q = QueueQuery.safeParse(req.query);
    if (!q.success) throw badRequest('invalid query', zodDetails(q.error));
    const filter: Record<string, unknown> = { 'view.attentionCode': q.data.reason ?? { $nin: [null, ''] } };
    if (q.data.parking_id) filter.parkingId = q.data.parking_id;
    if (q.data.before_id) filter.sessionId = { $lt: q.data.before_id };
    const rows = await SessionModel.find(filter).sort({ sessionId: -1 }).limit(q.data.limit).lean();
    const items = rows.map((row) => {
      const v = row.view as SessionView;
      // The read model's terminal rows are the closed workflows; signals reach only running ones.
      return queueEntry(v, !['closed', 'cancelled', 'expired'].includes(v.state), (row as { updatedAt?: Date }).updatedAt ?? null);
    });
    res.json({ items, next_before_id: rows.length === q.data.limit ? rows[rows.length - 1].sessionId : null });
  });

  const act = async (req: Request, action: OpsAction['action'], note: string) => {
    const id = parseSessionId(String(req.params.id));
    const view = await loadSession(temporal, id);
    if (!view.attentionCode) throw new ApiError(409, 'no_attention', `parking session ${id} does not need a person`);
    const running = !['closed', 'cancelled', 'expired'].includes(view.state);
    if (action === 'retry' && !availableOpsActions({ ...view, attentionCode: view.attentionCode, unsettledAttempts: unsettled(view), running }).includes('retry')) {
      throw new ApiError(422, 'nothing_to_retry', `parking session ${id} has no payment to settle with the provider`);
    }
    const by = req.opsUser ?? 'unknown';
    const at = new Date();
    return audited(req, `attention_${action}`, `session:${id}`, { attention: view.attentionCode, note }, async () => {
      let delivered = true;
      try {
        await sessionHandle(temporal, id).signal(opsActionSignal, { action, by, note });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError) || action === 'retry') throw err;
        delivered = false;
      }
      if (!delivered) {
        // The workflow is gone (closed and past retention): the read model is all there is to correct.
        const lastOpsAction = { action, by, note, at: at.toISOString(), attentionCode: view.attentionCode ?? null };
        await SessionModel.updateOne({ _id: sessionRowId(id) }, { $set: { 'view.attentionCode': null, 'view.attention': null, 'view.lastOpsAction': lastOpsAction } });
      }
      await recordOpsAction(view, { name: action, by, at, note });
      return { session_id: id, action, by, at: at.toISOString(), attention_was: view.attentionCode };
    });
  };

  r.post('/api/ops/sessions/:id/attention/resolve', async (req, res) => {
    const body = ActionBody.safeParse(req.body ?? {});
    if (!body.success) throw badRequest('a resolution needs a note', zodDetails(body.error));
    res.json(await act(req, 'resolve', body.data.note));
  });

  r.post('/api/ops/sessions/:id/attention/retry', async (req, res) => {
    const body = RetryBody.safeParse(req.body ?? {});
    if (!body.success) throw badRequest('invalid retry', zodDetails(body.error));
    res.status(202).json(await act(req, 'retry', body.data.note));
  });

  return r;
}
