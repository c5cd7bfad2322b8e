import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Response } from 'express';
import { isDuplicateKey } from '../db/connection';
import { RefundRequestModel } from '../db/models';
import { toAmountString } from '../domain/money';
import { refundWorkflowId } from '../temporal/ids';
import type { RefundOutcome } from '../../activities/refunds';
import { sessionRefund } from '../../workflows/session-refund';
import { ApiError, conflict, unavailable } from './errors';
import { componentLogger } from '../observability/logger';

const log = componentLogger('refunds');

/**
 * Stripe's idempotency contract for ops refunds, keyed by (session, request_id): the first request's
 * outcome — a refund or a refusal — is stored and replayed for the same amount; another amount is a 409.
 */
export interface RefundCommand {
  sessionId: number;
  requestId: string;
  /** As validated ("2.5" or "2.50"); undefined refunds everything still refundable. */
  amount: string | undefined;
  reason: string;
}

type RecordedRequest = { amount: string | null; outcome: RefundOutcome | null };

const describe = (amount: string | null) => (amount === null ? 'the full refundable amount' : amount);

/** The stored request for this key, or null; a 409 when it asked for another amount. */
export async function priorRefundRequest(cmd: RefundCommand): Promise<RecordedRequest | null> {
  const row = await RefundRequestModel.findOne({ sessionId: cmd.sessionId, requestId: cmd.requestId }, { amount: 1, outcome: 1 }).lean();
  if (!row) return null;
  const amount = normalise(cmd.amount);
  const recorded = (row.amount as string | null | undefined) ?? null;
  if (recorded !== amount) {
    throw conflict(
      'idempotency_conflict',
      `request_id ${cmd.requestId} was already used on parking session ${cmd.sessionId} for ${describe(recorded)}; this request asks for ${describe(amount)}. Use a new request_id for a different refund.`,
      { request_id: cmd.requestId, first_amount: recorded, amount },
    );
  }
  return { amount: recorded, outcome: (row.outcome as RefundOutcome | null | undefined) ?? null };
}

const normalise = (amount: string | undefined) => (amount === undefined ? null : toAmountString(amount));

/** Records the request (once), runs or joins its workflow, stores the outcome, and returns it. */
export async function runRefund(temporal: Client, taskQueue: string, cmd: RefundCommand): Promise<RefundOutcome> {
  const amount = normalise(cmd.amount);
  try {
    await RefundRequestModel.create({ sessionId: cmd.sessionId, requestId: cmd.requestId, amount, outcome: null });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // A concurrent copy recorded it first: same checks as for a late repeat.
    const prior = await priorRefundRequest(cmd);
    if (prior?.outcome) return prior.outcome;
  }
  const workflowId = refundWorkflowId(cmd.sessionId, cmd.requestId);
  let outcome: RefundOutcome;
  try {
    try {
      const handle = await temporal.workflow.start(sessionRefund, {
        workflowId,
        taskQueue,
        args: [{ sessionId: cmd.sessionId, requestId: cmd.requestId, amount, reason: cmd.reason }],
        // A running refund is joined; a completed one is never run again; a failed one (provider outage past
        // all retries) may run again, and the ledger and the provider's idempotency key keep it to one refund.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      outcome = await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      outcome = await temporal.workflow.getHandle<typeof sessionRefund>(workflowId).result();
    }
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      log.warn({ workflowId, err }, 'refund could not complete');
      throw unavailable('the card provider');
    }
    throw err;
  }
  await RefundRequestModel.updateOne({ sessionId: cmd.sessionId, requestId: cmd.requestId, outcome: null }, { $set: { outcome } });
  return outcome;
}

/** The answer for an outcome, the same for the first request and every replay (marked Idempotent-Replayed). */
export function answerRefund(res: Response, cmd: RefundCommand, outcome: RefundOutcome, replayed: boolean): void {
  if (replayed) res.set('Idempotent-Replayed', 'true');
  if (outcome.outcome === 'refused') throw new ApiError(422, outcome.code, outcome.message);
  const { refundRef, amount, currency } = outcome;
  res.status(201).json({ refund: { session_id: cmd.sessionId, request_id: cmd.requestId, refundRef, amount, currency } });
}
