import { VIPPS_WEBHOOK_PATH } from '../../src/api/routes/vipps';
import { AccessTokenModel, AgreementModel, DriverModel, WebhookInboxModel } from '../../src/db/models';
import { sha256Hex } from '../../src/security/constant-time';
import { createProviderClients } from '../../src/providers/clients';
import type { VippsClient } from '../../src/providers/vipps/client';
import type { VippsSandbox } from '../../src/providers/vipps/sandbox';
import { signVippsWebhook } from '../../src/providers/vipps/webhook-signature';
import { vippsBillingWorkflowId } from '../../src/temporal/ids';
import { addVippsUsageSignal } from '../../workflows/messages';
import { decodeQrPng } from '../helpers/qr-decode';
import { startStack, type Stack } from '../helpers/stack';
import { vippsBilling } from '../../workflows/vipps-billing';

/**
 * The Vipps routes over loopback HTTP against the whole product (test/helpers/stack.ts): the API, the provider
 * sandboxes (the Vipps one sends its signed webhooks back to this API), FerretDB, and the dev server with a worker
 * running every workflow and activity on this file's own task queue. Browser redirects are followed by hand
 * (redirect: 'manual') so every hop is checked.
 */

const CREDS = { clientId: 'api-vipps-client', clientSecret: 'api-vipps-secret', subscriptionKey: 'api-sub-key', merchantSerialNumber: '123456' };
const WEBHOOK_SECRET = 'api-vipps-webhook-secret';
const OPS = 'api-test-ops-token-123';
// Agreement ids that reach Temporal (billing workflow ids) are global on the shared dev server: make them this run's own.
const RUN = `${process.pid}-${Date.now()}`;

let s: Stack;
let sandbox: VippsSandbox;
let vipps: VippsClient;
let api = '';

beforeAll(async () => {
  s = await startStack('api_vipps', {
    VIPPS_CLIENT_ID: CREDS.clientId,
    VIPPS_CLIENT_SECRET: CREDS.clientSecret,
    VIPPS_SUBSCRIPTION_KEY: CREDS.subscriptionKey,
    VIPPS_MSN: CREDS.merchantSerialNumber,
    VIPPS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    OPS_API_TOKEN: OPS,
  });
  api = s.api;
  sandbox = s.sandbox.vipps;
  vipps = createProviderClients(s.config).vipps;
});
afterAll(() => s?.stop());

function signed(body: string, secret = WEBHOOK_SECRET): Record<string, string> {
  const url = new URL(api + VIPPS_WEBHOOK_PATH);
  const h = signVippsWebhook({ secret, pathAndQuery: url.pathname, host: url.host, date: new Date(), rawBody: body });
  return { 'content-type': 'application/json', 'x-ms-date': h['x-ms-date'], 'x-ms-content-sha256': h['x-ms-content-sha256'], authorization: h.authorization };
}

const postWebhook = (body: string, headers: Record<string, string>) => fetch(api + VIPPS_WEBHOOK_PATH, { method: 'POST', headers, body });

async function seedAgreement(agreementId: string, status: 'PENDING' | 'ACTIVE' = 'ACTIVE'): Promise<void> {
  await AgreementModel.create({ agreementId, driverId: `drv-${agreementId}`, status, currency: 'NOK', suggestedMaxAmountMinor: 200_000 });
}

describe('POST /api/providers/vipps/webhooks', () => {
  const stopped = (agreementId: string) =>
    JSON.stringify({ eventType: 'recurring.agreement-stopped.v1', agreementId, occurred: '2030-01-02T10:00:00Z', actor: 'USER', msn: '123456' });

  test('a bad signature is 401 and changes nothing', async () => {
    await seedAgreement('agr-badsig');
    const body = stopped('agr-badsig');
    const res = await postWebhook(body, signed(body, 'not-the-secret'));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'unauthorized' });
    // Signed, but the body was changed afterwards.
    const res2 = await postWebhook(body.replace('USER', 'MERCHANT'), signed(body));
    expect(res2.status).toBe(401);
    expect((await AgreementModel.findOne({ agreementId: 'agr-badsig' }).lean())?.status).toBe('ACTIVE');
    expect(await WebhookInboxModel.countDocuments({ 'payload.agreementId': 'agr-badsig' })).toBe(0);
  });

  test('a valid agreement event updates the agreement once; the redelivery is 200 with no second effect', async () => {
    await seedAgreement('agr-stop');
    const body = stopped('agr-stop');
    const res = await postWebhook(body, signed(body));
    expect(res.status).toBe(200);
    expect((await AgreementModel.findOne({ agreementId: 'agr-stop' }).lean())?.status).toBe('STOPPED');

    // Ops (say) reactivate the row by hand: a redelivered old event must not undo that.
    await AgreementModel.updateOne({ agreementId: 'agr-stop' }, { $set: { status: 'ACTIVE' } });
    const again = await postWebhook(body, signed(body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    expect((await AgreementModel.findOne({ agreementId: 'agr-stop' }).lean())?.status).toBe('ACTIVE');
    expect(await WebhookInboxModel.countDocuments({ dedupKey: 'vipps:recurring.agreement-stopped.v1:agr-stop' })).toBe(1);
  });

  test('a charge event for an agreement without a billing workflow is acknowledged', async () => {
    const nowf = `agr-nowf-${RUN}`;
    const body = JSON.stringify({ eventType: 'recurring.charge-captured.v1', agreementId: nowf, chargeId: `${nowf}-20300101`, occurred: '2030-01-02T07:00:00Z', amount: 4985 });
    const res = await postWebhook(body, signed(body));
    expect(res.status).toBe(200);
    expect(await WebhookInboxModel.countDocuments({ dedupKey: `vipps:recurring.charge-captured.v1:${nowf}:${nowf}-20300101` })).toBe(1);
  });
});

describe('onboarding: QR → landing → Vipps Login → agreement → return page', () => {
  test('happy path against the sandbox, every redirect followed by hand', async () => {
    const qr = await fetch(`${api}/vipps/qr`, { headers: { accept: 'application/json' } });
    expect(qr.status).toBe(200);
    expect(await qr.json()).toMatchObject({ id: 'parking-site', redirectUrl: `${api}/vipps/landing` });
    expect(sandbox.records().qrCodes.map((q) => q.redirectUrl)).toEqual([`${api}/vipps/landing`]);
    // The sign's QR: a real QR code of our landing page at PUBLIC_BASE_URL, PNG by default and as SVG.
    const qrImage = await fetch(`${api}/vipps/qr`, { redirect: 'manual' });
    expect(qrImage.status).toBe(200);
    expect(qrImage.headers.get('content-type')).toBe('image/png');
    expect(decodeQrPng(Buffer.from(await qrImage.arrayBuffer()))).toBe(`${s.config.PUBLIC_BASE_URL}/vipps/landing`);
    const png = await fetch(`${api}/vipps/qr.png`);
    expect(decodeQrPng(Buffer.from(await png.arrayBuffer()))).toBe(`${api}/vipps/landing`);
    const svg = await fetch(`${api}/vipps/qr.svg`);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(await svg.text()).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"[\s\S]*<path /);

    const landing = await fetch(`${api}/vipps/landing`);
    expect(await landing.text()).toMatch(/Pay for parking with Vipps[\s\S]*href="\/vipps\/login"/);

    // Our login → Vipps authorize page (state signed, nonce cookie set).
    const login = await fetch(`${api}/vipps/login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(authorize.href.startsWith(`${sandbox.baseUrl}/access-management-1.0/access/oauth2/auth`)).toBe(true);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${api}/vipps/login/callback`);
    const stateCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];

    // The user logs in at Vipps → back to our callback with code and state.
    const form = new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), phone_number: '4791112222', action: 'login' });
    const vippsLogin = await fetch(authorize.origin + authorize.pathname, { method: 'POST', body: form, redirect: 'manual' });
    expect(vippsLogin.status).toBe(302);
    const callback = vippsLogin.headers.get('location') ?? '';
    expect(callback.startsWith(`${api}/vipps/login/callback?`)).toBe(true);

    // Without the browser's nonce cookie the state is refused (CSRF / replay from another browser).
    const foreign = await fetch(callback, { redirect: 'manual' });
    expect(foreign.status).toBe(400);

    const cb = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
    expect(cb.status).toBe(302);
    const confirmation = cb.headers.get('location') ?? '';
    const pending = await AgreementModel.findOne({ phoneNumber: '4791112222' }).lean();
    expect(pending).toMatchObject({ status: 'PENDING', suggestedMaxAmountMinor: 200_000, vippsConfirmationUrl: confirmation });
    const driver = await DriverModel.findOne({ phoneNumber: '4791112222' }).lean();
    expect(driver?.id).toBe(pending?.driverId);
    const tokenCookie = (cb.headers.get('set-cookie') ?? '').split(/,(?=\s*vipps_)/).find((c) => c.trim().startsWith('vipps_app_token='));
    const token = decodeURIComponent((tokenCookie ?? '').trim().split(';')[0].split('=')[1] ?? '');
    expect(token.length).toBeGreaterThan(20);
    expect(await AccessTokenModel.countDocuments({ tokenHash: sha256Hex(token), driverId: driver?.id })).toBe(1);
    const drafted = sandbox.records().agreements.find((a) => a.id === pending?.agreementId);
    expect(drafted).toMatchObject({ suggestedMaxAmount: 200_000, merchantAgreementUrl: `${api}/vipps/agreements` });

    // The user accepts in the "app" with their own limit of 1500 kr; Vipps redirects to our return page
    // and, separately, sends recurring.agreement-activated.v1 to the webhook.
    const accept = await fetch(confirmation, {
      method: 'POST',
      body: new URLSearchParams({ action: 'accept', phoneNumber: '4791112222', maxAmount: '1500' }),
      redirect: 'manual',
    });
    expect(accept.status).toBe(302);
    const returnUrl = accept.headers.get('location') ?? '';
    expect(returnUrl.startsWith(`${api}/vipps/agreement-return?`)).toBe(true);
    await sandbox.webhooksIdle();
    const activated = sandbox.records().webhookDeliveries.find((d) => d.eventType === 'recurring.agreement-activated.v1');
    expect(activated?.attempts.at(-1)?.status).toBe(200);
    expect((await AgreementModel.findOne({ agreementId: pending?.agreementId }).lean())?.status).toBe('ACTIVE');

    const ret = await fetch(returnUrl, { headers: { cookie: `vipps_app_token=${encodeURIComponent(token)}` } });
    expect(ret.status).toBe(200);
    const html = await ret.text();
    expect(html).toContain('<strong id="status">ACTIVE</strong>');
    expect(html).toContain('1500.00 NOK');
    expect(html).toContain(`<code id="token">${token}</code>`);
    expect((await AgreementModel.findOne({ agreementId: pending?.agreementId }).lean())?.maxAmountMinor).toBe(150_000);

    // A forged reference shows nothing.
    const forged = await fetch(`${api}/vipps/agreement-return?ref=${encodeURIComponent(`${driver?.id}.forged`)}`);
    expect(forged.status).toBe(400);
  });
});

describe('ops: billing state and bill-now', () => {
  test('401 without the ops token, 404 for an agreement without billing, state and bill-now for a running one', async () => {
    expect((await fetch(`${api}/api/ops/vipps/agreements/agr-x`)).status).toBe(401);
    const auth = { authorization: `Bearer ${OPS}` };
    const none = `agr-none-${RUN}`;
    expect((await fetch(`${api}/api/ops/vipps/agreements/${none}`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${api}/api/ops/vipps/agreements/${none}/bill-now`, { method: 'POST', headers: auth })).status).toBe(404);

    const draft = await vipps.draftAgreement({
      productName: 'Parking',
      suggestedMaxAmountMinor: 200_000,
      currency: 'NOK',
      merchantRedirectUrl: `${api}/vipps/agreement-return`,
      merchantAgreementUrl: `${api}/vipps/agreements`,
      idempotencyKey: `ops-draft-${process.pid}`,
    });
    await vipps.forceAcceptAgreement(draft.agreementId, '4793334444', `ops-accept-${process.pid}`);
    await seedAgreement(draft.agreementId);
    await s.temporal.workflow.signalWithStart(vippsBilling, {
      workflowId: vippsBillingWorkflowId(draft.agreementId),
      taskQueue: s.config.TEMPORAL_TASK_QUEUE,
      args: [{ agreementId: draft.agreementId }],
      signal: addVippsUsageSignal,
      signalArgs: [
        { sessionId: 'ops-1', source: 'barrier', occurredAt: new Date().toISOString(), gross: '45.00', net: '36.00', vat: '9.00', vatPercent: '25', currency: 'NOK', description: 'Parking' },
      ],
    });

    const url = `${api}/api/ops/vipps/agreements/${draft.agreementId}`;
    type State = { pending: unknown[]; openCharges: Array<{ amount: string; status: string }> };
    let state: State | undefined;
    for (let i = 0; i < 100 && !state?.pending.length; i++) {
      const res = await fetch(url, { headers: auth });
      if (res.status === 200) state = (await res.json()) as State;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(state?.pending).toHaveLength(1);

    const billNow = await fetch(`${url}/bill-now`, { method: 'POST', headers: auth });
    expect(billNow.status).toBe(202);
    for (let i = 0; i < 100 && state?.openCharges[0]?.status !== 'CREATED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await (await fetch(url, { headers: auth })).json()) as State;
    }
    expect(state?.openCharges[0]).toMatchObject({ amount: '45.00', status: 'CREATED' });
    expect(sandbox.records().charges.filter((c) => c.agreementId === draft.agreementId).map((c) => c.amount)).toEqual([4500]);
    // Daily billing is the workflow tests' subject; stop it so it does not outlive this file on the shared dev server.
    await s.temporal.workflow.getHandle(vippsBillingWorkflowId(draft.agreementId)).terminate('end of test');
  });
});
