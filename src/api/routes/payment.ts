import { Router, type Request, type Response } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startPaymentUpdate } from '../../../workflows/messages';
import { bearerToken } from '../auth';
import type { ApiDeps } from '../deps';
import { unauthorized, updateRejection } from '../errors';
import { escapeHtml, page } from '../pages';
import { payUrl, verifyPayLink } from '../pay-link';
import { loadSession, parseSessionId, sessionHandle } from '../sessions';

/**
 * The pay_url the app opens in a WebView: starts (or resumes) the card payment attempt and sends the browser
 * to the provider's page. The result page shows what happened and what to do next.
 */
export function paymentRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { config, temporal } = deps;

  const authorise = (req: Request, id: number) => {
    if (!verifyPayLink(config.PAY_LINK_SECRET, id, req.query.sig) && !bearerToken(req)) throw unauthorized('invalid or missing pay link signature');
  };

  r.get('/api/payment/pay/:id', async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    authorise(req, id);
    await loadSession(temporal, id);
    try {
      const { attempt } = await sessionHandle(temporal, id).executeUpdate(startPaymentUpdate, { args: [] });
      if (!attempt?.redirectUrl) return res.redirect(303, resultLink(id));
      return res.redirect(303, attempt.redirectUrl);
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      return res.status(422).type('html').send(page('Nothing to pay', `<p>${escapeHtml(updateRejection(err))}</p>`));
    }
  });

  const resultLink = (id: number) => `/api/payment/return/${id}?sig=${encodeURIComponent(new URL(payUrl(config.PUBLIC_BASE_URL, config.PAY_LINK_SECRET, id)).searchParams.get('sig') ?? '')}`;

  r.get('/api/payment/return/:id', async (req: Request, res: Response) => {
    const id = parseSessionId(String(req.params.id));
    authorise(req, id);
    const view = await loadSession(temporal, id);
    const last = view.attempts[view.attempts.length - 1];
    const amount = view.amount ? `${view.amount.gross} ${view.amount.currency}` : '';
    if (view.paymentStatus === 'paid' || view.paymentStatus === 'billed') {
      return res.type('html').send(page('Payment received', `<p class="ok">Paid ${escapeHtml(amount)}. Thank you!</p><p>${view.kind === 'barrier' ? 'Your exit key is ready in the app: drive to the exit barrier.' : 'Your parking is settled.'}</p>`));
    }
    if (last && (last.status === 'declined' || last.status === 'expired')) {
      const retry = payUrl(config.PUBLIC_BASE_URL, config.PAY_LINK_SECRET, id);
      return res.type('html').send(
        page(
          'Payment not completed',
          `<p class="bad">${escapeHtml(last.reason ?? 'The payment was declined.')}</p><p>Nothing was charged. Check the card details or use another card.</p><p><a class="button" href="${escapeHtml(retry)}">Try again (${escapeHtml(amount)})</a></p>`,
        ),
      );
    }
    return res.type('html').send(page('Waiting for the payment result…', `<p>Amount: ${escapeHtml(amount)}. This page refreshes by itself.</p>`, { refreshSeconds: 2 }));
  });

  return r;
}
