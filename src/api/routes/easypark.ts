import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { Router, type Request, type Response } from 'express';
import { isDuplicateKey } from '../../db/connection';
import { FleetModel, WebhookInboxModel } from '../../db/models';
import { parseEasyParkDate, parseParkingTransaction } from '../../providers/easypark/wire';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../../security/password';
import { easyParkWorkflowId } from '../../temporal/ids';
import { fleetSession } from '../../../workflows/fleet-session';
import type { FleetSessionInput } from '../../../workflows/messages';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, unauthorized } from '../errors';
import { componentLogger } from '../../observability/logger';

const log = componentLogger('easypark');

/**
 * EasyPark Fleet's parkingTransaction webhook (PROVIDERS.md §6). EasyPark retries every 4xx/5xx hourly until
 * accepted, except 409, which it takes as "duplicate, already processed". So: 2xx only once the transaction is
 * safely in a workflow; 409 only when it certainly already is; 503 whenever we could not tell (it comes back).
 */

const REALM = 'Basic realm="easypark-fleet", charset="UTF-8"';

const unavailable = (what: string, err: unknown) => {
  log.error({ err }, `${what} unavailable, answering 503 so EasyPark retries`);
  return new ApiError(503, 'service_unavailable', `${what} is unavailable, retry later`);
};

function basicCredentials(req: Request): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':'); // passwords may contain ':'; usernames may not (RFC 7617)
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The fleet the credentials belong to; 401 (with a challenge) for unknown users and wrong passwords alike. */
async function authenticateFleet(req: Request, res: Response): Promise<{ id: string }> {
  const creds = basicCredentials(req);
  let fleet: { id: string; passwordHash: string } | null = null;
  if (creds) {
    try {
      fleet = await FleetModel.findOne({ username: creds.username }, { id: 1, passwordHash: 1 }).lean();
    } catch (err) {
      throw unavailable('database', err);
    }
  }
  // An unknown username is verified against a dummy hash, so both failure paths do the same scrypt work.
  const ok = (await verifyPassword(creds?.password ?? '', fleet?.passwordHash ?? DUMMY_PASSWORD_HASH)) && creds !== null && fleet !== null;
  if (!ok) {
    res.set('WWW-Authenticate', REALM);
    throw unauthorized('invalid EasyPark Fleet credentials');
  }
  return { id: fleet!.id };
}

const inboxKey = (parkingId: number) => `easypark:${parkingId}`;

/** Inbox row for a transaction whose workflow exists; a duplicate key means it is already there. */
async function recordInbox(parkingId: number, fleetId: string, payload: unknown): Promise<void> {
  try {
    await WebhookInboxModel.create({ dedupKey: inboxKey(parkingId), provider: 'easypark', eventType: 'parkingTransaction', payload: { fleetId, body: payload } });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export function easyParkRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/api/providers/easypark/parking-transactions', async (req, res) => {
    const fleet = await authenticateFleet(req, res);

    const parsed = parseParkingTransaction(req.body);
    if (!parsed.ok) {
      // Loud on purpose: EasyPark re-sends this every hour until someone fixes the cause.
      const parkingId = (req.body as { parkingId?: unknown } | undefined)?.parkingId;
      log.warn(
        { parkingId: String(parkingId), fleet: fleet.id, fields: parsed.errors.map((e) => e.field), problems: parsed.errors.map((e) => e.message) },
        'REJECTED parkingTransaction with 400; EasyPark will retry hourly until fixed',
      );
      throw badRequest('parking transaction is invalid', parsed.errors);
    }
    const tx = parsed.value;
    const duplicate = () => res.status(409).json({ error: { code: 'duplicate_transaction', message: `parking transaction ${tx.parkingId} was already received` } });

    // Order matters; a crash between any two steps must never turn a new transaction into a 409 that loses it.
    // 1. Inbox read: a row exists only after step 2 succeeded once, so a hit is a certain duplicate. It also
    //    guards beyond Temporal's retention, when the closed workflow id is no longer remembered.
    try {
      if (await WebhookInboxModel.exists({ dedupKey: inboxKey(tx.parkingId) })) return void duplicate();
    } catch (err) {
      throw unavailable('database', err);
    }
    // 2. The workflow id is the lock: of 20 concurrent copies exactly one start succeeds, the rest are 409.
    const input: FleetSessionInput = { fleetId: fleet.id, transaction: tx, endedAt: parseEasyParkDate(tx.endDate)!.toISOString(), receivedAt: new Date().toISOString() };
    try {
      await deps.temporal.workflow.start(fleetSession, {
        workflowId: easyParkWorkflowId(tx.parkingId),
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw unavailable('Temporal', err);
      // A crash after an earlier start but before its inbox write lands here: heal the inbox, still 409.
      await recordInbox(tx.parkingId, fleet.id, req.body).catch((e: unknown) => log.error({ err: e }, 'inbox heal failed'));
      return void duplicate();
    }
    // 3. Inbox write after the start: if it fails the workflow already holds the transaction, so we still answer
    //    2xx (a 5xx would only bring a retry that step 2 answers 409); step 2's heal fills the row next time.
    await recordInbox(tx.parkingId, fleet.id, req.body).catch((e: unknown) => log.error({ err: e, parkingId: tx.parkingId }, 'inbox write failed (workflow started)'));
    res.status(202).json({ status: 'accepted', parkingId: tx.parkingId });
  });

  return router;
}
