import { Router } from 'express';
import { WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { SessionModel } from '../../db/models';
import { hasAtMost2Decimals } from '../../domain/money';
import { refundWorkflowId } from '../../temporal/ids';
import { cancelUpdate, requestManualStopUpdate, type SessionView } from '../../../workflows/messages';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { badRequest, unprocessable, zodDetails } from '../errors';
import { loadSession, parseSessionId, sessionHandle } from '../sessions';

const RefundBody = z.object({
  amount: z
    .string()
    .regex(/^\d+(\.\d{1,2})?$/, 'amount must be a decimal string with at most 2 decimals, e.g. "2.50"')
    .refine(hasAtMost2Decimals)
    .optional(),
  request_id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'request_id: 1-40 letters, digits, _ or -'),
  reason: z.string().max(200).default('ops refund'),
});

const SearchQuery = z.object({
  state: z.string().optional(),
  parking_id: z.coerce.number().int().optional(),
  plate: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Operations: find sessions, cancel, manual stop (Autopay), refund. Ops Bearer token. */
export function opsRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { temporal, config } = deps;
  r.use('/api/ops', requireOps(config.OPS_API_TOKEN));

  r.get('/api/ops/sessions', async (req, res) => {
    const q = SearchQuery.safeParse(req.query);
    if (!q.success) throw badRequest('invalid query', zodDetails(q.error));
    const filter: Record<string, unknown> = {};
    if (q.data.state) filter.state = q.data.state;
    if (q.data.parking_id) filter.parkingId = q.data.parking_id;
    if (q.data.plate) filter.plate = q.data.plate.toUpperCase();
    const rows = await SessionModel.find(filter).sort({ sessionId: -1 }).limit(q.data.limit).lean();
    res.json({ sessions: rows.map((row) => row.view as SessionView) });
  });

  r.get('/api/ops/sessions/:id', async (req, res) => {
    res.json({ session: await loadSession(temporal, parseSessionId(String(req.params.id))) });
  });

  r.post('/api/ops/sessions/:id/cancel', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    await loadSession(temporal, id);
    const reason = typeof req.body?.reason === 'string' ? req.body.reason.slice(0, 200) : 'cancelled by ops';
    res.json({ session: await sessionHandle(temporal, id).executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason }] }) });
  });

  r.post('/api/ops/sessions/:id/manual-stop', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const endTime = req.body?.end_time === undefined ? new Date().toISOString() : z.iso.datetime({ offset: true }).safeParse(req.body.end_time);
    if (typeof endTime !== 'string' && !endTime.success) throw badRequest('end_time must be an ISO 8601 date-time');
    await loadSession(temporal, id);
    const session = await sessionHandle(temporal, id).executeUpdate(requestManualStopUpdate, {
      args: [{ endTime: typeof endTime === 'string' ? endTime : new Date(endTime.data).toISOString() }],
    });
    res.status(202).json({ status: 'manual_stop_requested', session });
  });

  r.post('/api/ops/sessions/:id/refunds', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const body = RefundBody.safeParse(req.body);
    if (!body.success) throw badRequest('invalid refund', zodDetails(body.error));
    const view = await loadSession(temporal, id);
    if (view.paymentStatus !== 'paid' || view.paidVia !== 'card') throw unprocessable(`parking session ${id} has no card payment to refund`);
    try {
      const result = await temporal.workflow.execute('sessionRefund', {
        workflowId: refundWorkflowId(id, body.data.request_id),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ sessionId: id, requestId: body.data.request_id, amount: body.data.amount ?? null, reason: body.data.reason }],
        // The same request id again returns the first refund's result instead of refunding twice.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      res.status(201).json({ refund: { session_id: id, request_id: body.data.request_id, ...result } });
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw unprocessable(rootMessage(err));
      if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
        const result = await temporal.workflow.getHandle(refundWorkflowId(id, body.data.request_id)).result();
        return res.status(200).json({ refund: { session_id: id, request_id: body.data.request_id, ...result } });
      }
      throw err;
    }
  });

  return r;
}

function rootMessage(err: Error): string {
  let e: unknown = err;
  let message = err.message;
  while (e && typeof e === 'object' && 'cause' in e && (e as { cause?: unknown }).cause) {
    e = (e as { cause: unknown }).cause;
    message = (e as Error).message ?? message;
  }
  return message;
}
