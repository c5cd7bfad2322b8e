/**
 * NETOPIA end to end over real loopback HTTP: client → sandbox → hosted card page → signed IPN to a receiver
 * that verifies it with our verifier → server-to-server status. Plus verifier negatives, idempotency and refunds.
 */
import { sign } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { SandboxContext } from '../../../sandbox/context';
import { isProviderRefusal, ProviderRefusal, ProviderUnavailable } from '../../../src/providers/card-provider';
import { NetopiaApiError, NetopiaClient } from '../../../src/providers/netopia/client';
import {
  IpnVerificationError,
  NETOPIA_IPN_ERROR,
  netopiaIpnReply,
  verifyNetopiaIpn,
  type NetopiaIpn,
} from '../../../src/providers/netopia/inbound';
import { base64UrlEncode, generateNetopiaKeyPair, netopiaBodyHash, signNetopiaIpnToken } from '../../../src/providers/netopia/keys';
import { createNetopiaSandbox, type NetopiaSandbox } from '../../../sandbox/netopia/sandbox';
import { netopiaOutcome, stringifyWithDecimals, JsonDecimal } from '../../../src/providers/netopia/wire';

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    );
  });
}

const logs: string[] = [];
const ctx: SandboxContext = { sandboxBaseUrl: '', apiBaseUrl: '', log: (m) => void logs.push(m) };
let clockOffsetMs = 0;
let sandbox: NetopiaSandbox;
let client: NetopiaClient;
let servers: Server[] = [];
let notifyUrl = '';
let returnUrl = '';

interface Delivery {
  rawBody: Buffer;
  token: string | undefined;
}
const deliveries: Delivery[] = [];
const verified: NetopiaIpn[] = [];
let failNextIpns = 0;

const usedPans = new Set<string>();
const nextYear = String(new Date().getUTCFullYear() + 2);
let seq = 0;
const newOrderId = () => `${7000 + ++seq}-1`;

beforeAll(async () => {
  sandbox = createNetopiaSandbox(ctx, {
    ipnScheduleMs: [0, 10, 10, 10, 10],
    orderTtlMs: 60_000,
    now: () => new Date(Date.now() + clockOffsetMs),
  });
  const app = express();
  app.use('/netopia', sandbox.router);
  const sb = await listen(app);
  ctx.sandboxBaseUrl = sb.url;

  // Our side: receives IPNs exactly as the API would (raw body kept for the hash check).
  const receiver = express();
  receiver.post('/ipn', express.raw({ type: () => true }), (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const token = req.get('verification-token');
    deliveries.push({ rawBody, token });
    if (failNextIpns > 0) {
      failNextIpns--;
      return void res.json(netopiaIpnReply({ kind: 'temporary', message: 'workflow service busy' }));
    }
    try {
      verified.push(
        verifyNetopiaIpn({ rawBody, verificationToken: token, publicKeyPem: sandbox.publicKeyPem, posSignature: sandbox.posSignature }),
      );
      res.json(netopiaIpnReply());
    } catch (err) {
      if (!(err instanceof IpnVerificationError)) throw err;
      res.json(netopiaIpnReply(err));
    }
  });
  const rc = await listen(receiver);
  notifyUrl = `${rc.url}/ipn`;
  returnUrl = `${rc.url}/api/payment/return/1`;
  servers = [sb.server, rc.server];

  client = new NetopiaClient({
    baseUrl: `${ctx.sandboxBaseUrl}/netopia`,
    apiKey: sandbox.apiKey,
    posSignature: sandbox.posSignature,
    retries: 0,
  });
});

afterAll(async () => {
  sandbox.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function start(amount = '10.00', orderId = newOrderId()) {
  const started = await client.start({ orderId, amount, currency: 'RON', description: 'Parking Secured P 1', returnUrl, notifyUrl });
  return { orderId, ...started };
}

async function pay(paymentUrl: string, pan: string, cvv = '111', expYear = nextYear, expMonth = '12') {
  usedPans.add(pan);
  const body = new URLSearchParams({ card_number: pan, exp_month: expMonth, exp_year: expYear, cvv, name: 'Ion Popescu' });
  return fetch(paymentUrl, { method: 'POST', body, redirect: 'manual' });
}

const ipnFor = (orderId: string) => verified.filter((v) => v.orderId === orderId);

describe('NETOPIA hosted card payment', () => {
  it('serves a WebView-friendly card page with the agreed field names', async () => {
    const { redirectUrl } = await start();
    expect(redirectUrl.startsWith(`${ctx.sandboxBaseUrl}/netopia/pay/`)).toBe(true);
    const res = await fetch(redirectUrl);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('name="viewport"');
    for (const field of ['card_number', 'exp_month', 'exp_year', 'cvv', 'name']) expect(html).toContain(`name="${field}"`);
  });

  it('accepted card with CVV 111: IPN verified, browser sent back, status paid', async () => {
    const { orderId, providerRef, redirectUrl } = await start('10.05');
    const res = await pay(redirectUrl, '9900004810225098');
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(returnUrl);
    expect(back.searchParams.get('orderId')).toBe(orderId);

    const [ipn] = ipnFor(orderId);
    expect(ipn).toMatchObject({ orderId, ntpId: providerRef, status: 3, errorCode: '00', amount: '10.05', currency: 'RON', cardMasked: '****5098' });

    const status = await client.status(orderId, providerRef);
    expect(status).toMatchObject({ orderId, outcome: 'paid', providerRef, amount: '10.05', currency: 'RON', cardLast4: '****5098' });
    expect(status.reasonCode).toBeUndefined();
  });

  it.each([
    ['accepted card, wrong CVV', '9900004810225098', '123', '21', 'cvv_error'],
    ['expired card', '9900541631437790', '111', '19', 'expired_card'],
    ['insufficient funds', '9900518572831942', '111', '20', 'insufficient_funds'],
    ['bad CVV card', '9900827979991500', '111', '21', 'cvv_error'],
    ['antifraud', '9900005786662552', '111', '36', 'antifraud'],
    ['not allowed', '9900576270414197', '111', '34', 'not_allowed'],
    ['bank error', '9900130597497640', '111', '99', 'bank_error'],
    ['unknown card', '4111111111111111', '111', '35', 'declined'],
  ])('%s → declined with a reason', async (_label, pan, cvv, code, reasonCode) => {
    const { orderId, providerRef, redirectUrl } = await start();
    const res = await pay(redirectUrl, pan, cvv);
    expect(res.status).toBe(302);
    expect(ipnFor(orderId)[0]).toMatchObject({ status: 12, errorCode: code });
    const status = await client.status(orderId, providerRef);
    expect(status).toMatchObject({ outcome: 'declined', reasonCode });
    expect(status.reason).toEqual(expect.any(String));
    expect(status.reason?.length).toBeGreaterThan(0);
  });

  it('an expiry date in the past is an expired card even for the accepted card', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '9900004810225098', '111', String(new Date().getUTCFullYear() - 1));
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'declined', reasonCode: 'expired_card', reason: 'Card expired' });
  });

  it('an invalid form is refused on the page and charges nothing', async () => {
    const { orderId, redirectUrl } = await start();
    const res = await pay(redirectUrl, '12ab');
    expect(res.status).toBe(400);
    expect(sandbox.charges().filter((c) => c.orderId === orderId)).toHaveLength(0);
  });

  it('an unpaid order expires (status 23) after its time to live', async () => {
    const { orderId, providerRef } = await start();
    clockOffsetMs = 120_000;
    try {
      expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'expired' });
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe('IPN delivery and verification', () => {
  let good: Delivery;

  beforeAll(async () => {
    const { orderId, redirectUrl } = await start('12.30');
    const before = deliveries.length;
    await pay(redirectUrl, '9900004810225098');
    good = deliveries.slice(before).find((d) => d.rawBody.toString().includes(orderId))!;
  });

  const verifyWith = (over: Partial<Parameters<typeof verifyNetopiaIpn>[0]>) =>
    verifyNetopiaIpn({ rawBody: good.rawBody, verificationToken: good.token, publicKeyPem: sandbox.publicKeyPem, posSignature: sandbox.posSignature, ...over });
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof IpnVerificationError) return err.code;
      throw err;
    }
    return 'accepted';
  };

  it('the delivered IPN verifies and parses', () => {
    expect(verifyWith({})).toMatchObject({ status: 3, amount: '12.30' });
  });

  it('the public key is published at /netopia/public-key.pem', async () => {
    const pem = await (await fetch(`${ctx.sandboxBaseUrl}/netopia/public-key.pem`)).text();
    expect(pem).toBe(sandbox.publicKeyPem);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(good.rawBody.toString().replace('12.30', '0.01'));
    expect(codeOf(() => verifyWith({ rawBody: tampered }))).toBe(NETOPIA_IPN_ERROR.TAINTED_PAYLOAD);
  });

  it('rejects the wrong audience (another POS signature)', () => {
    expect(codeOf(() => verifyWith({ posSignature: 'OTHER-POS-SIGNATURE' }))).toBe(NETOPIA_IPN_ERROR.AUDIENCE);
  });

  it('rejects a token that does not verify with our NETOPIA key', () => {
    expect(codeOf(() => verifyWith({ publicKeyPem: generateNetopiaKeyPair().publicKeyPem }))).toBe(NETOPIA_IPN_ERROR.SIGNATURE);
  });

  it('rejects a validly signed token from the wrong issuer', () => {
    const keys = generateNetopiaKeyPair();
    const token = signNetopiaIpnToken({ rawBody: good.rawBody, posSignature: sandbox.posSignature, privateKeyPem: keys.privateKeyPem, issuer: 'Not NETOPIA' });
    expect(codeOf(() => verifyWith({ verificationToken: token, publicKeyPem: keys.publicKeyPem }))).toBe(NETOPIA_IPN_ERROR.GENERAL);
  });

  it('rejects a missing token, a 2-part token, typ other than JWT and alg other than RS512', () => {
    const [h, p, s] = good.token!.split('.');
    expect(codeOf(() => verifyWith({ verificationToken: undefined }))).toBe(NETOPIA_IPN_ERROR.GENERAL);
    expect(codeOf(() => verifyWith({ verificationToken: `${h}.${p}` }))).toBe(NETOPIA_IPN_ERROR.GENERAL);
    const typ = base64UrlEncode(JSON.stringify({ typ: 'JWS', alg: 'RS512' }));
    expect(codeOf(() => verifyWith({ verificationToken: `${typ}.${p}.${s}` }))).toBe(NETOPIA_IPN_ERROR.GENERAL);
    for (const alg of ['none', 'HS512', 'RS256']) {
      const header = base64UrlEncode(JSON.stringify({ typ: 'JWT', alg }));
      expect(codeOf(() => verifyWith({ verificationToken: `${header}.${p}.${s}` }))).toBe(NETOPIA_IPN_ERROR.SIGNATURE);
    }
  });

  it('rejects a correctly signed body that is not an IPN', () => {
    const keys = generateNetopiaKeyPair();
    const rawBody = Buffer.from('{"hello":"world"}');
    const token = signNetopiaIpnToken({ rawBody, posSignature: sandbox.posSignature, privateKeyPem: keys.privateKeyPem });
    expect(codeOf(() => verifyWith({ rawBody, verificationToken: token, publicKeyPem: keys.publicKeyPem }))).toBe(NETOPIA_IPN_ERROR.PAYLOAD_FORMAT);
  });

  it('accepts a string audience as well as an array', () => {
    const keys = generateNetopiaKeyPair();
    const header = base64UrlEncode(JSON.stringify({ typ: 'JWT', alg: 'RS512' }));
    const claims = base64UrlEncode(JSON.stringify({ iss: 'NETOPIA Payments', aud: sandbox.posSignature, sub: netopiaBodyHash(good.rawBody) }));
    const sig = sign('sha512', Buffer.from(`${header}.${claims}`), keys.privateKeyPem).toString('base64url');
    expect(verifyWith({ verificationToken: `${header}.${claims}.${sig}`, publicKeyPem: keys.publicKeyPem })).toMatchObject({ status: 3 });
  });

  it('re-sends an IPN answered with errorType 1 until it is accepted', async () => {
    const { orderId, redirectUrl } = await start();
    failNextIpns = 2;
    await pay(redirectUrl, '9900004810225098');
    await sandbox.ipnsIdle();
    expect(deliveries.filter((d) => d.rawBody.toString().includes(`"${orderId}"`))).toHaveLength(3);
    expect(ipnFor(orderId)).toHaveLength(1);
    expect(sandbox.records().find((r) => r.kind === 'ipn' && r.orderId === orderId)).toMatchObject({ attempts: 3, delivered: true });
  });

  it('builds the reply bodies: 0 ok, 1 temporary, 2 permanent', () => {
    expect(netopiaIpnReply()).toEqual({ errorType: 0, errorCode: null, errorMessage: '' });
    expect(netopiaIpnReply({ kind: 'temporary', message: 'later' })).toMatchObject({ errorType: 1 });
    expect(netopiaIpnReply(new IpnVerificationError(NETOPIA_IPN_ERROR.AUDIENCE, 'x'))).toEqual({
      errorType: 2,
      errorCode: NETOPIA_IPN_ERROR.AUDIENCE,
      errorMessage: 'x',
    });
  });
});

describe('idempotency, refunds and auth', () => {
  it('starting the same orderId twice returns the same payment; another amount is refused', async () => {
    const first = await start('15.00');
    const again = await start('15.00', first.orderId);
    expect(again).toEqual(first);
    await expect(start('16.00', first.orderId)).rejects.toMatchObject({ code: '99', httpStatus: 409 });
  });

  it('a second card submission for a paid order charges nothing', async () => {
    const { orderId, redirectUrl } = await start();
    await pay(redirectUrl, '9900004810225098');
    const second = await pay(redirectUrl, '9900004810225098');
    expect(second.status).toBe(302);
    expect(sandbox.charges().filter((c) => c.orderId === orderId)).toHaveLength(1);
    expect(ipnFor(orderId)).toHaveLength(1);
  });

  it('refunds partially with decimals, idempotently, and rejects refunding more than was captured', async () => {
    const { orderId, providerRef, redirectUrl } = await start('10.00');
    await pay(redirectUrl, '9900004810225098');
    const base = { orderId, providerRef, currency: 'RON' };

    const r1 = await client.refund({ ...base, amount: '2.55', idempotencyKey: `${orderId}-refund-1` });
    expect(r1.amount).toBe('2.55');
    const r1again = await client.refund({ ...base, amount: '2.55', idempotencyKey: `${orderId}-refund-1` });
    expect(r1again.refundRef).toBe(r1.refundRef);
    expect(sandbox.refunds().filter((r) => r.orderId === orderId)).toHaveLength(1);

    const over = client.refund({ ...base, amount: '7.46', idempotencyKey: `${orderId}-refund-2` });
    await expect(over).rejects.toBeInstanceOf(NetopiaApiError);
    await expect(over).rejects.toMatchObject({ code: '53', httpStatus: 400 });

    expect((await client.status(orderId, providerRef)).outcome).toBe('paid');
    const r2 = await client.refund({ ...base, amount: '7.45', idempotencyKey: `${orderId}-refund-3` });
    expect(r2.amount).toBe('7.45');
    await expect(client.refund({ ...base, amount: '0.01', idempotencyKey: `${orderId}-refund-4` })).rejects.toMatchObject({ code: '53' });
    // Fully credited: NETOPIA status 8, which is money given back, not a payment.
    expect((await client.status(orderId, providerRef)).outcome).toBe('refunded');
  });

  it('refuses to refund an unpaid order', async () => {
    const { orderId, providerRef } = await start();
    await expect(client.refund({ orderId, providerRef, amount: '1.00', currency: 'RON', idempotencyKey: `${orderId}-r` })).rejects.toMatchObject({ code: '51' });
  });

  it('a wrong API key is a 401 in NETOPIA error shape', async () => {
    const bad = new NetopiaClient({ baseUrl: `${ctx.sandboxBaseUrl}/netopia`, apiKey: 'wrong', posSignature: sandbox.posSignature, retries: 0 });
    await expect(bad.start({ orderId: newOrderId(), amount: '1.00', currency: 'RON', description: 'x', returnUrl, notifyUrl })).rejects.toMatchObject({
      code: '401',
      httpStatus: 401,
    });
    const raw = await fetch(`${ctx.sandboxBaseUrl}/netopia/operation/status`, { method: 'POST', headers: { authorization: 'Bearer x' } });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { code: '401' } });
  });

  it('refuses amounts with more than 2 decimals before sending anything', async () => {
    await expect(start('1.005')).rejects.toBeInstanceOf(RangeError);
  });

  it('records and logs never hold a full card number', async () => {
    expect(usedPans.size).toBeGreaterThan(5);
    const exposed = [JSON.stringify(sandbox.records()), await (await fetch(`${ctx.sandboxBaseUrl}/netopia/_records`)).text(), logs.join('\n')];
    for (const text of exposed) for (const pan of usedPans) expect(text).not.toContain(pan);
    expect(sandbox.charges().every((c) => /^\*{4}\d{4}$/.test(c.cardMasked))).toBe(true);
  });
});

describe('void (cancel) and typed errors', () => {
  it('voids an open order: status 4, idempotent, and the card page refuses a later card', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    expect(await client.void(orderId, providerRef)).toMatchObject({ orderId, providerRef, outcome: 'voided', amount: '10.00', currency: 'RON' });
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'voided' });
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'voided' });

    const page = await fetch(redirectUrl);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('cancelled');
    const res = await pay(redirectUrl, '9900004810225098');
    expect(res.status).toBe(410);
    expect(sandbox.charges().filter((c) => c.orderId === orderId)).toHaveLength(0);
    expect(sandbox.records().filter((r) => r.kind === 'void' && r.orderId === orderId)).toHaveLength(1);
  });

  it('voiding a paid order leaves it paid (the capture won the race)', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '9900004810225098');
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'paid', cardLast4: '****5098' });
    expect(sandbox.records().filter((r) => r.kind === 'void' && r.orderId === orderId)).toHaveLength(0);
  });

  it('voiding a declined order cancels it, so no later card can be taken on it', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '9900518572831942');
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'voided' });
    expect((await pay(redirectUrl, '9900004810225098')).status).toBe(410);
  });

  it('voiding an expired order answers expired', async () => {
    const { orderId, providerRef } = await start();
    clockOffsetMs = 120_000;
    try {
      expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'expired' });
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('status and void of an order NETOPIA does not know are ProviderRefusal not_found', async () => {
    for (const call of [client.status('no-such-order', '123456789'), client.void('no-such-order', '123456789')]) {
      const err: unknown = await call.catch((e: unknown) => e);
      expect(isProviderRefusal(err)).toBe(true);
      expect(err).toBeInstanceOf(NetopiaApiError);
      expect(err).toMatchObject({ provider: 'netopia', code: 'not_found', httpStatus: 404 });
    }
  });

  it('a business refusal is a ProviderRefusal; no answer at all is ProviderUnavailable', async () => {
    const bad = new NetopiaClient({ baseUrl: `${ctx.sandboxBaseUrl}/netopia`, apiKey: 'wrong', posSignature: sandbox.posSignature, retries: 0 });
    await expect(bad.status('x', '1')).rejects.toBeInstanceOf(ProviderRefusal);
    const closed = new NetopiaClient({ baseUrl: 'http://127.0.0.1:1/netopia', apiKey: 'k', posSignature: 'p', retries: 0 });
    const err: unknown = await closed.status('x', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect(isProviderRefusal(err)).toBe(false);
  });
});

describe('wire helpers', () => {
  it('writes amounts as JSON numbers straight from the decimal string', () => {
    expect(stringifyWithDecimals({ a: new JsonDecimal('10.00'), d: 'x' })).toBe('{"a":10.00,"d":"x"}');
  });

  it('maps payment.status to outcomes', () => {
    expect(netopiaOutcome(3).outcome).toBe('paid');
    expect(netopiaOutcome(5).outcome).toBe('paid');
    expect(netopiaOutcome(4).outcome).toBe('voided');
    expect(netopiaOutcome(8).outcome).toBe('refunded');
    for (const s of [9, 10, 16]) expect(netopiaOutcome(s).outcome).toBe('chargeback');
    expect(netopiaOutcome(17).outcome).toBe('reversed');
    expect(netopiaOutcome(23).outcome).toBe('expired');
    for (const s of [1, 2, 6, 13, 14, 15, 18, 99]) expect(netopiaOutcome(s).outcome).toBe('pending');
    expect(netopiaOutcome(12, '22')).toMatchObject({ outcome: 'declined', reasonCode: 'cvv_error' });
    expect(netopiaOutcome(11, '99')).toMatchObject({ outcome: 'declined', reasonCode: 'bank_error' });
  });
});
