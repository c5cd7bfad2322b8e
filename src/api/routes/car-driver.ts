import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { WorkflowIdReusePolicy, WorkflowUpdateFailedError } from '@temporalio/client';
import { isDuplicateKey } from '../../db/connection';
import { SessionKeyModel, SessionModel, sessionRowId } from '../../db/models';
import { driverSessionRows, recordDriverSession } from '../../db/driver-sessions';
import { nextSessionId, SESSION_ID_BLOCK } from '../../db/session-ids';
import { findParking, findParkingByAreaCode, toParkingSnapshot } from '../../db/parking-snapshot';
import { isPlateIssuer, normalisePlate } from '../../domain/plate';
import { accessCommandOf, deriveAccessCommand } from '../../security/access-command';
import { isTerminal } from '../../domain/session';
import { sessionWorkflowId } from '../../temporal/ids';
import { sessionStartSearchAttributes } from '../../temporal/session-search-attributes';
import {
  accessAttemptUpdate,
  cancelUpdate,
  finalizeUpdate,
  type ParkingSessionInput,
  SESSION_INPUT_REVISION,
  type SessionView,
} from '../../../workflows/messages';
import { startedSessionView } from '../../../workflows/session-initial-view';
import { requireDriver } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, conflict, notFound, unprocessable, zodDetails } from '../errors';
import { withBillingOutcome } from '../billing-outcome';
import { requireJsonBody } from '../json-body';
import { payUrl } from '../pay-link';
import { parkingSessionDetails, publicPaymentStatus, seedParkingSession, seedSmartKey } from '../presenters';
import { buildReceipt, receiptParking, receiptRefusal } from '../receipt';
import { ABANDONED, assertDriverSession, loadSession, parseSessionId, readSession, sessionHandle } from '../sessions';
import { refuseIfTerminal } from '../terminal';
import { claimStart, idempotencyKeyOf, keyedStartId, openStartId, priorStart, recordOpenStart, releaseStart } from '../start-requests';
import { AccessAttemptBody, FinalizeBody, StartAnprSession, StartBarrierSession } from './car-driver.schemas';
import { componentLogger } from '../../observability/logger';
import { parkingSession } from '../../../workflows/parking-session';

const log = componentLogger('car-driver');

const driverOf = (req: Request) => req.driverId as string;

const keyReused = (key: string, parkingId: number) =>
  new ApiError(422, 'idempotency_key_reused', `Idempotency-Key ${key} was used to start a session at parking ${parkingId}, not this one`);

/**
 * Integer ids as the seed API uses them, from this process's block (src/db/session-ids.ts), stored as the row's
 * `_id`. An id someone else already used (a row from before id blocks) fails the insert and the next one is taken.
 */
export async function allocateSession(driverId: string, parkingId: number, kind: string, entranceCommandFor: ((sessionId: number) => string) | null): Promise<number> {
  for (let i = 0; i < SESSION_ID_BLOCK; i++) {
    const sessionId = await nextSessionId();
    try {
      await SessionModel.create({ _id: sessionRowId(sessionId), sessionId, driverId, parkingId, kind, state: 'entering', version: 0 });
    } catch (err) {
      if (isDuplicateKey(err)) continue;
      throw err;
    }
    // Durable before the app (or a gate) can use the key: a gate finds the session by the command's `_id` (the one
    // place the command is stored; the row and the workflow hold only the key id).
    if (entranceCommandFor) await SessionKeyModel.create({ _id: entranceCommandFor(sessionId), sessionId });
    await recordDriverSession(driverId, sessionId);
    return sessionId;
  }
  throw new Error(`could not allocate a session id: ${SESSION_ID_BLOCK} ids in a row were taken`);
}

/**
 * The workflow did not start: the allocated row must not show up as a session. It is marked rather than
 * deleted so its id is never handed out again; should the start have reached the server after all, the
 * workflow's first projection overwrites the mark (only rows without a view are touched).
 */
async function abandonAllocation(sessionId: number): Promise<void> {
  await SessionModel.updateOne({ _id: sessionRowId(sessionId), view: null }, { $set: { state: ABANDONED } }).catch((err: unknown) =>
    log.error({ sessionId, err }, 'could not mark session row abandoned'),
  );
}

/** Version 0, written only while no projection has landed: the workflow's own projections are versions 1 and on. */
async function storeStartedView(view: SessionView): Promise<void> {
  await SessionModel.updateOne({ _id: sessionRowId(view.sessionId), version: 0 }, { $set: { view } });
}

export function carDriverRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { config, temporal } = deps;
  const base = '/api/car_driver';
  r.use(base, requireJsonBody);
  // A fresh short-lived signed pay link on every finalize and every authenticated read (src/api/pay-link.ts).
  const link = (view: SessionView) => payUrl(config.PUBLIC_BASE_URL, config.PAY_LINK_SECRET, view.sessionId, view.attempts.length, config.PAY_LINK_TTL_MINUTES * 60);

  async function smartKeyFor(view: SessionView, which: 'entrance' | 'exit') {
    const key = which === 'entrance' ? view.entranceKey : view.exitKey;
    if (!key || view.kind !== 'barrier') return null;
    const parking = await findParking(view.parkingId);
    const command = accessCommandOf(config.ACCESS_COMMAND_KEY, view.sessionId, key);
    if (!parking || !command) return null;
    return seedSmartKey(key, command, toParkingSnapshot(parking));
  }

  r.post(`${base}/parking_sessions`, requireDriver, async (req, res) => {
    const raw = (req.body as { parking_session?: unknown } | undefined)?.parking_session;
    if (!raw || typeof raw !== 'object') throw badRequest('parking_session is required');
    const driverId = driverOf(req);
    const settings = {
      entryTimeoutMs: config.ENTRY_TIMEOUT_MINUTES * 60_000,
      paymentAttemptTtlMs: config.PAYMENT_ATTEMPT_TTL_MINUTES * 60_000,
      smartKeyTries: config.SMART_KEY_TRIES,
      maxStayMs: config.MAX_STAY_HOURS * 3_600_000,
      maxAmount: config.MAX_CHARGE_AMOUNT,
      gateClockSkewMs: config.GATE_CLOCK_SKEW_MINUTES * 60_000,
      anprConnectWindowMs: config.ANPR_CONNECT_WINDOW_MINUTES * 60_000,
      maxActiveMs: config.SESSION_MAX_ACTIVE_HOURS * 3_600_000,
      maxExitingMs: config.SESSION_MAX_EXITING_HOURS * 3_600_000,
    };
    let input: Omit<ParkingSessionInput, 'sessionId'>;
    if ('parking_area_code' in raw) {
      const parsed = StartAnprSession.safeParse(raw);
      if (!parsed.success) throw badRequest('invalid parking_session', zodDetails(parsed.error));
      const plate = normalisePlate(parsed.data.vehicle_reg);
      if (!plate) throw badRequest('vehicle_reg is not a valid licence plate');
      const issuer = parsed.data.plate_issuer.toUpperCase();
      if (!isPlateIssuer(issuer)) throw badRequest(`plate_issuer ${issuer} is not an ISO 3166-1 alpha-3 country code`);
      const parking = await findParkingByAreaCode(parsed.data.parking_area_code);
      if (!parking?.anpr) throw notFound(`parking area ${parsed.data.parking_area_code} not found`);
      if (!parking.active) throw unprocessable(`parking ${parking.id} is not active`);
      input = {
        driverId,
        kind: 'anpr',
        parking: toParkingSnapshot(parking),
        anpr: {
          operatorId: parking.anpr.operatorId,
          areaCode: parking.anpr.areaCode,
          vehicleReg: plate,
          plateIssuer: issuer,
          plateSubdivision: parsed.data.plate_subdivision ?? null,
        },
        createdAt: new Date().toISOString(),
        settings,
      };
    } else {
      if (!('secured_parking_id' in raw)) throw badRequest('parking_session.secured_parking_id is required');
      const parsed = StartBarrierSession.safeParse(raw);
      if (!parsed.success) throw badRequest('invalid parking_session', zodDetails(parsed.error));
      const parking = await findParking(parsed.data.secured_parking_id);
      if (!parking) throw notFound(`secured parking ${parsed.data.secured_parking_id} not found`);
      if (parking.anpr) throw unprocessable(`parking ${parking.id} is a camera parking: start it with parking_area_code and vehicle_reg`);
      if (!parking.active) throw unprocessable(`parking ${parking.id} is not active`);
      input = { driverId, kind: 'barrier', parking: toParkingSnapshot(parking), createdAt: new Date().toISOString(), settings };
    }
    const parkingId = input.parking.id;
    const keyed = idempotencyKeyOf(req);
    const keyedId = keyed === null ? null : keyedStartId(driverId, keyed);
    const openId = openStartId(driverId, parkingId, input.anpr?.vehicleReg ?? null);
    const answer = async (sessionId: number, replayed: boolean) => {
      let view = await loadSession(temporal, sessionId, driverId, !replayed);
      // ANPR sessions become active once Autopay confirms connect_parking (an activity): wait briefly for it.
      for (let i = 0; input.kind === 'anpr' && view.state === 'entering' && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        view = await loadSession(temporal, sessionId, driverId);
      }
      if (replayed) res.set('Idempotent-Replayed', 'true');
      res.status(201).json({ parking_session: parkingSessionDetails(view, link(view)), smart_key: await smartKeyFor(view, 'entrance') });
    };

    // A repeated key answers the first start; without a key, a start still `entering` here is the same start.
    const prior = keyedId ? await priorStart(keyedId) : await openStartStillEntering(openId);
    if (prior) {
      if (prior.parkingId !== parkingId) throw keyReused(keyed!, prior.parkingId);
      return answer(prior.sessionId, true);
    }

    // The entrance key is made here (by id: the workflow then holds ids only, docs/ARCHITECTURE.md) and a barrier's
    // command stored with the id: durable before the app (or a gate) can use it.
    const entranceKeyId = randomUUID();
    const entranceCommandFor = input.kind === 'barrier' ? (id: number) => deriveAccessCommand(config.ACCESS_COMMAND_KEY, id, 'entrance', entranceKeyId) : null;
    const sessionId = await allocateSession(driverId, parkingId, input.kind, entranceCommandFor);
    if (keyedId && !(await claimStart(keyedId, { sessionId, parkingId }))) {
      // The same key at the same moment: the other request starts the session, this one answers it.
      await abandonAllocation(sessionId);
      const first = await priorStart(keyedId);
      if (!first) throw conflict('idempotency_key_in_use', 'a start with this Idempotency-Key failed just now: retry');
      if (first.parkingId !== parkingId) throw keyReused(keyed!, first.parkingId);
      return answer(await startedSession(first.sessionId), true);
    }
    try {
      await temporal.workflow.start(parkingSession, {
        workflowId: sessionWorkflowId(sessionId),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        // The revision makes the session lean-v4: it records no patch marker (workflows/parking-session.ts).
        args: [{ ...input, sessionId, entranceKeyId, revision: SESSION_INPUT_REVISION }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: sessionStartSearchAttributes({ ...input, sessionId }, config.PLATE_HASH_KEY),
      });
    } catch (err) {
      await abandonAllocation(sessionId);
      if (keyedId) await releaseStart(keyedId, sessionId);
      throw err;
    }
    await recordOpenStart(openId, { sessionId, parkingId });
    const started = startedSessionView({ ...input, sessionId, entranceKeyId });
    if (!started) return answer(sessionId, false);
    // A barrier session's first view is a function of its input: answered without waiting for the workflow's
    // first task, and stored now so the driver's list shows it at once (the workflow's projection replaces it).
    await storeStartedView(started);
    res.status(201).json({ parking_session: parkingSessionDetails(started, link(started)), smart_key: seedSmartKey(started.entranceKey, deriveAccessCommand(config.ACCESS_COMMAND_KEY, sessionId, 'entrance', entranceKeyId), input.parking) });
  });

  /** The driver's latest start at this parking, while its session is still `entering` (else a new start is due). */
  async function openStartStillEntering(openId: string) {
    const open = await priorStart(openId);
    if (!open) return null;
    const view = await loadSession(temporal, open.sessionId).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    });
    return view?.state === 'entering' ? open : null;
  }

  /** A session another request is starting right now: wait briefly for its workflow, as its own request does. */
  async function startedSession(sessionId: number): Promise<number> {
    for (let i = 0; ; i++) {
      try {
        await loadSession(temporal, sessionId);
        return sessionId;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404) || i >= 50) throw conflict('idempotency_key_in_use', 'a start with this Idempotency-Key is still in progress: retry');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  r.get(`${base}/parking_sessions`, requireDriver, async (req, res) => {
    const rows = await driverSessionRows(driverOf(req), 100);
    res.json({ parking_sessions: rows.map((row) => parkingSessionDetails(row.view as SessionView, link(row.view as SessionView))) });
  });

  r.get(`${base}/parking_sessions/:id`, requireDriver, async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    // A query, not the read model: a worker that dies after a task's projection but before the task completes
    // leaves the row ahead of the workflow until another worker redoes the task, and an app that acted on that
    // row (finalize once `active`, the exit try once `paid`) would be refused meanwhile.
    const view = await withBillingOutcome(await loadSession(temporal, id, driverOf(req)));
    const key = view.exitKey ? 'exit' : 'entrance';
    res.json({ parking_session: parkingSessionDetails(view, link(view)), smart_key: await smartKeyFor(view, key) });
  });

  // The result page's receipt as JSON (src/api/receipt.ts); 422 naming the state until the money is settled.
  r.get(`${base}/parking_sessions/:id/receipt`, requireDriver, async (req, res) => {
    const view = await loadSession(temporal, parseSessionId(String(req.params.id)), driverOf(req));
    const refusal = receiptRefusal(view);
    if (refusal) throw new ApiError(422, 'receipt_not_available', refusal, { state: view.state, payment_status: publicPaymentStatus(view) });
    res.json({ receipt: buildReceipt(view, await receiptParking(view.parkingId), config.APP_DEEP_LINK_BASE) });
  });

  r.get(`${base}/smart_keys`, requireDriver, async (req, res) => {
    const rows = (await driverSessionRows(driverOf(req), 100)).filter((row) => row.kind === 'barrier' && ['entering', 'exiting'].includes(row.state));
    const keys = [];
    for (const row of rows) {
      const view = row.view as SessionView | null;
      if (!view || isTerminal(view.state)) continue;
      const key = await smartKeyFor(view, view.state === 'entering' ? 'entrance' : 'exit');
      if (key) keys.push({ ...key, parking_session_id: view.sessionId });
    }
    res.json({ smart_keys: keys });
  });

  r.post(`${base}/parking_sessions/:id/access_attempts`, requireDriver, async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const parsed = AccessAttemptBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid access attempt', zodDetails(parsed.error));
    await assertDriverSession(temporal, id, driverOf(req));
    const result = await sessionHandle(temporal, id).executeUpdate(accessAttemptUpdate, {
      args: [{ direction: parsed.data.direction, macAddress: parsed.data.mac_address }],
    });
    res.status(201).json({
      direction: parsed.data.direction,
      remaining_tries: result.key.remainingTries,
      access_command: accessCommandOf(config.ACCESS_COMMAND_KEY, result.view.sessionId, result.key),
      parking_session: seedParkingSession(result.view),
    });
  });

  const finalize = async (req: Request, res: import('express').Response) => {
    const id = parseSessionId(String(req.params.id));
    const body = req.body as { parking_session?: { secured_parking_id?: unknown } } | undefined;
    if (!body?.parking_session) throw badRequest('parking_session is required');
    if (body.parking_session.secured_parking_id === undefined) throw badRequest('parking_session.secured_parking_id is required');
    const parsed = FinalizeBody.safeParse(body);
    if (!parsed.success) throw badRequest('invalid parking_session', zodDetails(parsed.error));
    refuseIfTerminal(await readSession(temporal, id, driverOf(req)), 'finalize');
    const parkingId = parsed.data.parking_session.secured_parking_id;
    if (!(await findParking(parkingId))) throw notFound(`secured parking ${parkingId} not found`);
    const view = await sessionHandle(temporal, id)
      .executeUpdate(finalizeUpdate, { args: [{ securedParkingId: parkingId }] })
      .catch(async (err: unknown) => {
        // The read model may lag a session that has just ended: name its state, as the check above does.
        if (err instanceof WorkflowUpdateFailedError) refuseIfTerminal(await loadSession(temporal, id), 'finalize');
        throw err;
      });
    const owed = view.paymentStatus !== 'paid' && view.paymentStatus !== 'billed';
    res.status(201).json({
      // Nothing to pay (inside the grace period): the exit key works at once and there is no pay page.
      pay_url: owed ? link(view) : null,
      amount: view.amount!.gross,
      currency: view.amount!.currency,
      parking_session: seedParkingSession(view),
      smart_key: await smartKeyFor(view, 'exit'),
    });
  };
  r.put(`${base}/parking_sessions/:id/finalize`, requireDriver, finalize);
  r.patch(`${base}/parking_sessions/:id/finalize`, requireDriver, finalize);

  r.post(`${base}/parking_sessions/:id/cancel`, requireDriver, async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    refuseIfTerminal(await loadSession(temporal, id, driverOf(req)), 'cancel');
    const view = await sessionHandle(temporal, id).executeUpdate(cancelUpdate, { args: [{ by: 'driver', reason: 'cancelled in the app' }] });
    res.json({ parking_session: parkingSessionDetails(view, null) });
  });

  return r;
}
