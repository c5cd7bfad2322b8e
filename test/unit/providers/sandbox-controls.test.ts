/**
 * The sandboxes' test controls over real loopback HTTP, driven through test/helpers/sandbox-controls.ts: fault
 * counters (fail / time out the next calls, drop callbacks, browser never returns), NETOPIA and EPX order controls,
 * and NETOPIA's IPN retry schedule running in the background.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { AutopayClient } from '../../../src/providers/autopay/client';
import { createAutopaySandbox, type AutopaySandbox } from '../../../sandbox/autopay/sandbox';
import { ProviderRefusal, ProviderUnavailable } from '../../../src/providers/card-provider';
import { createEasyParkSandbox, type EasyParkSandbox } from '../../../sandbox/easypark/sandbox';
import { EpxClient } from '../../../src/providers/epx/client';
import { createEpxSandbox, type EpxSandbox } from '../../../sandbox/epx/sandbox';
import { NetopiaClient } from '../../../src/providers/netopia/client';
import { createNetopiaSandbox, type NetopiaIpnRecord, type NetopiaSandbox, type NetopiaSandboxRecord } from '../../../sandbox/netopia/sandbox';
import { netopiaIpnTimeScale } from '../../../sandbox/app';
import type { SandboxContext } from '../../../sandbox/context';
import { createVippsSandbox, type VippsSandbox } from '../../../sandbox/vipps/sandbox';
import {
  epxOrderEvent,
  epxPayOrder,
  getControls,
  netopiaOrderEvent,
  netopiaPayOrder,
  records,
  resetControls,
  setControls,
  type SandboxProvider,
} from '../../helpers/sandbox-controls';

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const ctx: SandboxContext = { sandboxBaseUrl: '', apiBaseUrl: '', log: () => undefined };
let sbUrl = '';
let receiverUrl = '';
const servers: Server[] = [];
let netopia: NetopiaSandbox;
let epx: EpxSandbox;
let autopay: AutopaySandbox;
let vipps: VippsSandbox;
let easypark: EasyParkSandbox;
let netopiaClient: NetopiaClient;
let epxClient: EpxClient;

/** What our API would have received. */
const ipns: { orderId: string; status: number; amount: number }[] = [];
let refuseIpns = 0;
const easyparkHooks: unknown[] = [];
const autopayCallbacks: unknown[] = [];

const AUTOPAY_CREDS = { clientId: 'op1-client', clientSecret: 'op1-secret' };
let seq = 0;
const newOrderId = () => `${9100 + ++seq}-1`;
const nextYear = String(new Date().getUTCFullYear() + 2);

beforeAll(async () => {
  const receiver = express();
  receiver.post('/ipn', express.json(), (req, res) => {
    const body = req.body as { order: { orderID: string }; payment: { status: number; amount: number } };
    ipns.push({ orderId: body.order.orderID, status: body.payment.status, amount: body.payment.amount });
    if (refuseIpns > 0) {
      refuseIpns--;
      return void res.json({ errorType: 1, errorCode: null, errorMessage: 'busy' });
    }
    res.json({ errorType: 0, errorCode: null, errorMessage: '' });
  });
  receiver.post('/easypark', express.json(), (req, res) => void (easyparkHooks.push(req.body), res.json({})));
  receiver.post('/autopay/:kind', express.json(), (req, res) => void (autopayCallbacks.push(req.body), res.json({})));
  receiver.post('/vipps', (_req, res) => void res.json({}));
  const rc = await listen(receiver);
  receiverUrl = rc.url;
  ctx.apiBaseUrl = rc.url;

  const app = express();
  const sb = await listen(app);
  sbUrl = sb.url;
  ctx.sandboxBaseUrl = sb.url;
  servers.push(sb.server, rc.server);

  netopia = createNetopiaSandbox(ctx, { ipnScheduleMs: [0, 20, 20] });
  epx = createEpxSandbox(ctx);
  autopay = createAutopaySandbox(ctx, {
    operators: {
      op1: {
        ...AUTOPAY_CREDS,
        areaCodes: ['area1'],
        callback: { successUrl: `${rc.url}/autopay/success`, cancelUrl: `${rc.url}/autopay/cancel`, auth: { method: 'token', token: 't' } },
        currency: 'NOK',
        vatPercent: '25',
        pricePerHour: '30.00',
      },
    },
    retry: { attempts: 3, baseMs: 10 },
  });
  vipps = createVippsSandbox(ctx, {
    clientId: 'vc',
    clientSecret: 'vs',
    subscriptionKey: 'vk',
    merchantSerialNumber: '123456',
    webhookSecret: 'whs',
    webhookUrl: `${rc.url}/vipps`,
    userActionRequiredPhone: '4790000001',
  });
  easypark = createEasyParkSandbox(ctx, { username: 'u', password: 'p', webhookUrl: `${rc.url}/easypark`, retryMs: 10, maxAttempts: 2 });
  app.use('/netopia', netopia.router);
  app.use('/epx', epx.router);
  app.use('/autopay', autopay.router);
  app.use('/vipps', vipps.router);
  app.use('/easypark', easypark.router);

  netopiaClient = new NetopiaClient({ baseUrl: `${sbUrl}/netopia`, apiKey: netopia.apiKey, posSignature: netopia.posSignature, retries: 0 });
  epxClient = new EpxClient({ baseUrl: `${sbUrl}/epx`, ...epx.merchant, epiKey: epx.epiKey, retries: 0 });
});

afterEach(async () => {
  for (const p of PROVIDERS) await resetControls(sbUrl, p);
});

afterAll(async () => {
  for (const s of [netopia, epx, autopay, vipps, easypark]) s.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const PROVIDERS: SandboxProvider[] = ['netopia', 'epx', 'autopay', 'vipps', 'easypark'];

async function netopiaOrder(amount = '10.00') {
  const orderId = newOrderId();
  const started = await netopiaClient.start({
    orderId,
    amount,
    currency: 'RON',
    description: 'controls',
    returnUrl: `${receiverUrl}/return`,
    notifyUrl: `${receiverUrl}/ipn`,
  });
  return { orderId, ...started };
}

async function netopiaCard(paymentUrl: string) {
  const body = new URLSearchParams({ card_number: '9900004810225098', exp_month: '12', exp_year: nextYear, cvv: '111', name: 'A B' });
  return fetch(paymentUrl, { method: 'POST', body, redirect: 'manual' });
}

async function epxSale(amount = '20.00') {
  const orderId = newOrderId();
  const started = await epxClient.start({ orderId, amount, currency: 'USD', description: 'x', returnUrl: `${receiverUrl}/epx`, notifyUrl: `${receiverUrl}/epx` });
  return { orderId, ...started };
}

const netopiaRecords = () => records<NetopiaSandboxRecord[]>(sbUrl, 'netopia');

describe('fault counters (every sandbox)', () => {
  it.each(PROVIDERS)('%s: POST sets, GET reads, DELETE resets; a bad body is a 400', async (provider) => {
    expect(await setControls(sbUrl, provider, { failNextCalls: 2, failStatus: 502 })).toMatchObject({ failNextCalls: 2, failStatus: 502, dropCallbacks: 0 });
    expect(await setControls(sbUrl, provider, { dropCallbacks: 1 })).toMatchObject({ failNextCalls: 2, dropCallbacks: 1 });
    const refunds = provider === 'netopia' || provider === 'epx' ? { refuseNextRefunds: 0 } : {};
    expect(await getControls(sbUrl, provider)).toEqual({ dropCallbacks: 1, failNextCalls: 2, failStatus: 502, timeoutNextCalls: 0, browserNeverReturns: 0, ...refunds });
    expect(await resetControls(sbUrl, provider)).toEqual({ dropCallbacks: 0, failNextCalls: 0, failStatus: 503, timeoutNextCalls: 0, browserNeverReturns: 0, ...refunds });
    for (const bad of [{ failStatus: 302 }, { failNextCalls: -1 }, { nope: 1 }, { dropCallbacks: 1.5 }]) {
      const res = await fetch(`${sbUrl}/${provider}/_controls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_controls' });
    }
    const malformed = await fetch(`${sbUrl}/${provider}/_controls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
  });

  it.each([
    ['netopia', '/netopia/operation/status'],
    ['epx', '/epx/transactions/x'],
    ['autopay', '/autopay/oauth/token'],
    ['vipps', '/vipps/accesstoken/get'],
  ] as const)('%s: failNextCalls answers the next API calls with failStatus, one per call', async (provider, path) => {
    await setControls(sbUrl, provider, { failNextCalls: 2, failStatus: 500 });
    for (let i = 0; i < 2; i++) expect((await fetch(`${sbUrl}${path}`, { method: path.includes('transactions') ? 'GET' : 'POST' })).status).toBe(500);
    expect((await fetch(`${sbUrl}${path}`, { method: path.includes('transactions') ? 'GET' : 'POST' })).status).not.toBe(500);
    expect(await getControls(sbUrl, provider)).toMatchObject({ failNextCalls: 0 });
  });

  it.each([
    ['autopay', '/autopay/oauth/token'],
    ['vipps', '/vipps/accesstoken/get'],
  ] as const)('%s: timeoutNextCalls leaves the next call unanswered', async (provider, path) => {
    await setControls(sbUrl, provider, { timeoutNextCalls: 1 });
    await expect(fetch(`${sbUrl}${path}`, { method: 'POST', signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(await getControls(sbUrl, provider)).toMatchObject({ timeoutNextCalls: 0 });
  });

  it('card pages and the controls themselves are not API calls', async () => {
    const { redirectUrl } = await netopiaOrder();
    await setControls(sbUrl, 'netopia', { failNextCalls: 1 });
    expect((await fetch(redirectUrl)).status).toBe(200);
    expect(await getControls(sbUrl, 'netopia')).toMatchObject({ failNextCalls: 1 });
  });

  it('a card client sees failNextCalls as ProviderUnavailable, then the real answer', async () => {
    const { orderId, providerRef } = await netopiaOrder();
    await setControls(sbUrl, 'netopia', { failNextCalls: 1 });
    await expect(netopiaClient.status(orderId, providerRef)).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'pending' });
  });

  it.each(['netopia', 'epx'] as const)('%s: a call the sandbox never answers is ProviderUnavailable within the client deadline', async (provider) => {
    await setControls(sbUrl, provider, { timeoutNextCalls: 3 });
    const err: unknown =
      provider === 'netopia'
        ? await new NetopiaClient({ baseUrl: `${sbUrl}/netopia`, apiKey: netopia.apiKey, posSignature: netopia.posSignature, deadlineMs: 600, timeoutMs: 150, retryBaseMs: 10 })
            .status('o', '1')
            .catch((e: unknown) => e)
        : await new EpxClient({ baseUrl: `${sbUrl}/epx`, ...epx.merchant, epiKey: epx.epiKey, deadlineMs: 600, timeoutMs: 150, retryBaseMs: 10 })
            .status('o', '1')
            .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect((err as Error).message).toContain('no answer within 600 ms');
    // Every attempt was held: the deadline, not an answer, ended the call.
    expect((await getControls(sbUrl, provider)).timeoutNextCalls).toBeLessThan(3);
  });

  it('netopia: a dropped IPN is recorded as dropped, never sent and never retried', async () => {
    await setControls(sbUrl, 'netopia', { dropCallbacks: 1 });
    const { orderId, redirectUrl } = await netopiaOrder();
    expect((await netopiaCard(redirectUrl)).status).toBe(302);
    await netopia.ipnsIdle();
    expect(ipns.filter((i) => i.orderId === orderId)).toHaveLength(0);
    const ipn = (await netopiaRecords()).find((r): r is NetopiaIpnRecord => r.kind === 'ipn' && r.orderId === orderId);
    expect(ipn).toMatchObject({ dropped: true, delivered: false, attempts: 0, done: true });
    // The counter was consumed: the next payment's IPN goes out.
    const next = await netopiaOrder();
    await netopiaCard(next.redirectUrl);
    expect(ipns.filter((i) => i.orderId === next.orderId)).toHaveLength(1);
  });

  it('easypark: a dropped webhook is recorded as dropped and not retried', async () => {
    await setControls(sbUrl, 'easypark', { dropCallbacks: 1 });
    const before = easyparkHooks.length;
    const res = await fetch(`${sbUrl}/easypark/_send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"generate":true}' });
    expect(await res.json()).toMatchObject({ outcome: 'dropped', attempts: [] });
    expect(easyparkHooks.length).toBe(before);
    expect(await records<{ deliveries: { outcome: string }[] }>(sbUrl, 'easypark')).toMatchObject({ deliveries: expect.arrayContaining([expect.objectContaining({ outcome: 'dropped' })]) });
  });

  it('autopay: a dropped callback is recorded as dropped and not retried', async () => {
    const client = new AutopayClient({ apiBaseUrl: `${sbUrl}/autopay`, authUrl: `${sbUrl}/autopay/oauth/token`, operators: { op1: AUTOPAY_CREDS }, retries: 0 });
    await client.connectParking('op1', { parking_area_code: 'area1', reference: 'ref-drop-1', vehicle_reg: 'AB12345', plate_issuer: 'NOR' });
    const json = { 'content-type': 'application/json' };
    await fetch(`${sbUrl}/autopay/_camera/enter`, { method: 'POST', headers: json, body: JSON.stringify({ area_code: 'area1', vehicle_reg: 'AB12345', offset_minutes: -30 }) });
    await setControls(sbUrl, 'autopay', { dropCallbacks: 1 });
    const before = autopayCallbacks.length;
    const exit = await fetch(`${sbUrl}/autopay/_camera/exit`, { method: 'POST', headers: json, body: JSON.stringify({ vehicle_reg: 'AB12345', area_code: 'area1', wait: true }) });
    expect((await exit.json()) as unknown).toMatchObject({ deliveries: [expect.objectContaining({ kind: 'success', outcome: 'dropped', attempts: [] })] });
    await autopay.idle();
    expect(autopayCallbacks.length).toBe(before);
  });

  it.each(['autopay', 'vipps', 'easypark'] as const)('%s: refuseNextRefunds is refused (this sandbox takes no refunds)', async (provider) => {
    const res = await fetch(`${sbUrl}/${provider}/_controls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refuseNextRefunds":1}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_controls', message: expect.stringContaining('takes no refunds') });
  });

  it('netopia: refuseNextRefunds refuses the next refunds as a ProviderRefusal; a later retry of the same key refunds once', async () => {
    const { orderId, providerRef } = await netopiaOrder('6.00');
    await netopiaPayOrder(sbUrl, orderId);
    expect(await setControls(sbUrl, 'netopia', { refuseNextRefunds: 2 })).toMatchObject({ refuseNextRefunds: 2 });
    const refund = () => netopiaClient.refund({ orderId, providerRef, amount: '6.00', currency: 'RON', idempotencyKey: `${orderId}-r` });
    for (let i = 0; i < 2; i++) {
      const err: unknown = await refund().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderRefusal);
      expect(err).toMatchObject({ code: '52', provider: 'netopia' });
    }
    expect(await getControls(sbUrl, 'netopia')).toMatchObject({ refuseNextRefunds: 0 });
    expect(netopia.refunds().filter((r) => r.orderId === orderId)).toHaveLength(0);
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid' });
    expect(await refund()).toMatchObject({ amount: '6.00' });
    expect(await refund()).toMatchObject({ amount: '6.00' });
    expect(netopia.refunds().filter((r) => r.orderId === orderId)).toEqual([expect.objectContaining({ amount: '6.00' })]);
  });

  it('epx: refuseNextRefunds declines the next refund (AUTH_RESP 05) as a ProviderRefusal; the retry refunds', async () => {
    const { orderId, providerRef } = await epxSale('20.00');
    await epxPayOrder(sbUrl, orderId);
    await setControls(sbUrl, 'epx', { refuseNextRefunds: 1 });
    const refund = () => epxClient.refund({ orderId, providerRef, amount: '20.00', currency: 'USD', idempotencyKey: `${orderId}-r` });
    const err: unknown = await refund().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRefusal);
    expect(err).toMatchObject({ code: '05', provider: 'epx' });
    expect(epx.refunds().filter((r) => r.tranNbr === orderId)).toHaveLength(0);
    expect(await refund()).toMatchObject({ amount: '20.00' });
    expect(epx.refunds().filter((r) => r.tranNbr === orderId)).toHaveLength(1);
    expect(await getControls(sbUrl, 'epx')).toMatchObject({ refuseNextRefunds: 0 });
  });

  it('netopia: browserNeverReturns shows the sandbox page instead of the redirect; the IPN still goes out', async () => {
    await setControls(sbUrl, 'netopia', { browserNeverReturns: 1 });
    const { orderId, providerRef, redirectUrl } = await netopiaOrder();
    const res = await netopiaCard(redirectUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('You may close this page');
    expect(ipns.filter((i) => i.orderId === orderId)).toHaveLength(1);
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid' });
  });

  it('epx: browserNeverReturns means our response endpoint never hears of the sale; status still says paid', async () => {
    await setControls(sbUrl, 'epx', { browserNeverReturns: 1 });
    const { orderId, providerRef, redirectUrl } = await epxSale();
    const body = new URLSearchParams({ TAC: providerRef, card_number: '4000000000000002', exp_month: '12', exp_year: '2025', cvv: '', name: 'A' });
    const res = await fetch(new URL('pay', redirectUrl), { method: 'POST', body, redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await epxClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid' });
  });
});

describe('NETOPIA order controls', () => {
  it('pay approves as the accepted card would: charge record, IPN, status paid', async () => {
    const { orderId, providerRef } = await netopiaOrder('12.50');
    const answer = await netopiaPayOrder(sbUrl, orderId);
    expect(answer.payment).toMatchObject({ status: 3, amount: 12.5 });
    await netopia.ipnsIdle();
    expect(ipns.filter((i) => i.orderId === orderId)).toEqual([{ orderId, status: 3, amount: 12.5 }]);
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid', amount: '12.50', currency: 'RON', cardLast4: '****5098' });
    expect(netopia.charges().filter((c) => c.orderId === orderId)).toEqual([expect.objectContaining({ approved: true, amount: '12.50', errorCode: '00' })]);
  });

  it('pay can capture another amount or currency (mismatch tests)', async () => {
    const { orderId, providerRef } = await netopiaOrder('12.50');
    await netopiaPayOrder(sbUrl, orderId, { amount: '9.99', currency: 'EUR' });
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid', amount: '9.99', currency: 'EUR' });
  });

  it('a capture of another amount refunds up to what was captured, and a full refund of it is status 8', async () => {
    const { orderId, providerRef } = await netopiaOrder('12.50');
    await netopiaPayOrder(sbUrl, orderId, { amount: '0.01' });
    const refund = (amount: string, key: string) => netopiaClient.refund({ orderId, providerRef, amount, currency: 'RON', idempotencyKey: key });
    await expect(refund('0.02', 'k1')).rejects.toMatchObject({ code: '53' });
    expect(await refund('0.01', 'k2')).toMatchObject({ amount: '0.01' });
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome: 'refunded', amount: '0.01' });
  });

  it('pay refuses a paid, cancelled or unknown order and a bad body', async () => {
    const paid = await netopiaOrder();
    await netopiaPayOrder(sbUrl, paid.orderId);
    await expect(netopiaPayOrder(sbUrl, paid.orderId)).rejects.toThrow('HTTP 409');
    const voided = await netopiaOrder();
    await netopiaClient.void(voided.orderId, voided.providerRef);
    await expect(netopiaPayOrder(sbUrl, voided.orderId)).rejects.toThrow('HTTP 409');
    await expect(netopiaPayOrder(sbUrl, 'no-such-order')).rejects.toThrow('HTTP 404');
    const open = await netopiaOrder();
    await expect(netopiaPayOrder(sbUrl, open.orderId, { amount: '1.005' })).rejects.toThrow('HTTP 400');
  });

  it.each([
    ['credit', 8, 'refunded'],
    ['reversal', 17, 'reversed'],
    ['chargeback', 9, 'chargeback'],
  ] as const)('event %s moves a paid order to status %i (%s), records it and sends the IPN', async (event, status, outcome) => {
    const { orderId, providerRef } = await netopiaOrder('7.00');
    await netopiaPayOrder(sbUrl, orderId);
    expect((await netopiaOrderEvent(sbUrl, orderId, event)).payment.status).toBe(status);
    await netopia.ipnsIdle();
    expect(ipns.filter((i) => i.orderId === orderId).map((i) => i.status)).toEqual([3, status]);
    expect(await netopiaClient.status(orderId, providerRef)).toMatchObject({ outcome });
    expect(await netopiaRecords()).toContainEqual(expect.objectContaining({ kind: 'event', orderId, event, status, amount: '7.00' }));
  });

  it('an event on an unpaid order is refused', async () => {
    const { orderId } = await netopiaOrder();
    await expect(netopiaOrderEvent(sbUrl, orderId, 'chargeback')).rejects.toThrow('HTTP 409');
  });

  it('_records include voids, events and dropped IPNs', async () => {
    const v = await netopiaOrder();
    await netopiaClient.void(v.orderId, v.providerRef);
    const p = await netopiaOrder();
    await setControls(sbUrl, 'netopia', { dropCallbacks: 2 });
    await netopiaPayOrder(sbUrl, p.orderId);
    await netopiaOrderEvent(sbUrl, p.orderId, 'credit', { amount: '4.00' });
    const all = await netopiaRecords();
    expect(all).toContainEqual(expect.objectContaining({ kind: 'void', orderId: v.orderId }));
    expect(all.filter((r) => r.kind === 'ipn' && r.orderId === p.orderId)).toEqual([
      expect.objectContaining({ status: 3, dropped: true }),
      expect.objectContaining({ status: 8, dropped: true }),
    ]);
    expect(all).toContainEqual(expect.objectContaining({ kind: 'event', orderId: p.orderId, event: 'credit', amount: '4.00' }));
  });
});

describe('EPX order controls', () => {
  it('pay approves the sale with no browser return; another amount can be captured', async () => {
    const { orderId, providerRef } = await epxSale('20.00');
    expect((await epxPayOrder(sbUrl, orderId, { amount: '19.00' })).data).toMatchObject({ AUTH_RESP: '00', AUTH_AMOUNT: '19.00', AMOUNT: '20.00' });
    expect(await epxClient.status(orderId, providerRef)).toMatchObject({ outcome: 'paid', amount: '19.00', cardLast4: '****0002' });
    await expect(epxPayOrder(sbUrl, orderId)).rejects.toThrow('HTTP 409');
    await expect(epxPayOrder(sbUrl, 'no-such')).rejects.toThrow('HTTP 404');
  });

  it.each([
    ['reversal', 'reversed'],
    ['chargeback', 'chargeback'],
  ] as const)('event %s changes what the lookup reports (%s) and is recorded', async (event, outcome) => {
    const { orderId, providerRef } = await epxSale();
    await expect(epxOrderEvent(sbUrl, orderId, event)).rejects.toThrow('HTTP 409');
    await epxPayOrder(sbUrl, orderId);
    await epxOrderEvent(sbUrl, orderId, event);
    expect(await epxClient.status(orderId, providerRef)).toMatchObject({ outcome });
    expect(await records(sbUrl, 'epx')).toContainEqual(expect.objectContaining({ kind: 'event', tranNbr: orderId, event }));
  });

  it('a voided sale cannot be paid by the control either', async () => {
    const { orderId, providerRef } = await epxSale();
    await epxClient.void(orderId, providerRef);
    await expect(epxPayOrder(sbUrl, orderId)).rejects.toThrow('HTTP 409');
    expect(await records(sbUrl, 'epx')).toContainEqual(expect.objectContaining({ kind: 'void', tranNbr: orderId }));
  });
});

describe('NETOPIA IPN retry schedule', () => {
  it('retries an undelivered IPN on the (compressed) schedule, recording every try', async () => {
    const { orderId } = await netopiaOrder();
    refuseIpns = 2;
    await netopiaPayOrder(sbUrl, orderId);
    await netopia.ipnsIdle();
    const ipn = (await netopiaRecords()).find((r): r is NetopiaIpnRecord => r.kind === 'ipn' && r.orderId === orderId);
    expect(ipn).toMatchObject({ attempts: 3, delivered: true, done: true });
    expect(ipn?.tries.map((t) => t.errorType)).toEqual([1, 1, 0]);
  });

  it('sends the browser back after the first try; later tries wait in the background and close() ends them', async () => {
    // The real default schedule: the second try would be a minute later.
    const slow = createNetopiaSandbox(ctx, {});
    const app = express();
    app.use('/netopia', slow.router);
    const s = await listen(app);
    const prevBase = ctx.sandboxBaseUrl;
    ctx.sandboxBaseUrl = s.url;
    try {
      const client = new NetopiaClient({ baseUrl: `${s.url}/netopia`, apiKey: slow.apiKey, posSignature: slow.posSignature, retries: 0 });
      const orderId = newOrderId();
      const { redirectUrl } = await client.start({ orderId, amount: '1.00', currency: 'RON', description: 'x', returnUrl: `${receiverUrl}/r`, notifyUrl: `${receiverUrl}/ipn` });
      refuseIpns = 1;
      expect((await netopiaCard(redirectUrl)).status).toBe(302);
      const pending = slow.records().find((r): r is NetopiaIpnRecord => r.kind === 'ipn' && r.orderId === orderId);
      expect(pending).toMatchObject({ attempts: 1, delivered: false, done: false });
      slow.close();
      await slow.ipnsIdle();
      expect(slow.records().find((r) => r.kind === 'ipn' && r.orderId === orderId)).toMatchObject({ attempts: 1, delivered: false, done: true });
    } finally {
      ctx.sandboxBaseUrl = prevBase;
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
    }
  });

  it('NETOPIA_SANDBOX_IPN_TIME_SCALE is read as a positive number', () => {
    expect(netopiaIpnTimeScale({ NETOPIA_SANDBOX_IPN_TIME_SCALE: '0.001' })).toBe(0.001);
    expect(netopiaIpnTimeScale({})).toBeUndefined();
    expect(() => netopiaIpnTimeScale({ NETOPIA_SANDBOX_IPN_TIME_SCALE: 'fast' })).toThrow(RangeError);
    expect(() => netopiaIpnTimeScale({ NETOPIA_SANDBOX_IPN_TIME_SCALE: '0' })).toThrow(RangeError);
  });
});

