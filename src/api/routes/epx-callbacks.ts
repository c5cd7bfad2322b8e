import { Router, type Request, type Response } from 'express';
import { EpxResponseFormatError, parseEpxBrowserPostResponse } from '../../providers/epx/inbound';
import { parseOrderId } from '../../temporal/ids';
import type { ApiDeps } from '../deps';
import { badRequest, notFound } from '../errors';
import { recordInbound } from '../inbox';
import { returnUrl } from '../pay-link';
import { deliverProviderResult, isFinalOutcome } from '../../temporal/provider-results';
import { loadSession } from '../sessions';
import { componentLogger } from '../../observability/logger';

const log = componentLogger('epx');

/**
 * EPX browser post sends the browser back here with the result in the URL. A browser can forge that, so the
 * result is only a hint: the payment outcome comes from EPX server to server.
 */
export function epxCallbackRoutes(deps: ApiDeps): Router {
  const r = Router();
  const handle = async (req: Request, res: Response) => {
    const params = req.method === 'GET' ? new URLSearchParams(req.url.split('?')[1] ?? '') : ((req.body ?? {}) as Record<string, unknown>);
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
    try {
      const confirmed = await deps.cardProviders.epx.status(hint.TRAN_NBR, attempt.providerRef ?? hint.AUTH_GUID ?? '');
      await recordInbound('epx', `status-${confirmed.outcome}`, `epx:${hint.TRAN_NBR}:${confirmed.outcome}`, { ...confirmed });
      if (isFinalOutcome(confirmed.outcome)) {
        await deliverProviderResult(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, order.sessionId, 'epx', { ...confirmed, outcome: confirmed.outcome });
      }
    } catch (err) {
      // EPX (or our side) could not confirm now. The browser still gets the waiting page: the session asks EPX
      // again on its own schedule, so the sale is settled either way.
      log.warn({ tranNbr: hint.TRAN_NBR, err }, 'confirmation deferred');
    }
    res.redirect(303, returnUrl(deps.config.PUBLIC_BASE_URL, deps.config.PAY_LINK_SECRET, order.sessionId));
  };
  r.get('/api/providers/epx/response', handle);
  r.post('/api/providers/epx/response', handle);
  return r;
}
