import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { VippsApiError, VippsClient } from '../../../src/providers/vipps/client';
import { eventDedupKey, parseVippsWebhookEvent, type VippsWebhookEvent } from '../../../src/providers/vipps/inbound';
import { createVippsSandbox, type VippsSandbox, type VippsSandboxRecords } from '../../../sandbox/vipps/sandbox';
import { signVippsWebhook, verifyVippsWebhook, type VippsWebhookVerifyResult } from '../../../src/providers/vipps/webhook-signature';
import { toOre } from '../../../src/providers/vipps/wire';
import { decodeQrPng } from '../../helpers/qr-decode';

/**
 * Real HTTP on loopback: the sandbox router on one express app, a webhook receiver (standing in for
 * our API's /api/providers/vipps/webhooks) on another that verifies every delivery with
 * verifyVippsWebhook before accepting it.
 */

const CREDS = {
  clientId: 'sandbox-client-id',
  clientSecret: 'sandbox-client-secret',
  subscriptionKey: 'sandbox-subscription-key',
  merchantSerialNumber: '123456',
};
const WEBHOOK_SECRET = 'whsec-sandbox+/=secret';
const WEBHOOK_PATH = '/api/providers/vipps/webhooks';
const UAR_PHONE = '4790000001';

interface Received {
  verification: VippsWebhookVerifyResult;
  event?: VippsWebhookEvent;
}

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let sandbox: VippsSandbox;
let sandboxServer: Server;
let receiverServer: Server;
let client: VippsClient;
let webhookUrl: string;
const received: Received[] = [];
/** Makes the receiver answer 500 this many times (retry test). */
let failNext = 0;

beforeAll(async () => {
  const receiver = express();
  receiver.post(WEBHOOK_PATH, express.raw({ type: '*/*' }), (req, res) => {
    if (failNext > 0) {
      failNext--;
      res.status(500).end();
      return;
    }
    const rawBody: Buffer = req.body;
    const url = new URL(webhookUrl);
    const verification = verifyVippsWebhook({
      secret: WEBHOOK_SECRET,
      pathAndQuery: url.pathname + url.search,
      host: url.host,
      headers: req.headers,
      rawBody,
    });
    if (!verification.ok) {
      received.push({ verification });
      res.status(401).end();
      return;
    }
    received.push({ verification, event: parseVippsWebhookEvent(JSON.parse(rawBody.toString('utf8'))) });
    res.status(200).end();
  });
  const r = await listen(receiver);
  receiverServer = r.server;
  webhookUrl = `${r.url}${WEBHOOK_PATH}`;

  const app = express();
  const s = await listen(app);
  sandboxServer = s.server;
  sandbox = createVippsSandbox(
    { sandboxBaseUrl: s.url, apiBaseUrl: r.url, log: () => undefined },
    {
      ...CREDS,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl,
      userActionRequiredPhone: UAR_PHONE,
      webhookRetryDelaysMs: [20, 40],
    },
  );
  app.use('/vipps', sandbox.router);
  client = new VippsClient({ baseUrl: sandbox.baseUrl, ...CREDS, systemName: 'parking-engine-test', retries: 0 });
  await sandbox.clock.set('2025-08-06T10:00:00.000Z');
});

afterAll(async () => {
  sandbox.close();
  await close(sandboxServer);
  await close(receiverServer);
});

let keySeq = 0;
const newKey = (label: string) => `${label}-${Date.now().toString(36)}-${++keySeq}`;

const eventsFor = (id: string) =>
  received.flatMap((r) => (r.event && (r.event.kind === 'agreement' || r.event.kind === 'charge') && r.event.agreementId === id ? [r.event] : []));
const waitForEvent = (agreementId: string, eventType: string) =>
  waitFor(() => eventsFor(agreementId).find((e) => 'eventType' in e && e.eventType === eventType));

async function draft(phoneNumber?: string, suggested = '2000.00') {
  return client.draftAgreement({
    phoneNumber,
    productName: 'Parking pay-as-you-go',
    suggestedMaxAmountMinor: toOre(suggested),
    currency: 'NOK',
    merchantRedirectUrl: 'https://parking.example/vipps/return',
    merchantAgreementUrl: 'https://parking.example/account/vipps',
    idempotencyKey: newKey('draft'),
  });
}

async function activeAgreement(phone = '4791234567'): Promise<string> {
  const { agreementId } = await draft(phone);
  await client.forceAcceptAgreement(agreementId, phone, newKey('accept'));
  return agreementId;
}

/** Accepts through the confirmation page, choosing a daily max in kroner. */
async function acceptOnPage(confirmationUrl: string, phone: string, maxAmount: string): Promise<Response> {
  return fetch(confirmationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'accept', phoneNumber: phone, maxAmount }).toString(),
    redirect: 'manual',
  });
}

const tomorrow = () => {
  const d = new Date(`${sandbox.clock.today()}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
};

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandbox.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const records = async () => (await control('/_records')) as VippsSandboxRecords;

describe('access token', () => {
  it('is fetched once and reused', async () => {
    const fresh = new VippsClient({ baseUrl: sandbox.baseUrl, ...CREDS });
    const { agreementId } = await draft();
    const before = sandbox.records().tokenRequests;
    await Promise.all([fresh.getAgreement(agreementId), fresh.getAgreement(agreementId), fresh.getAgreement(agreementId)]);
    await fresh.getAgreement(agreementId);
    expect(sandbox.records().tokenRequests - before).toBe(1);
  });

  it('is refreshed shortly before expiry', async () => {
    let now = Date.now();
    const fresh = new VippsClient({ baseUrl: sandbox.baseUrl, ...CREDS, now: () => now });
    const before = sandbox.records().tokenRequests;
    await fresh.accessToken();
    now += 3500 * 1000; // within the 5-minute refresh margin of a 3600 s token
    await fresh.accessToken();
    expect(sandbox.records().tokenRequests - before).toBe(2);
  });

  it('rejects wrong credentials with a problem', async () => {
    const bad = new VippsClient({ baseUrl: sandbox.baseUrl, ...CREDS, clientSecret: 'nope', retries: 0 });
    await expect(bad.accessToken()).rejects.toMatchObject({ name: 'VippsApiError', status: 401, title: 'Unauthorized' });
  });

  it('requires Bearer on API calls', async () => {
    const res = await fetch(`${sandbox.baseUrl}/recurring/v3/agreements/agr_x`, {
      headers: { 'ocp-apim-subscription-key': CREDS.subscriptionKey },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('agreements', () => {
  it('draft → force accept → ACTIVE with a verified webhook', async () => {
    const drafted = await draft('4791234567');
    expect(drafted.agreementId).toMatch(/^agr_/);
    expect(drafted.vippsConfirmationUrl).toBe(`${sandbox.baseUrl}/_ui/agreements/${drafted.agreementId}`);
    const pending = await client.getAgreement(drafted.agreementId);
    expect(pending).toMatchObject({ status: 'PENDING', pricing: { type: 'VARIABLE', suggestedMaxAmount: 200000, maxAmount: null } });
    expect(pending.interval).toMatchObject({ unit: 'DAY', count: 1 });

    await client.forceAcceptAgreement(drafted.agreementId, '4791234567', newKey('accept'));
    const active = await client.getAgreement(drafted.agreementId);
    expect(active.status).toBe('ACTIVE');
    expect(active.pricing.maxAmount).toBe(200000);
    expect(active.sub).toEqual(expect.any(String));

    const event = await waitForEvent(drafted.agreementId, 'recurring.agreement-activated.v1');
    expect(event).toMatchObject({ kind: 'agreement', actor: 'USER', msn: CREDS.merchantSerialNumber });
    expect(received.every((r) => r.verification.ok)).toBe(true);
  });

  it('confirmation page: the user accepts with their own maxAmount', async () => {
    const drafted = await draft();
    const page = await fetch(drafted.vippsConfirmationUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="maxAmount" value="2000.00"');

    const res = await acceptOnPage(drafted.vippsConfirmationUrl, '91234568', '500.00');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://parking.example/vipps/return');
    const a = await client.getAgreement(drafted.agreementId);
    expect(a).toMatchObject({ status: 'ACTIVE', pricing: { suggestedMaxAmount: 200000, maxAmount: 50000 } });
    await waitForEvent(drafted.agreementId, 'recurring.agreement-activated.v1');
    const rec = sandbox.records().agreements.find((x) => x.id === drafted.agreementId);
    expect(rec?.phoneNumber).toBe('4791234568');
  });

  it('confirmation page: the user declines → STOPPED + rejected webhook, still redirected', async () => {
    const drafted = await draft();
    const res = await fetch(drafted.vippsConfirmationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=reject',
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect((await client.getAgreement(drafted.agreementId)).status).toBe('STOPPED');
    await waitForEvent(drafted.agreementId, 'recurring.agreement-rejected.v1');
  });

  it('a PENDING draft expires after 10 minutes of sandbox time', async () => {
    const drafted = await draft();
    await control('/_clock/advance', { minutes: 9 });
    expect((await client.getAgreement(drafted.agreementId)).status).toBe('PENDING');
    await control('/_clock/advance', { minutes: 1 });
    expect((await client.getAgreement(drafted.agreementId)).status).toBe('EXPIRED');
    await waitForEvent(drafted.agreementId, 'recurring.agreement-expired.v1');
    await expect(client.forceAcceptAgreement(drafted.agreementId, '4791234567', newKey('accept'))).rejects.toMatchObject({ status: 400 });
  });

  it('stop must be sent alone and cancels open charges', async () => {
    const id = await activeAgreement();
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 10000, description: 'Parking', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    const raw = await fetch(`${sandbox.baseUrl}/recurring/v3/agreements/${id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${await client.accessToken()}`,
        'ocp-apim-subscription-key': CREDS.subscriptionKey,
        'idempotency-key': newKey('patch'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ status: 'STOPPED', productName: 'x' }),
    });
    expect(raw.status).toBe(400);

    await client.stopAgreement(id, newKey('stop'));
    expect((await client.getAgreement(id)).status).toBe('STOPPED');
    expect((await client.getCharge(id, chargeId)).status).toBe('CANCELLED');
    await waitForEvent(id, 'recurring.agreement-stopped.v1');
    const canceled = await waitForEvent(id, 'recurring.charge-canceled.v1');
    expect(canceled).toMatchObject({ chargeId, amountCanceled: 10000 });
  });
});

describe('charges', () => {
  it('happy path: DUE, then CHARGED when the sandbox clock passes the due date', async () => {
    const id = await activeAgreement();
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: toOre('326.00'), description: 'Parking on Tuesday.', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    expect(chargeId).toMatch(/^chr-/);
    expect(await client.getCharge(id, chargeId)).toMatchObject({ status: 'DUE', amount: 32600, currency: 'NOK' });

    await control('/_clock/advance', { hours: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('DUE');
    await control('/_clock/advance', { days: 1 });
    const charged = await client.getCharge(id, chargeId);
    expect(charged).toMatchObject({ status: 'CHARGED', summary: { captured: 32600, refunded: 0, cancelled: 0 } });
    expect(charged.transactionId).toEqual(expect.any(String));
    expect(charged.history?.map((h) => h.event)).toEqual(['CREATE', 'CAPTURE']);

    const event = await waitForEvent(id, 'recurring.charge-captured.v1');
    expect(event).toMatchObject({ kind: 'charge', chargeId, amount: 32600, currency: 'NOK', amountCaptured: 32600 });
    expect(eventDedupKey(event)).toBe(`vipps:recurring.charge-captured.v1:${id}:${chargeId}`);

    const rec = (await records()).charges.find((c) => c.id === chargeId);
    expect(rec?.statusHistory.map((s) => s.status)).toEqual(['DUE', 'CHARGED']);
  });

  it('orderId becomes the chargeId; refunds are recorded and announced', async () => {
    const id = await activeAgreement();
    const orderId = `park-${Date.now()}`;
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 20000, description: 'Parking', due: tomorrow(), retryDays: 0, orderId, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    expect(chargeId).toBe(orderId);
    await sandbox.clock.advance({ days: 1 });
    await client.refundCharge(id, chargeId, { amountMinor: 5000, description: 'Overcharge' }, newKey('refund'));
    expect(await client.getCharge(id, chargeId)).toMatchObject({ status: 'PARTIALLY_REFUNDED', summary: { refunded: 5000 } });
    expect(await waitForEvent(id, 'recurring.charge-refunded.v1')).toMatchObject({ amountRefunded: 5000 });
    await expect(
      client.refundCharge(id, chargeId, { amountMinor: 15001, description: 'Too much' }, newKey('refund')),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("above the user's maxAmount (within suggested): DUE through the retry days, then FAILED charge_amount_too_high", async () => {
    const drafted = await draft();
    await acceptOnPage(drafted.vippsConfirmationUrl, '4791234569', '500.00');
    const id = drafted.agreementId;
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 60000, description: 'Parking', due: tomorrow(), retryDays: 2, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    await sandbox.clock.advance({ days: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('DUE');
    await sandbox.clock.advance({ days: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('DUE');
    await sandbox.clock.advance({ days: 1 });
    const failed = await client.getCharge(id, chargeId);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'charge_amount_too_high' });
    const event = await waitForEvent(id, 'recurring.charge-failed.v1');
    expect(event).toMatchObject({ chargeId, failureReason: 'charge_amount_too_high' });
    const rec = sandbox.records().charges.find((c) => c.id === chargeId);
    expect(rec?.attempts.map((a) => a.outcome)).toEqual(['charge_amount_too_high', 'charge_amount_too_high', 'charge_amount_too_high']);
  });

  it('succeeds on a retry day once the user raises their limit', async () => {
    const drafted = await draft();
    await acceptOnPage(drafted.vippsConfirmationUrl, '4791234570', '500.00');
    const id = drafted.agreementId;
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 60000, description: 'Parking', due: tomorrow(), retryDays: 2, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    await sandbox.clock.advance({ days: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('DUE');
    await control(`/_agreements/${id}/max-amount`, { maxAmount: 100000 });
    await sandbox.clock.advance({ days: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('CHARGED');
  });

  it('the reserved phone fails with user_action_required after retryDays', async () => {
    const id = await activeAgreement(UAR_PHONE);
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 10000, description: 'Parking', due: tomorrow(), retryDays: 1, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    await sandbox.clock.advance({ days: 1 });
    expect((await client.getCharge(id, chargeId)).status).toBe('DUE');
    await control('/_clock/advance', { days: 1 });
    expect(await client.getCharge(id, chargeId)).toMatchObject({ status: 'FAILED', failureReason: 'user_action_required' });
    expect(await waitForEvent(id, 'recurring.charge-failed.v1')).toMatchObject({ failureReason: 'user_action_required' });
  });

  it('rejects an amount above max(suggestedMaxAmount, maxAmount) with a 400 problem', async () => {
    const drafted = await draft(undefined, '2000.00');
    await acceptOnPage(drafted.vippsConfirmationUrl, '4791234571', '3000.00');
    const charge = (amountMinor: number) =>
      client.createCharge(
        drafted.agreementId,
        { amountMinor, description: 'Parking', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' },
        newKey('charge'),
      );
    await expect(charge(300000)).resolves.toEqual({ chargeId: expect.any(String) });
    const err = await charge(300001).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VippsApiError);
    expect(err).toMatchObject({ status: 400, title: 'Bad Request', extraDetails: [{ field: 'amount', text: 'charge amount too high' }] });
  });

  it('validates charge fields and the agreement state', async () => {
    const id = await activeAgreement();
    const base = { amountMinor: 10000, description: 'Parking', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' as const };
    const attempt = (over: Partial<typeof base>) => client.createCharge(id, { ...base, ...over }, newKey('charge'));
    await expect(attempt({ due: sandbox.clock.today() })).rejects.toMatchObject({ status: 400, extraDetails: [{ field: 'due' }] });
    await expect(attempt({ amountMinor: 99 })).rejects.toMatchObject({ status: 400, extraDetails: [{ field: 'amount' }] });
    await expect(attempt({ description: 'x'.repeat(46) })).rejects.toMatchObject({ status: 400 });
    await expect(attempt({ retryDays: 15 })).rejects.toMatchObject({ status: 400 });
    const { agreementId: pending } = await draft();
    await expect(client.createCharge(pending, base, newKey('charge'))).rejects.toMatchObject({ status: 400 });
  });

  it('Idempotency-Key: same key + same body → same chargeId; different body → 409', async () => {
    const id = await activeAgreement();
    const key = newKey('idem');
    const body = { amountMinor: 12300, description: 'Parking', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' as const };
    const first = await client.createCharge(id, body, key);
    const again = await client.createCharge(id, body, key);
    expect(again.chargeId).toBe(first.chargeId);
    expect(sandbox.records().charges.filter((c) => c.agreementId === id)).toHaveLength(1);
    await expect(client.createCharge(id, { ...body, amountMinor: 12400 }, key)).rejects.toMatchObject({ status: 409 });
    // A 4xx is bound to its key as well: the same bad request replays the same error.
    const badKey = newKey('idem');
    await expect(client.createCharge(id, { ...body, amountMinor: 99 }, badKey)).rejects.toMatchObject({ status: 400 });
    await expect(client.createCharge(id, { ...body, amountMinor: 99 }, badKey)).rejects.toMatchObject({ status: 400 });
  });

  it('cancels a DUE charge', async () => {
    const id = await activeAgreement();
    const { chargeId } = await client.createCharge(
      id,
      { amountMinor: 10000, description: 'Parking', due: tomorrow(), retryDays: 0, transactionType: 'DIRECT_CAPTURE' },
      newKey('charge'),
    );
    await client.cancelCharge(id, chargeId, newKey('cancel'));
    expect((await client.getCharge(id, chargeId)).status).toBe('CANCELLED');
    await sandbox.process();
    expect((await client.getCharge(id, chargeId)).status).toBe('CANCELLED');
  });
});

describe('webhook delivery', () => {
  it('retries non-2xx deliveries with a fresh signature', async () => {
    const { agreementId } = await draft();
    failNext = 2;
    await client.forceAcceptAgreement(agreementId, '4791234572', newKey('accept'));
    await waitForEvent(agreementId, 'recurring.agreement-activated.v1');
    await sandbox.webhooksIdle();
    const delivery = sandbox.records().webhookDeliveries.find((d) => d.payload.agreementId === agreementId);
    expect(delivery?.state).toBe('delivered');
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it('the receiver rejects a delivery signed with the wrong secret', async () => {
    const url = new URL(webhookUrl);
    const body = JSON.stringify({ agreementId: 'agr_forged', eventType: 'recurring.agreement-activated.v1', occurred: new Date().toISOString() });
    const headers = signVippsWebhook({ secret: 'not-the-secret', pathAndQuery: url.pathname, host: url.host, date: new Date(), rawBody: body });
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ms-date': headers['x-ms-date'],
        'x-ms-content-sha256': headers['x-ms-content-sha256'],
        authorization: headers.authorization,
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(received.at(-1)?.verification).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('receipts and QR', () => {
  const receipt = {
    orderLines: [
      { name: 'parking', id: 'line_item_1', totalAmount: 11000, totalAmountExcludingTax: 8800, totalTaxAmount: 2200, taxRate: 2500 },
    ],
    bottomLine: { currency: 'NOK' as const, posId: 'parking_lot_012' },
  };

  it('receipt: 201 created, then 409 already_exists', async () => {
    const orderId = `chr-${Date.now()}`;
    expect(await client.sendReceipt('RECURRING', orderId, receipt)).toBe('created');
    expect(await client.sendReceipt('RECURRING', orderId, receipt)).toBe('already_exists');
    const stored = sandbox.records().receipts.filter((r) => r.orderId === orderId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ paymentType: 'RECURRING', receipt });
  });

  it('receipt: invalid body is a 400 problem', async () => {
    const bad = { ...receipt, orderLines: [{ ...receipt.orderLines[0], taxRate: undefined }] };
    await expect(client.sendReceipt('RECURRING', `chr-bad-${Date.now()}`, bad)).rejects.toMatchObject({ status: 400 });
  });

  it('merchant redirect QR: url → SVG image → redirect target', async () => {
    const id = `lot-${Date.now()}`;
    const qr = await client.createMerchantRedirectQr({ id, redirectUrl: 'https://parking.example/lot/12' });
    expect(qr.url).toBe(`${sandbox.baseUrl}/qr/v1/images/${id}.svg`);
    const svg = await fetch(qr.url);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    const text = await svg.text();
    const target = `${sandbox.baseUrl}/qr/r/${id}`;
    expect(text).toContain(target);
    expect(text).toBe(await (await fetch(qr.url)).text());
    // A real QR code: a decoder reads the short link out of the PNG rendering of the same code.
    const png = await fetch(qr.url.replace(/\.svg$/, '.png'));
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(decodeQrPng(Buffer.from(await png.arrayBuffer()))).toBe(target);
    const scan = await fetch(target, { redirect: 'manual' });
    expect(scan.status).toBe(302);
    expect(scan.headers.get('location')).toBe('https://parking.example/lot/12');
    await expect(client.createMerchantRedirectQr({ id, redirectUrl: 'https://parking.example/other' })).rejects.toMatchObject({ status: 409 });
    expect((await client.getMerchantRedirectQr(id)).redirectUrl).toBe('https://parking.example/lot/12');
  });
});

describe('records and clock', () => {
  it('exposes the clock and everything that happened', async () => {
    const clock = (await control('/_clock')) as { now: string; today: string };
    expect(clock.today).toBe(clock.now.slice(0, 10));
    const set = (await control('/_clock/set', { now: '2026-01-01T09:00:00Z' })) as { today: string };
    expect(set.today).toBe('2026-01-01');
    const all = await records();
    expect(all.agreements.length).toBeGreaterThan(0);
    expect(all.charges.length).toBeGreaterThan(0);
    expect(all.receipts.length).toBeGreaterThan(0);
    expect(all.webhookDeliveries.every((d) => d.state !== 'pending')).toBe(true);
    expect(all.qrCodes.length).toBeGreaterThan(0);
  });
});
