import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { isDuplicateKey } from '../../db/connection';
import { SessionModel } from '../../db/models';
import { findParking, findParkingByAreaCode, toParkingSnapshot } from '../../db/parking-snapshot';
import { isPlateIssuer, normalisePlate } from '../../domain/plate';
import { isTerminal } from '../../domain/session';
import { sessionWorkflowId } from '../../temporal/ids';
import { sessionStartSearchAttributes } from '../../temporal/session-search-attributes';
import {
  accessAttemptUpdate,
  cancelUpdate,
  finalizeUpdate,
  type ParkingSessionInput,
  type SessionView,
} from '../../../workflows/messages';
import { requireDriver } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, notFound, unprocessable, zodDetails } from '../errors';
import { withBillingOutcome } from '../billing-outcome';
import { requireJsonBody } from '../json-body';
import { payUrl } from '../pay-link';
import { parkingSessionDetails, publicPaymentStatus, seedParkingSession, seedSmartKey } from '../presenters';
import { buildReceipt, receiptParking, receiptRefusal } from '../receipt';
import { ABANDONED, loadSession, parseSessionId, sessionHandle } from '../sessions';
import { refuseIfTerminal } from '../terminal';
import { AccessAttemptBody, FinalizeBody, StartAnprSession, StartBarrierSession } from './car-driver.schemas';
import { componentLogger } from '../../observability/logger';

const log = componentLogger('car-driver');

const driverOf = (req: Request) => req.driverId as string;

/** Integer ids as the seed API uses them: insert-with-unique-index, retry on collision (no counters). */
async function allocateSession(driverId: string, parkingId: number, kind: string, entranceAccessCommand: string | null): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const last = await SessionModel.findOne({}, { sessionId: 1 }).sort({ sessionId: -1 }).lean();
    const sessionId = (last?.sessionId ?? 0) + 1;
    try {
      await SessionModel.create({ sessionId, driverId, parkingId, kind, state: 'entering', version: 0, entranceAccessCommand });
      return sessionId;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error('could not allocate a session id');
}

/**
 * The workflow did not start: the allocated row must not show up as a session. It is marked rather than
 * deleted so its id is never handed out again; should the start have reached the server after all, the
 * workflow's first projection overwrites the mark (only rows without a view are touched).
 */
async function abandonAllocation(sessionId: number): Promise<void> {
  await SessionModel.updateOne({ sessionId, view: null }, { $set: { state: ABANDONED } }).catch((err: unknown) =>
    log.error({ sessionId, err }, 'could not mark session row abandoned'),
  );
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
    if (!parking) return null;
    return seedSmartKey(key, toParkingSnapshot(parking));
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
    // The entrance key is made here and stored with the id: durable before the app (or a gate) can use it.
    const entranceAccessCommand = input.kind === 'barrier' ? randomUUID().replace(/-/g, '') : undefined;
    const sessionId = await allocateSession(driverId, input.parking.id, input.kind, entranceAccessCommand ?? null);
    try {
      await temporal.workflow.start('parkingSession', {
        workflowId: sessionWorkflowId(sessionId),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ ...input, sessionId, ...(entranceAccessCommand ? { entranceAccessCommand } : {}) }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: sessionStartSearchAttributes({ ...input, sessionId }, config.PLATE_HASH_KEY),
      });
    } catch (err) {
      await abandonAllocation(sessionId);
      throw err;
    }
    let view = await loadSession(temporal, sessionId, driverId);
    // ANPR sessions become active once Autopay confirms connect_parking (an activity): wait briefly for it.
    for (let i = 0; input.kind === 'anpr' && view.state === 'entering' && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await loadSession(temporal, sessionId, driverId);
    }
    res.status(201).json({ parking_session: parkingSessionDetails(view, link(view)), smart_key: await smartKeyFor(view, 'entrance') });
  });

  r.get(`${base}/parking_sessions`, requireDriver, async (req, res) => {
    const rows = await SessionModel.find({ driverId: driverOf(req), view: { $ne: null } }).sort({ sessionId: -1 }).limit(100).lean();
    res.json({ parking_sessions: rows.map((row) => parkingSessionDetails(row.view as SessionView, link(row.view as SessionView))) });
  });

  r.get(`${base}/parking_sessions/:id`, requireDriver, async (req, res) => {
    const id = parseSessionId(String(req.params.id));
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
    const rows = await SessionModel.find({ driverId: driverOf(req), kind: 'barrier', state: { $in: ['entering', 'exiting'] } })
      .sort({ sessionId: -1 })
      .lean();
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
    await loadSession(temporal, id, driverOf(req));
    const result = await sessionHandle(temporal, id).executeUpdate(accessAttemptUpdate, {
      args: [{ direction: parsed.data.direction, macAddress: parsed.data.mac_address }],
    });
    res.status(201).json({
      direction: parsed.data.direction,
      remaining_tries: result.key.remainingTries,
      access_command: result.key.accessCommand,
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
    refuseIfTerminal(await loadSession(temporal, id, driverOf(req)), 'finalize');
    const parkingId = parsed.data.parking_session.secured_parking_id;
    if (!(await findParking(parkingId))) throw notFound(`secured parking ${parkingId} not found`);
    const view = await sessionHandle(temporal, id).executeUpdate(finalizeUpdate, { args: [{ securedParkingId: parkingId }] });
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
