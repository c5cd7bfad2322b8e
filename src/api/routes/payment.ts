import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { isTerminal } from '../../domain/session';
import { startPaymentUpdate, type SessionView } from '../../../workflows/messages';
import { bearerToken, driverForToken } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, unauthorized, updateRejection, updateRejectionType } from '../errors';
import { buttonLink, escapeHtml, formatMoney, page } from '../pages';
import { appUrl, buildReceipt, receiptParking, receiptRefusal, receiptTableHtml } from '../receipt';
import { payUrl, resultUrl, verifyLink, type LinkPurpose } from '../pay-link';
import { rateLimit } from '../rate-limit';
import { loadSession, parseSessionId, readSession, sessionHandle } from '../sessions';

/**
 * The pay_url the app opens in a WebView: starts (or resumes) the card payment attempt and sends the browser
 * to the provider's page. The result page shows what happened and what to do next. Both open only with a valid,
 * unexpired signed link (src/api/pay-link.ts) or the owning driver's own Bearer token; nothing about the session
 * (amount, links) is shown otherwise, and no provider order is started.
 */
export function paymentRoutes(deps: ApiDeps): Router {
  const r = Router();
  const { config, temporal } = deps;
  const ttlSeconds = config.PAY_LINK_TTL_MINUTES * 60;
  const payLimit = rateLimit({ name: 'the pay page', max: config.RATE_LIMIT_PAY_PER_MINUTE });
  const resultLimit = rateLimit({ name: 'the result page', max: config.RATE_LIMIT_RESULT_PER_MINUTE });

  /**
   * The session, once the caller has proven they may see it; a link may not name an attempt the session has not
   * reached. The pay page reads the read model (the update that follows is judged by the workflow); the result
   * page asks the workflow, whose query sees a payment result signalled just before the browser came back.
   */
  async function authorisedSession(req: Request, purpose: LinkPurpose, id: number): Promise<SessionView> {
    const read = purpose === 'pay' ? readSession : loadSession;
    if (req.query.sig === undefined) {
      const token = bearerToken(req);
      if (!token) throw unauthorized('missing pay link signature (a, exp, sig) or Bearer access token');
      const found = await driverForToken(token);
      if ('refused' in found) throw unauthorized(found.refused);
      return read(temporal, id, found.driverId); // another driver's session: 404
    }
    const check = verifyLink(config.PAY_LINK_SECRET, purpose, id, req.query);
    if (!check.ok) throw new ApiError(check.status, check.code, check.message);
    const view = await read(temporal, id);
    if (check.attempt > view.attempts.length) throw new ApiError(403, 'invalid_signature', 'invalid pay link signature');
    return view;
  }

  const freshResultLink = (view: SessionView) => resultUrl(config.PUBLIC_BASE_URL, config.PAY_LINK_SECRET, view.sessionId, view.attempts.length, ttlSeconds);

  const backToApp = (view: SessionView) => buttonLink(appUrl(config.APP_DEEP_LINK_BASE, view.sessionId), 'Back to the app');
  const amountText = (view: SessionView) => (view.amount ? formatMoney(view.amount.gross, view.amount.currency) : '');

  /** The receipt table of a settled session, or '' when there is none (yet). */
  async function receiptHtml(view: SessionView): Promise<string> {
    if (receiptRefusal(view)) return '';
    return receiptTableHtml(buildReceipt(view, await receiptParking(view.parkingId), config.APP_DEEP_LINK_BASE));
  }

  /**
   * A pay link opened after the session ended (an old WebView tab, a link shared twice): a page that says so, never
   * a provider page and never a JSON error. Null while the session runs (a paid one still goes to its result page).
   */
  async function nothingToPayPage(view: SessionView): Promise<string | null> {
    if (!isTerminal(view.state)) return null;
    if (view.paymentStatus === 'paid' || view.paymentStatus === 'billed') {
      return page(
        'Already paid',
        `<p class="ok">This parking is paid: ${escapeHtml(amountText(view))}. Nothing more to pay.</p>${await receiptHtml(view)}${backToApp(view)}`,
      );
    }
    return page('Nothing to pay', `<p>This parking session is ${escapeHtml(view.state)}: there is nothing to pay.</p>${backToApp(view)}`);
  }

  r.get('/api/payment/pay/:id', payLimit, async (req, res) => {
    const id = parseSessionId(String(req.params.id));
    const before = await authorisedSession(req, 'pay', id);
    const settled = await nothingToPayPage(before);
    if (settled) return res.type('html').send(settled);
    try {
      const { attempt, view } = await sessionHandle(temporal, id).executeUpdate(startPaymentUpdate, { args: [] });
      if (!attempt?.redirectUrl) return res.redirect(303, freshResultLink(view));
      return res.redirect(303, attempt.redirectUrl);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // The session ended between the read and the update (its workflow is complete): say what became of it.
        const ended = await nothingToPayPage(await loadSession(temporal, id));
        if (ended) return res.type('html').send(ended);
      }
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      if (updateRejectionType(err) === 'ProviderUnavailable') {
        // The provider is down (the client gave up within its deadline, or its circuit is open): say so at once.
        return res
          .status(503)
          .set('Retry-After', '60')
          .type('html')
          .send(page('Payment provider unavailable', `<p>The card payment service is not answering right now. Nothing was charged.</p><p>Please try again in a minute.</p>${backToApp(before)}`));
      }
      return res.status(422).type('html').send(page('Nothing to pay', `<p>${escapeHtml(updateRejection(err))}</p>${backToApp(before)}`));
    }
  });

  r.get('/api/payment/return/:id', resultLimit, async (req: Request, res: Response) => {
    const id = parseSessionId(String(req.params.id));
    const view = await authorisedSession(req, 'result', id);
    const last = view.attempts[view.attempts.length - 1];
    const amount = amountText(view);
    if (view.paymentStatus === 'paid' || view.paymentStatus === 'billed') {
      const next = view.kind === 'barrier' && view.state !== 'closed' ? 'Your exit key is ready in the app: drive to the exit barrier.' : 'Your parking is settled.';
      return res
        .type('html')
        .send(page('Payment received', `<p class="ok amount">Paid ${escapeHtml(amount)}</p><p>Thank you! ${next}</p>${await receiptHtml(view)}${backToApp(view)}`));
    }
    // Ended without paying (cancelled by ops, expired): no retry link for a session that can no longer be paid.
    const ended = await nothingToPayPage(view);
    if (ended) return res.type('html').send(ended);
    if (last && (last.status === 'declined' || last.status === 'expired')) {
      // A fresh, short-lived pay link for this session only: the visitor has just proven they hold one.
      const retry = payUrl(config.PUBLIC_BASE_URL, config.PAY_LINK_SECRET, id, view.attempts.length, ttlSeconds);
      return res.type('html').send(
        page(
          'Payment not completed',
          `<p class="bad">${escapeHtml(last.reason ?? 'The payment was declined.')}</p><p>Nothing was charged. Check the card details or use another card.</p>${buttonLink(retry, `Try again (${amount})`)}${buttonLink(appUrl(config.APP_DEEP_LINK_BASE, id), 'Back to the app', true)}`,
        ),
      );
    }
    return res
      .type('html')
      .send(page('Waiting for the payment result…', `<p class="amount">${escapeHtml(amount)}</p><p>This page refreshes by itself.</p>`, { refreshSeconds: 2 }));
  });

  return r;
}
