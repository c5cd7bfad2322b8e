import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { issueDriverToken } from '../../db/credentials';
import { AgreementModel, DriverModel, WebhookInboxModel } from '../../db/models';
import { isDuplicateKey } from '../../db/connection';
import { safeEqual, sha256Hex } from '../../security/constant-time';
import { derivedIdempotencyKey } from '../../providers/vipps/client';
import { eventDedupKey, safeParseVippsWebhookEvent, type VippsWebhookEvent } from '../../providers/vipps/inbound';
import { buildAuthorizeUrl, exchangeCode, userinfo } from '../../providers/vipps/login';
import { verifyVippsWebhook } from '../../providers/vipps/webhook-signature';
import { fromOre, type AgreementResponse } from '../../providers/vipps/wire';
import { vippsBillingWorkflowId } from '../../temporal/ids';
import {
  agreementStatusSignal,
  billNowSignal,
  billingStateQuery,
  chargeEventSignal,
  type VippsAgreementStatusSignal,
} from '../../../workflows/vipps-billing-messages';
import { audited } from '../audit';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, notFound } from '../errors';
import { componentLogger } from '../../observability/logger';

const log = componentLogger('vipps');

/**
 * Vipps MobilePay pay-as-you-go, HTTP side (docs/VIPPS.md):
 *  browser onboarding  GET /vipps/qr → /vipps/landing → /vipps/login → Vipps Login → /vipps/login/callback
 *                      → Vipps agreement confirmation → /vipps/agreement-return
 *  provider            POST /api/providers/vipps/webhooks (HMAC first, inbox dedupe, then DB write / signal)
 *  ops                 POST /api/ops/vipps/agreements/:id/bill-now, GET /api/ops/vipps/agreements/:id
 * Money never moves here: charges belong to the vipps-billing-<agreementId> workflow.
 */

export const VIPPS_WEBHOOK_PATH = '/api/providers/vipps/webhooks';
export const VIPPS_QR_ID = 'parking-site';
/** Suggested daily limit offered in the agreement: 2 000 NOK (the user may choose lower in the app). */
export const SUGGESTED_MAX_AMOUNT_MINOR = 200_000;
const LOGIN_SCOPE = 'openid phoneNumber name';
const STATE_TTL_MS = 10 * 60_000;
const STATE_COOKIE = 'vipps_login';
const TOKEN_COOKIE = 'vipps_app_token';

const AgreementIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid agreement id');

const AGREEMENT_STATUS: Record<string, VippsAgreementStatusSignal['status']> = {
  'recurring.agreement-activated.v1': 'ACTIVE',
  'recurring.agreement-rejected.v1': 'STOPPED',
  'recurring.agreement-stopped.v1': 'STOPPED',
  'recurring.agreement-expired.v1': 'EXPIRED',
};

// ---- small helpers ---------------------------------------------------------------------------------

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    .send(`<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function setCookie(res: Response, name: string, value: string, path: string, maxAgeS: number, secure: boolean): void {
  const attrs = [`${name}=${encodeURIComponent(value)}`, `Path=${path}`, `Max-Age=${maxAgeS}`, 'HttpOnly', 'SameSite=Lax'];
  if (secure) attrs.push('Secure');
  res.append('set-cookie', attrs.join('; '));
}

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** HMAC tokens for the login state and the agreement-return reference (keyed by a server secret). */
function signer(secret: string) {
  const mac = (purpose: string, value: string) => createHmac('sha256', secret).update(`${purpose}\n${value}`).digest('base64url');
  return {
    sign: (purpose: string, value: string) => `${value}.${mac(purpose, value)}`,
    verify(purpose: string, token: string | undefined): string | null {
      if (!token) return null;
      const dot = token.lastIndexOf('.');
      if (dot <= 0) return null;
      const value = token.slice(0, dot);
      return safeEqual(token.slice(dot + 1), mac(purpose, value)) ? value : null;
    },
  };
}

// ---- routes ------------------------------------------------------------------------------------------

export function vippsRoutes(deps: ApiDeps): Router {
  const { config, vipps, temporal } = deps;
  const r = Router();
  const base = config.PUBLIC_BASE_URL;
  const secure = base.startsWith('https:');
  // Signing key for browser round-trips, derived so it differs from the pay-link signatures.
  const signed = signer(createHash('sha256').update(`vipps-browser:${config.PAY_LINK_SECRET}`).digest('hex'));
  const callbackUrl = `${base}/vipps/login/callback`;
  const billing = (agreementId: string) => temporal.workflow.getHandle(vippsBillingWorkflowId(agreementId));

  // QR: created once per process (Vipps keeps it); public hits never fan out to Vipps.
  let qr: Promise<{ id: string; url: string; redirectUrl: string }> | undefined;
  r.get('/vipps/qr', async (req, res) => {
    const redirectUrl = `${base}/vipps/landing`;
    qr ??= vipps.createMerchantRedirectQr({ id: VIPPS_QR_ID, redirectUrl }).then((q) => ({ id: VIPPS_QR_ID, url: q.url, redirectUrl }));
    const created = await qr.catch((err: unknown) => {
      qr = undefined;
      throw err;
    });
    if (req.accepts(['json', 'image/*']) === 'json') res.json(created);
    else res.redirect(302, created.url);
  });

  r.get('/vipps/landing', (_req, res) => {
    page(
      res,
      200,
      'Pay for parking with Vipps',
      `<p>Log in with Vipps MobilePay once and approve a daily agreement: every parking session is added up and charged once a day.</p>
<p><a href="/vipps/login">Pay for parking with Vipps</a></p>`,
    );
  });

  r.get('/vipps/login', (_req, res) => {
    // state = signed nonce + expiry; the nonce is also in a cookie, so the callback proves it is the same browser.
    const nonce = randomBytes(16).toString('base64url');
    const state = signed.sign('login-state', `${nonce}~${Date.now() + STATE_TTL_MS}`);
    setCookie(res, STATE_COOKIE, nonce, '/vipps', STATE_TTL_MS / 1000, secure);
    res.redirect(
      302,
      buildAuthorizeUrl({ baseUrl: config.VIPPS_BASE_URL, clientId: config.VIPPS_CLIENT_ID, redirectUri: callbackUrl, state, scope: LOGIN_SCOPE }),
    );
  });

  r.get('/vipps/login/callback', async (req, res) => {
    const stateValue = signed.verify('login-state', one(req.query.state));
    const [nonce, expires] = (stateValue ?? '').split('~');
    const browserNonce = cookie(req, STATE_COOKIE);
    if (!stateValue || Number(expires) < Date.now() || !browserNonce || !safeEqual(browserNonce, nonce)) {
      return page(res, 400, 'Login expired', '<p>Please <a href="/vipps/login">log in again</a>.</p>');
    }
    if (one(req.query.error)) return page(res, 400, 'Login cancelled', '<p><a href="/vipps/landing">Back</a></p>');
    const code = one(req.query.code);
    if (!code) throw badRequest('missing code');
    setCookie(res, STATE_COOKIE, '', '/vipps', 0, secure); // single use

    const tokens = await exchangeCode({
      baseUrl: config.VIPPS_BASE_URL,
      clientId: config.VIPPS_CLIENT_ID,
      clientSecret: config.VIPPS_CLIENT_SECRET,
      code,
      redirectUri: callbackUrl,
    });
    const user = await userinfo({ baseUrl: config.VIPPS_BASE_URL, accessToken: tokens.access_token });
    if (!user.phone_number) return page(res, 400, 'Phone number required', '<p>Allow sharing your phone number with us and try again.</p>');
    const phoneNumber = user.phone_number.replace(/\D/g, '');

    const driver = await DriverModel.findOneAndUpdate(
      { phoneNumber },
      { $setOnInsert: { id: `vipps-${user.sub}`, phoneNumber, name: user.name ?? '' } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    const { token: appToken } = await issueDriverToken(driver.id, 'vipps-login', config.DRIVER_TOKEN_TTL_DAYS);

    const ref = signed.sign('agreement-return', driver.id);
    const draft = await vipps.draftAgreement({
      phoneNumber,
      productName: 'Parking pay-as-you-go',
      productDescription: 'All parking of a day, charged once a day',
      suggestedMaxAmountMinor: SUGGESTED_MAX_AMOUNT_MINOR,
      currency: 'NOK',
      merchantRedirectUrl: `${base}/vipps/agreement-return?ref=${encodeURIComponent(ref)}`,
      merchantAgreementUrl: `${base}/vipps/agreements`,
      idempotencyKey: derivedIdempotencyKey('draft', driver.id, nonce),
    });
    await AgreementModel.create({
      agreementId: draft.agreementId,
      driverId: driver.id,
      status: 'PENDING',
      currency: 'NOK',
      suggestedMaxAmountMinor: SUGGESTED_MAX_AMOUNT_MINOR,
      phoneNumber,
      vippsConfirmationUrl: draft.vippsConfirmationUrl,
    });
    // The plain token exists only here; it is shown once on the return page, then the cookie is cleared.
    setCookie(res, TOKEN_COOKIE, appToken, '/vipps/agreement-return', 3600, secure);
    res.redirect(302, draft.vippsConfirmationUrl);
  });

  r.get('/vipps/agreement-return', async (req, res) => {
    const driverId = signed.verify('agreement-return', one(req.query.ref));
    if (!driverId) return page(res, 400, 'Unknown agreement', '<p><a href="/vipps/landing">Start again</a></p>');
    const stored = await AgreementModel.findOne({ driverId }).sort({ createdAt: -1 }).lean();
    if (!stored) return page(res, 404, 'Unknown agreement', '<p><a href="/vipps/landing">Start again</a></p>');
    // Never trust the redirect: the agreement's state is what Vipps says it is.
    const agreement = await vipps.getAgreement(stored.agreementId);
    await AgreementModel.updateOne({ agreementId: stored.agreementId }, { $set: agreementFields(agreement) });
    const appToken = cookie(req, TOKEN_COOKIE);
    setCookie(res, TOKEN_COOKIE, '', '/vipps/agreement-return', 0, secure);
    const limit = agreement.pricing.maxAmount ?? agreement.pricing.suggestedMaxAmount;
    page(
      res,
      200,
      agreement.status === 'ACTIVE' ? 'Vipps agreement active' : `Vipps agreement ${agreement.status.toLowerCase()}`,
      `<p>Agreement <code>${escapeHtml(agreement.id)}</code>: <strong id="status">${escapeHtml(agreement.status)}</strong>${
        limit ? `, daily limit ${escapeHtml(fromOre(limit))} ${escapeHtml(agreement.pricing.currency)}` : ''
      }.</p>${
        appToken
          ? `<p>Your app access token (shown once; keep it in the parking app): <code id="token">${escapeHtml(appToken)}</code></p>`
          : '<p>Log in again from the parking app to get an access token.</p>'
      }`,
    );
  });

  r.get('/vipps/agreements', (_req, res) => {
    page(res, 200, 'Your parking agreement', '<p>Manage or stop the agreement in the Vipps MobilePay app; log in to see your parking.</p>');
  });

  // ---- webhooks ---------------------------------------------------------------------------------------

  const registered = new URL(base + VIPPS_WEBHOOK_PATH);
  r.post(VIPPS_WEBHOOK_PATH, async (req, res) => {
    // Authenticate before anything reads the body: signed over OUR registered URL and the raw bytes.
    const rawBody = req.rawBody ?? Buffer.alloc(0);
    const check = (host: string, pathAndQuery: string) =>
      verifyVippsWebhook({ secret: config.VIPPS_WEBHOOK_SECRET, pathAndQuery, host, headers: req.headers, rawBody });
    let verified = check(registered.host, registered.pathname + registered.search);
    // Behind a proxy that keeps Host, the request's own authority is what Vipps signed.
    if (!verified.ok && verified.reason === 'signature_mismatch' && req.get('host')) verified = check(req.get('host') as string, req.originalUrl);
    if (!verified.ok) throw new ApiError(401, 'unauthorized', `invalid Vipps webhook signature (${verified.reason})`);

    const parsed = safeParseVippsWebhookEvent(req.body);
    const event = parsed.ok ? parsed.event : undefined;
    const dedupKey = event ? eventDedupKey(event) : `vipps:unparsed:${sha256Hex(rawBody.toString('utf8'))}`;
    try {
      await WebhookInboxModel.create({
        dedupKey,
        provider: 'vipps',
        eventType: event ? (event.kind === 'epayment' ? `epayment.${event.name}` : event.eventType) : 'unparsed',
        payload: req.body ?? {},
        outcome: event ? 'accepted' : 'unparsed',
      });
    } catch (err) {
      if (isDuplicateKey(err)) return void res.status(200).json({ status: 'duplicate' });
      throw err;
    }
    // An event we cannot read is acknowledged (kept in the inbox): a 4xx would be redelivered for 7 days.
    if (!event) return void res.status(200).json({ status: 'ignored' });
    try {
      await applyEvent(event);
    } catch (err) {
      // Not applied: forget it so Vipps' redelivery is processed, and let Vipps retry.
      await WebhookInboxModel.deleteOne({ dedupKey }).catch(() => undefined);
      throw err;
    }
    res.status(200).json({ status: 'accepted' });
  });

  async function signalBilling(agreementId: string, send: (h: ReturnType<typeof billing>) => Promise<void>): Promise<void> {
    try {
      await send(billing(agreementId));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      log.info({ agreementId }, 'no billing workflow for the agreement; event kept in the inbox only');
    }
  }

  async function applyEvent(event: VippsWebhookEvent): Promise<void> {
    if (event.kind === 'agreement') {
      const status = AGREEMENT_STATUS[event.eventType];
      await AgreementModel.updateOne({ agreementId: event.agreementId }, { $set: { status } });
      await signalBilling(event.agreementId, (h) => h.signal(agreementStatusSignal, { status, eventType: event.eventType, occurred: event.occurred }));
    } else if (event.kind === 'charge') {
      await signalBilling(event.agreementId, (h) =>
        h.signal(chargeEventSignal, { chargeId: event.chargeId, eventType: event.eventType, occurred: event.occurred }),
      );
    }
    // ePayment events: not used by pay-as-you-go; the inbox row is the record.
  }

  // ---- ops ----------------------------------------------------------------------------------------------

  const ops = requireOps;
  r.post('/api/ops/vipps/agreements/:agreementId/bill-now', ops, async (req, res) => {
    const agreementId = AgreementIdParam.parse(req.params.agreementId);
    await audited(req, 'vipps_bill_now', `agreement:${agreementId}`, {}, async () => {
      try {
        await billing(agreementId).signal(billNowSignal, { requestedBy: `ops:${req.opsUser}` });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`no billing workflow for agreement ${agreementId}`);
        throw err;
      }
    });
    res.status(202).json({ status: 'accepted', workflowId: vippsBillingWorkflowId(agreementId) });
  });

  r.get('/api/ops/vipps/agreements/:agreementId', ops, async (req, res) => {
    const agreementId = AgreementIdParam.parse(req.params.agreementId);
    try {
      res.json(await billing(agreementId).query(billingStateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`no billing workflow for agreement ${agreementId}`);
      throw err;
    }
  });

  return r;
}

function agreementFields(a: AgreementResponse) {
  return {
    status: a.status,
    maxAmountMinor: a.pricing.maxAmount ?? null,
    ...(a.pricing.suggestedMaxAmount != null ? { suggestedMaxAmountMinor: a.pricing.suggestedMaxAmount } : {}),
    ...(a.phoneNumber ? { phoneNumber: a.phoneNumber } : {}),
  };
}
