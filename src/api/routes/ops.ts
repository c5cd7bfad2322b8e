import { Router } from 'express';
import { z } from 'zod';
import { SessionModel } from '../../db/models';
import { cancelUpdate, requestManualStopUpdate, type SessionView } from '../../../workflows/messages';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { badRequest, unprocessable, zodDetails } from '../errors';
import { answerRefund, priorRefundRequest, runRefund } from '../refunds';
import { PositiveAmountString } from '../schemas/amount';
import { IdText } from '../schemas/ids';
import { loadSession, parseSessionId, sessionHandle } from '../sessions';

const RefundBody = z.object({
  amount: PositiveAmountString.optional(),
  request_id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'request_id: 1-40 letters, digits, _ or -'),
  reason: z.string().max(200).default('ops refund'),
});

const SearchQuery = z.object({
  state: z.string().max(40).optional(),
  parking_id: IdText.optional(),
  plate: z.string().max(20).optional(),
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
    // Rows without a view are ids allocated for a workflow that has not projected yet (or never started).
    const rows = await SessionModel.find({ ...filter, view: { $ne: null } }).sort({ sessionId: -1 }).limit(q.data.limit).lean();
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
    const cmd = { sessionId: id, requestId: body.data.request_id, amount: body.data.amount, reason: body.data.reason };
    // A known request_id is answered from its record, whatever the session's state is by now.
    const prior = await priorRefundRequest(cmd);
    if (prior?.outcome) return answerRefund(res, cmd, prior.outcome, true);
    if (!prior) {
      const view = await loadSession(temporal, id);
      if (view.paymentStatus !== 'paid' || view.paidVia !== 'card') throw unprocessable(`parking session ${id} has no card payment to refund`);
    }
    answerRefund(res, cmd, await runRefund(temporal, config.TEMPORAL_TASK_QUEUE, cmd), prior !== null);
  });

  return r;
}
