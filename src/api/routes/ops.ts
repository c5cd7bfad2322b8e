import { Router } from 'express';
import { z } from 'zod';
import { normalisePlate } from '../../domain/plate';
import { forgetDriverTokens } from '../../db/credential-cache';
import { AccessTokenModel, AgreementModel, OpsAuditModel, SessionModel, sessionRowId } from '../../db/models';
import { cancelUpdate, requestManualStopUpdate, type SessionView } from '../../../workflows/messages';
import { audited } from '../audit';
import { recordOpsAction } from '../ops-action-ledger';
import { requireJsonBody } from '../json-body';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, notFound, unprocessable, zodDetails } from '../errors';
import { withBillingOutcome } from '../billing-outcome';
import { answerRefund, priorRefundRequest, runRefund } from '../refunds';
import { PositiveAmountString } from '../schemas/amount';
import { loadSession, parseSessionId, sessionHandle } from '../sessions';
import { refuseIfTerminal } from '../terminal';
import { instantBound, OpsAgreementQuery, OpsSessionQuery, PlateHashQuery } from './ops.schemas';
import { plateHash } from '../../security/plate-hash';

const invalidQuery = (err: z.ZodError) => new ApiError(400, 'invalid_query', `invalid query: ${err.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}`, zodDetails(err));

/** The read-model filter for one page of GET /api/ops/sessions. */
function sessionFilter(q: OpsSessionQuery): { filter: Record<string, unknown>; limit: number } {
  const filter: Record<string, unknown> = {};
  if (q.state) filter.state = q.state;
  if (q.payment_status) filter.paymentStatus = q.payment_status;
  if (q.parking_id) filter.parkingId = q.parking_id;
  if (q.plate) filter.plate = normalisePlate(q.plate) ?? q.plate.toUpperCase();
  if (q.vipps_agreement_id) filter.vippsAgreementId = q.vipps_agreement_id;
  if (q.attention === 'any') filter['view.attentionCode'] = { $nin: [null, ''] };
  else if (q.attention === 'none') filter['view.attentionCode'] = { $in: [null, ''] };
  else if (q.attention) filter['view.attentionCode'] = q.attention;
  const created: Record<string, Date> = {};
  if (q.from) created.$gte = instantBound(q.from, 'from');
  if (q.to) created.$lt = instantBound(q.to, 'to');
  if (q.from || q.to) filter.createdAt = created;
  if (q.cursor) filter.sessionId = { $lt: q.cursor };
  return { filter, limit: q.limit };
}

const RefundBody = z.object({
  amount: PositiveAmountString.optional(),
  request_id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'request_id: 1-40 letters, digits, _ or -'),
  reason: z.string().max(200).default('ops refund'),
});

const RevokeBody = z.object({
  // One token (the id from the token list) or, without it, every token of the driver.
  token_id: z.string().regex(/^[0-9a-f]{24}$/, 'token_id: the id from GET /api/ops/drivers/:driverId/tokens').optional(),
  reason: z.string().max(200).default('revoked by ops'),
});
const DriverIdParam = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'driver id: 1-100 letters, digits, . _ : or -');
const AuditQuery = z.object({ target: z.string().max(120).optional(), actor: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

/**
 * Operations: find sessions, cancel, manual stop (Autopay), refund, driver token revocation, the audit trail.
 * Per-person ops Bearer tokens; every state-changing action is recorded with the person's name.
 */
export function opsRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { temporal, config } = deps;
  r.use('/api/ops', requireOps, requireJsonBody);

  r.get('/api/ops/sessions', async (req, res) => {
    const q = OpsSessionQuery.safeParse(req.query);
    if (!q.success) throw invalidQuery(q.error);
    const { filter, limit } = sessionFilter(q.data);
    // Rows without a view are ids allocated for a workflow that has not projected yet (or never started).
    const rows = await SessionModel.find({ ...filter, view: { $ne: null } }).sort({ sessionId: -1 }).limit(limit + 1).lean();
    const page = rows.slice(0, limit);
    res.json({
      sessions: page.map((row) => ({ ...(row.view as SessionView), vippsAgreementId: row.vippsAgreementId ?? null })),
      next_cursor: rows.length > limit ? String(page[page.length - 1]!.sessionId) : null,
    });
  });

  // Temporal's search attributes hold plates only as a keyed hash: this gives ops the hash and the UI filter.
  r.get('/api/ops/plate-hash', (req, res) => {
    const q = PlateHashQuery.safeParse(req.query);
    if (!q.success) throw badRequest('invalid query', zodDetails(q.error));
    const hash = plateHash(deps.config.PLATE_HASH_KEY, q.data.plate);
    res.json({ plate_hash: hash, temporal_ui_query: `PlateHash = "${hash}"` });
  });

  r.get('/api/ops/sessions/:id', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const view = await withBillingOutcome(await loadSession(temporal, id));
    const row = await SessionModel.findById(sessionRowId(id), { vippsAgreementId: 1 }).lean();
    res.json({ session: { ...view, vippsAgreementId: row?.vippsAgreementId ?? null } });
  });

  r.get('/api/ops/vipps/agreements', async (req, res) => {
    const q = OpsAgreementQuery.safeParse(req.query);
    if (!q.success) throw invalidQuery(q.error);
    const filter: Record<string, unknown> = {};
    if (q.data.status) filter.status = q.data.status;
    if (q.data.driver_id) filter.driverId = q.data.driver_id;
    if (q.data.cursor) filter.agreementId = { $lt: q.data.cursor };
    const rows = await AgreementModel.find(filter).sort({ agreementId: -1 }).limit(q.data.limit + 1).lean();
    const page = rows.slice(0, q.data.limit);
    res.json({
      agreements: page.map((a) => ({
        agreement_id: a.agreementId,
        driver_id: a.driverId,
        status: a.status,
        currency: a.currency,
        suggested_max_amount_minor: a.suggestedMaxAmountMinor,
        max_amount_minor: a.maxAmountMinor ?? null,
        created_at: a.createdAt ?? null,
        updated_at: a.updatedAt ?? null,
      })),
      next_cursor: rows.length > q.data.limit ? page[page.length - 1]!.agreementId : null,
    });
  });

  r.post('/api/ops/sessions/:id/cancel', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const view = await loadSession(temporal, id);
    const given = typeof req.body?.reason === 'string' && req.body.reason.trim() ? req.body.reason.trim().slice(0, 200) : null;
    // The workflow writes "cancelled by ops: <reason>": the reason is the person's words and name, never "cancelled by ops" again.
    const reason = given ? `${given} (${req.opsUser})` : `requested by ${req.opsUser}`;
    // Refused inside the audited action: a refused attempt is on the audit trail too.
    const session = await audited(req, 'session_cancel', `session:${id}`, { reason: given }, async () => {
      refuseIfTerminal(view, 'cancel');
      const at = new Date();
      const cancelled = await sessionHandle(temporal, id).executeUpdate(cancelUpdate, { args: [{ by: 'ops', reason }] });
      await recordOpsAction(view, { name: 'cancel', by: req.opsUser ?? 'unknown', at, note: given ?? 'no reason given' });
      return cancelled;
    });
    res.json({ session });
  });

  r.post('/api/ops/sessions/:id/manual-stop', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const endTime = req.body?.end_time === undefined ? new Date().toISOString() : z.iso.datetime({ offset: true }).safeParse(req.body.end_time);
    if (typeof endTime !== 'string' && !endTime.success) throw badRequest('end_time must be an ISO 8601 date-time');
    const view = await loadSession(temporal, id);
    const at = typeof endTime === 'string' ? endTime : new Date(endTime.data).toISOString();
    const session = await audited(req, 'session_manual_stop', `session:${id}`, { endTime: at }, async () => {
      refuseIfTerminal(view, 'stop');
      const stopped = await sessionHandle(temporal, id).executeUpdate(requestManualStopUpdate, { args: [{ endTime: at }] });
      await recordOpsAction(view, { name: 'manual_stop', by: req.opsUser ?? 'unknown', at: new Date(), note: `end time ${at}` });
      return stopped;
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
    const details = { requestId: cmd.requestId, amount: cmd.amount ?? 'full', reason: cmd.reason };
    const outcome = await audited(req, 'session_refund', `session:${id}`, details, () => runRefund(temporal, config.TEMPORAL_TASK_QUEUE, cmd));
    answerRefund(res, cmd, outcome, prior !== null);
  });

  r.get('/api/ops/drivers/:driverId/tokens', async (req, res) => {
    const driverId = DriverIdParam.parse(req.params.driverId);
    const rows = await AccessTokenModel.find({ driverId }).sort({ createdAt: -1 }).limit(200).lean();
    res.json({
      tokens: rows.map((t) => ({
        id: String(t._id),
        label: t.label,
        created_at: t.createdAt ?? null,
        expires_at: t.expiresAt ?? null,
        revoked_at: t.revokedAt ?? null,
        revoked_by: t.revokedBy ?? null,
      })),
    });
  });

  r.post('/api/ops/drivers/:driverId/tokens/revoke', async (req, res) => {
    const driverId = DriverIdParam.parse(req.params.driverId);
    const body = RevokeBody.safeParse(req.body ?? {});
    if (!body.success) throw badRequest('invalid revocation', zodDetails(body.error));
    const filter = { driverId, revokedAt: null, ...(body.data.token_id ? { _id: body.data.token_id } : {}) };
    const target = body.data.token_id ? `token:${body.data.token_id}` : `driver:${driverId}`;
    const revoked = await audited(req, 'driver_token_revoke', target, { driverId, reason: body.data.reason }, async () => {
      if (body.data.token_id && !(await AccessTokenModel.exists({ driverId, _id: body.data.token_id }))) throw notFound(`driver ${driverId} has no token ${body.data.token_id}`);
      const result = await AccessTokenModel.updateMany(filter, { $set: { revokedAt: new Date(), revokedBy: req.opsUser } });
      forgetDriverTokens();
      return result.modifiedCount;
    });
    res.json({ driver_id: driverId, revoked });
  });

  r.get('/api/ops/audit', async (req, res) => {
    const q = AuditQuery.safeParse(req.query);
    if (!q.success) throw badRequest('invalid query', zodDetails(q.error));
    const filter = { ...(q.data.target ? { target: q.data.target } : {}), ...(q.data.actor ? { actor: q.data.actor } : {}) };
    const rows = await OpsAuditModel.find(filter).sort({ at: -1 }).limit(q.data.limit).lean();
    res.json({ entries: rows.map((a) => ({ at: a.at, actor: a.actor, action: a.action, target: a.target, details: a.details })) });
  });

  return r;
}
