import { Router, type NextFunction, type Request, type Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { OperatorModel } from '../../db/models';
import { autopayErrorBody } from '../../providers/autopay/errors';
import { parseAutopayCancelCallback, parseAutopaySuccessCallback } from '../../providers/autopay/inbound';
import { verifyPassword } from '../../security/password';
import { autopayCancelledSignal, autopayEndedSignal } from '../../../workflows/messages';
import type { ApiDeps } from '../deps';
import { dependencyError } from '../errors';
import { recordInbound } from '../inbox';
import { loadSession, sessionHandle } from '../sessions';

type Method = 'basic' | 'token' | 'api_key';

/** What the caller presented for a given auth method (basic: "user:password"). */
function presented(req: Request, method: Method): string | null {
  const auth = req.get('authorization') ?? '';
  if (method === 'api_key') return req.get('x-api-key') ?? null;
  if (method === 'token') return auth ? auth.replace(/^Bearer\s+/i, '') : null;
  const m = /^Basic\s+(\S+)$/i.exec(auth);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : null;
}

/**
 * The operator whose configured callback credentials match (secrets are stored as salted scrypt hashes;
 * every operator is checked, so the time taken does not tell which one matched). Autopay calls the same two
 * URLs for every operator we serve.
 */
async function authenticatedOperator(req: Request): Promise<string | null> {
  const operators = await OperatorModel.find({}).lean();
  let match: string | null = null;
  for (const op of operators) {
    const value = presented(req, op.callbackAuth!.method as Method);
    if (value !== null && (await verifyPassword(value, op.callbackAuth!.secretHash))) match = op.id;
  }
  return match;
}

/** A callback for a session that has already closed is a duplicate: acknowledged, nothing to do. */
async function signalUnlessClosed(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

const reject = (res: Response, status: number, id: Parameters<typeof autopayErrorBody>[0], message: string, description?: string) =>
  res.status(status).json(autopayErrorBody(id, message, description));

/**
 * Autopay's two callbacks. Answers: 2xx when handled (also for duplicates: Autopay retries for a week),
 * 404 for an unknown reference (stops Autopay's retries), 400 in Autopay's error shape for bad bodies.
 */
export function autopayCallbackRoutes(deps: ApiDeps): Router {
  const r = Router();

  async function sessionFor(res: Response, operatorId: string, reference: string, parkingId: string) {
    if (!/^\d{1,15}$/.test(reference)) {
      reject(res, 404, 'missing_property', `unknown reference ${reference}`);
      return null;
    }
    try {
      const view = await loadSession(deps.temporal, Number(reference));
      if (view.kind !== 'anpr' || view.anpr?.operatorId !== operatorId || view.anpr.autopayParkingId !== parkingId) {
        reject(res, 404, 'missing_property', `no parking ${parkingId} with reference ${reference}`);
        return null;
      }
      return view;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (err instanceof WorkflowNotFoundError || status === 404) {
        reject(res, 404, 'missing_property', `unknown reference ${reference}`);
        return null;
      }
      throw err;
    }
  }

  r.post('/api/providers/autopay/parking-ended', async (req, res) => {
    const operatorId = await authenticatedOperator(req);
    if (!operatorId) return reject(res, 401, 'authentication_error', 'missing or invalid callback credentials');
    const parsed = parseAutopaySuccessCallback(req.body);
    if (!parsed.ok) return reject(res, 400, 'missing_property', 'invalid parking-ended body', parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    const cb = parsed.value;
    const view = await sessionFor(res, operatorId, cb.reference, cb.parking_id);
    if (!view) return;
    await recordInbound('autopay', 'parking-ended', `autopay:ended:${cb.parking_id}`, cb);
    await signalUnlessClosed(() => sessionHandle(deps.temporal, view.sessionId).signal(autopayEndedSignal, {
      autopayParkingId: cb.parking_id,
      endTime: cb.end_time,
      cost: {
        currency: cb.cost.currency,
        vatPercent: cb.cost.vat_percent,
        net: cb.cost.net_amount,
        vat: cb.cost.vat_amount,
        gross: cb.cost.gross_amount,
      },
    }));
    res.json({ status: 'ok', reference: cb.reference });
  });

  r.post('/api/providers/autopay/parking-cancelled', async (req, res) => {
    const operatorId = await authenticatedOperator(req);
    if (!operatorId) return reject(res, 401, 'authentication_error', 'missing or invalid callback credentials');
    const parsed = parseAutopayCancelCallback(req.body);
    if (!parsed.ok) return reject(res, 400, 'missing_property', 'invalid parking-cancelled body', parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    const cb = parsed.value;
    const view = await sessionFor(res, operatorId, cb.reference, cb.parking_id);
    if (!view) return;
    await recordInbound('autopay', 'parking-cancelled', `autopay:cancelled:${cb.parking_id}`, cb);
    await signalUnlessClosed(() => sessionHandle(deps.temporal, view.sessionId).signal(autopayCancelledSignal, { autopayParkingId: cb.parking_id }));
    res.json({ status: 'ok', reference: cb.reference });
  });
  // Our side is down (workflow engine, database): Autopay's own error shape with a 5xx, so it retries later.
  r.use('/api/providers/autopay', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!dependencyError(err)) return next(err);
    res.set('Retry-After', '60');
    reject(res, 503, 'internal_server_error', 'temporarily unavailable, retry later');
  });
  return r;
}
