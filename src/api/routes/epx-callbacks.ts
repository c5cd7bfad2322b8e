import { Router, type Request, type Response } from 'express';
import { EpxResponseFormatError, parseEpxBrowserPostResponse } from '../../providers/epx/inbound';
import { parseOrderId } from '../../temporal/ids';
import type { ApiDeps } from '../deps';
import { badRequest, notFound } from '../errors';
import { recordInbound } from '../inbox';
import { returnUrl } from '../pay-link';
import { signalPaymentResult } from '../payment-result';
import { loadSession } from '../sessions';

/**
 * EPX browser post sends the browser back here with the result in the URL. A browser can forge that, so the
 * result is only a hint: the payment outcome comes from EPX server to server.
 */
export function epxCallbackRoutes(deps: ApiDeps): Router {
  const r = Router();
  const handle = async (req: Request, res: Response) => {
    const params = req.method === 'GET' ? new URLSearchParams(req.url.split('?')[1] ?? '') : (req.body as Record<string, unknown>);
    let hint;
    try {
      hint = parseEpxBrowserPostResponse(params);
    } catch (err) {
      if (err instanceof EpxResponseFormatError) throw badRequest(err.message);
      throw err;
    }
    const order = parseOrderId(hint.TRAN_NBR);
    if (!order) throw notFound(`unknown EPX transaction ${hint.TRAN_NBR}`);
    const view = await loadSession(deps.temporal, order.sessionId);
    const attempt = view.attempts.find((a) => a.orderId === hint.TRAN_NBR);
    if (!attempt) throw notFound(`unknown EPX transaction ${hint.TRAN_NBR}`);
    const confirmed = await deps.cardProviders.epx.status(hint.TRAN_NBR, attempt.providerRef ?? hint.AUTH_GUID ?? '');
    await recordInbound('epx', `status-${confirmed.outcome}`, `epx:${hint.TRAN_NBR}:${confirmed.outcome}`, { ...confirmed });
    if (confirmed.outcome !== 'pending') {
      await signalPaymentResult(deps.temporal, order.sessionId, { ...confirmed, outcome: confirmed.outcome });
    }
    res.redirect(303, returnUrl(deps.config.PUBLIC_BASE_URL, deps.config.PAY_LINK_SECRET, order.sessionId));
  };
  r.get('/api/providers/epx/response', handle);
  r.post('/api/providers/epx/response', handle);
  return r;
}
