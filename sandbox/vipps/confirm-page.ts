import { Router, type Request, type Response } from 'express';
import { escapeHtml, normalizePhone, ProblemError } from './http';
import type { RecurringState } from './state';
import { fromOre, toOre } from '../../src/providers/vipps/wire';
import { browserDonePage } from '../faults';
import { formatMoney, layoutPage } from '../../src/api/pages-layout';

/**
 * The page behind vippsConfirmationUrl: stands in for the Vipps app, where the user accepts the
 * agreement (optionally choosing their own daily maxAmount) or declines it. Like Vipps, it then sends
 * the browser to merchantRedirectUrl either way, so the merchant must poll the agreement for the result.
 */
/** neverReturns: asked once per accept/reject; true shows a "done" page instead of the redirect (test control). */
export function confirmPageRoutes(state: RecurringState, settle: () => Promise<void>, neverReturns: () => boolean = () => false): Router {
  const r = Router();

  r.get('/_ui/agreements/:agreementId', (req: Request, res: Response) => {
    try {
      const a = state.getAgreement(String(req.params.agreementId));
      if (a.status !== 'PENDING') {
        page(res, 409, 'Agreement not pending', `<p>This agreement is ${escapeHtml(a.status)}.</p>`);
        return;
      }
      page(
        res,
        200,
        `Confirm agreement: ${a.productName}`,
        `<p>${escapeHtml(a.productDescription ?? '')}</p>
<p>Suggested daily limit: <strong>${escapeHtml(formatMoney(fromOre(a.suggestedMaxAmount), a.currency))}</strong></p>
<form method="post">
  <label>Phone number <input name="phoneNumber" value="${escapeHtml(a.draftPhoneNumber ?? '')}" inputmode="tel" required></label>
  <label>Your max amount per day (${escapeHtml(a.currency)}) <input name="maxAmount" value="${escapeHtml(fromOre(a.suggestedMaxAmount))}" inputmode="decimal"></label>
  <button name="action" value="accept">Accept</button>
  <button name="action" value="reject" class="secondary">Decline</button>
</form>`,
      );
    } catch (err) {
      errorPage(res, err);
    }
  });

  r.post('/_ui/agreements/:agreementId', async (req: Request, res: Response) => {
    try {
      const form = formOf(req);
      const id = String(req.params.agreementId);
      if (form.action === 'reject') {
        const a = state.reject(id);
        await settle();
        if (neverReturns()) return void res.send(browserDonePage('Vipps'));
        res.redirect(302, a.merchantRedirectUrl);
        return;
      }
      if (form.action !== 'accept') throw new ProblemError(400, 'Bad Request', 'action must be accept or reject');
      const phone = normalizePhone(form.phoneNumber ?? '');
      if (!phone) throw new ProblemError(400, 'Bad Request', 'a valid phone number is required');
      const a = state.accept(id, phone, parseKroner(form.maxAmount));
      await settle();
      if (neverReturns()) return void res.send(browserDonePage('Vipps'));
      res.redirect(302, a.merchantRedirectUrl);
    } catch (err) {
      errorPage(res, err);
    }
  });

  return r;
}

function formOf(req: Request): Record<string, string | undefined> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return {};
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : undefined;
  return out;
}

/** "1500", "1500.50" or "1500,50" kroner → øre; blank means "keep the suggested amount". */
function parseKroner(raw: string | undefined): number | undefined {
  const s = (raw ?? '').trim().replace(',', '.');
  if (s === '') return undefined;
  if (!/^\d+(\.\d{1,2})?$/.test(s)) throw new ProblemError(400, 'Bad Request', 'maxAmount must be an amount like 1500.00');
  return toOre(s);
}

function page(res: Response, status: number, title: string, body: string): void {
  res.status(status).type('html').send(layoutPage(title, body, { footerHtml: 'Vipps MobilePay sandbox' }));
}

function errorPage(res: Response, err: unknown): void {
  if (err instanceof ProblemError) page(res, err.status, err.title, `<p>${escapeHtml(err.detail ?? '')}</p>`);
  else page(res, 500, 'Error', `<p>${escapeHtml(String((err as Error)?.message ?? err))}</p>`);
}
