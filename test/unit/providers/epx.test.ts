/**
 * EPX Browser Post end to end over real loopback HTTP: signed key exchange → card page → browser redirect with
 * the response fields → server-to-server confirmation, plus signatures, idempotency and refunds by BRIC.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { SandboxContext } from '../../../sandbox/context';
import { isProviderRefusal, ProviderUnavailable } from '../../../src/providers/card-provider';
import { EpxApiError, EpxClient } from '../../../src/providers/epx/client';
import { EpxResponseFormatError, parseEpxBrowserPostResponse } from '../../../src/providers/epx/inbound';
import { createEpxSandbox, type EpxSandbox } from '../../../sandbox/epx/sandbox';
import { epxOutcome, parseEpxXml, toEpxXml } from '../../../src/providers/epx/wire';

const logs: string[] = [];
const ctx: SandboxContext = { sandboxBaseUrl: '', apiBaseUrl: '', log: (m) => void logs.push(m) };
const returnUrl = 'https://parking.example/api/providers/epx/response';
let sandbox: EpxSandbox;
let client: EpxClient;
let server: Server;
const usedPans = new Set<string>();
let seq = 0;
const newOrderId = () => `${8000 + ++seq}-1`;

beforeAll(async () => {
  sandbox = createEpxSandbox(ctx);
  const app = express();
  app.use('/epx', sandbox.router);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  ctx.sandboxBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new EpxClient({ baseUrl: `${ctx.sandboxBaseUrl}/epx`, ...sandbox.merchant, epiKey: sandbox.epiKey, retries: 0 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function start(amount = '25.00', orderId = newOrderId()) {
  const started = await client.start({ orderId, amount, currency: 'USD', description: 'EPX garage', returnUrl, notifyUrl: returnUrl });
  return { orderId, ...started };
}

/** Posts the card form as the browser would and returns the redirect target. */
async function pay(redirectUrl: string, pan: string, expMonth = '12', expYear = '2025', cvv = '') {
  usedPans.add(pan);
  const tac = new URL(redirectUrl).searchParams.get('TAC') ?? '';
  const body = new URLSearchParams({ TAC: tac, card_number: pan, exp_month: expMonth, exp_year: expYear, cvv, name: 'Jane Doe' });
  const res = await fetch(new URL('pay', redirectUrl), { method: 'POST', body, redirect: 'manual' });
  return { status: res.status, location: new URL(res.headers.get('location') ?? 'http://invalid/') };
}

describe('EPX Browser Post', () => {
  it('start returns the TAC and the browser-post page carrying it', async () => {
    const { providerRef, redirectUrl } = await start();
    const url = new URL(redirectUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${ctx.sandboxBaseUrl}/epx/browserpost/pay`);
    expect(url.searchParams.get('TAC')).toBe(providerRef);
    const html = await (await fetch(redirectUrl)).text();
    expect(html).toContain('name="viewport"');
    for (const field of ['card_number', 'exp_month', 'exp_year', 'cvv', 'name', 'TAC']) expect(html).toContain(`name="${field}"`);
  });

  it('the seed card (CVV empty, EXP 12/2025) is approved and confirmed server to server', async () => {
    const { orderId, providerRef, redirectUrl } = await start('25.00');
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'pending' });

    const back = await pay(redirectUrl, '4000000000000002');
    expect(back.status).toBe(302);
    expect(`${back.location.origin}${back.location.pathname}`).toBe(returnUrl);
    const claimed = parseEpxBrowserPostResponse(back.location.searchParams);
    expect(claimed).toMatchObject({ AUTH_RESP: '00', TRAN_NBR: orderId, AMOUNT: '25.00' });
    expect(claimed.AUTH_GUID).toMatch(/^[0-9A-Z]{19}$/);

    const status = await client.status(orderId, providerRef);
    expect(status).toMatchObject({ orderId, outcome: 'paid', providerRef: claimed.AUTH_GUID, amount: '25.00', currency: 'USD', cardLast4: '****0002' });
  });

  it('another card is declined with AUTH_RESP 05 (do not honor)', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    const back = await pay(redirectUrl, '4111111111111111', '12', String(new Date().getUTCFullYear() + 1), '123');
    expect(back.location.searchParams.get('AUTH_RESP')).toBe('05');
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'declined', reasonCode: 'declined', reason: 'Do not honor' });
  });

  it('a past expiry other than the seed one is an expired card (54)', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    const back = await pay(redirectUrl, '4000000000000002', '01', '2020');
    expect(back.location.searchParams.get('AUTH_RESP')).toBe('54');
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'declined', reasonCode: 'expired_card' });
  });

  it('a browser redirect that claims approval is not what status() reports', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '4111111111111111', '12', '2099');
    // A forged "AUTH_RESP=00" parses fine as input, but the confirmation says declined.
    const forged = parseEpxBrowserPostResponse({ AUTH_RESP: '00', AUTH_RESP_TEXT: 'APPROVAL', TRAN_NBR: orderId, AMOUNT: '25.00' });
    expect(forged.AUTH_RESP).toBe('00');
    expect((await client.status(orderId, providerRef)).outcome).toBe('declined');
  });
});

describe('EPI signatures', () => {
  it('a wrong EPI key is a 401, a foreign EPI-Id a 403, no headers a 401', async () => {
    const badKey = new EpxClient({ baseUrl: `${ctx.sandboxBaseUrl}/epx`, ...sandbox.merchant, epiKey: 'wrong', retries: 0 });
    await expect(badKey.status('x', 'y')).rejects.toMatchObject({ code: '401', httpStatus: 401 });
    await expect(badKey.start({ orderId: newOrderId(), amount: '1.00', currency: 'USD', description: 'x', returnUrl, notifyUrl: returnUrl })).rejects.toBeInstanceOf(EpxApiError);

    const otherMerchant = new EpxClient({ baseUrl: `${ctx.sandboxBaseUrl}/epx`, ...sandbox.merchant, custNbr: '1', epiKey: sandbox.epiKey, retries: 0 });
    await expect(otherMerchant.status('x', 'y')).rejects.toMatchObject({ code: '403', httpStatus: 403 });

    const raw = await fetch(`${ctx.sandboxBaseUrl}/epx/transactions/x`);
    expect(raw.status).toBe(401);
  });

  it('an unknown transaction is a ProviderRefusal not_found (an EpxApiError)', async () => {
    const err: unknown = await client.status('no-such-order', 'tac').catch((e: unknown) => e);
    expect(isProviderRefusal(err)).toBe(true);
    expect(err).toBeInstanceOf(EpxApiError);
    expect(err).toMatchObject({ provider: 'epx', code: 'not_found', httpStatus: 404 });
  });

  it('no answer at all is ProviderUnavailable, not a refusal', async () => {
    const closed = new EpxClient({ baseUrl: 'http://127.0.0.1:1/epx', ...sandbox.merchant, epiKey: sandbox.epiKey, retries: 0 });
    const err: unknown = await closed.status('x', 'y').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect(isProviderRefusal(err)).toBe(false);
  });
});

describe('idempotency and refunds', () => {
  it('starting the same orderId twice returns the same TAC; another amount is refused', async () => {
    const first = await start('30.00');
    expect(await start('30.00', first.orderId)).toEqual(first);
    await expect(start('31.00', first.orderId)).rejects.toMatchObject({ code: 'DUPLICATE_TRAN_NBR', httpStatus: 409 });
  });

  it('a second card submission after approval charges nothing and returns the first answer', async () => {
    const { orderId, redirectUrl } = await start();
    const one = await pay(redirectUrl, '4000000000000002');
    const two = await pay(redirectUrl, '4000000000000002');
    expect(two.location.searchParams.get('AUTH_GUID')).toBe(one.location.searchParams.get('AUTH_GUID'));
    expect(sandbox.charges().filter((c) => c.tranNbr === orderId)).toHaveLength(1);
  });

  it('refunds partially with decimals, idempotently, and rejects refunding more than was captured', async () => {
    const { orderId, providerRef, redirectUrl } = await start('10.00');
    await pay(redirectUrl, '4000000000000002');
    const base = { orderId, providerRef, currency: 'USD' };

    const r1 = await client.refund({ ...base, amount: '2.55', idempotencyKey: `${orderId}-refund-1` });
    expect(r1.amount).toBe('2.55');
    expect(await client.refund({ ...base, amount: '2.55', idempotencyKey: `${orderId}-refund-1` })).toEqual(r1);
    expect(sandbox.refunds().filter((r) => r.tranNbr === orderId)).toHaveLength(1);

    await expect(client.refund({ ...base, amount: '7.46', idempotencyKey: `${orderId}-refund-2` })).rejects.toMatchObject({
      code: 'AMOUNT_EXCEEDS_CAPTURED',
      httpStatus: 422,
    });
    expect((await client.refund({ ...base, amount: '7.45', idempotencyKey: `${orderId}-refund-3` })).amount).toBe('7.45');
    await expect(client.refund({ ...base, amount: '0.01', idempotencyKey: `${orderId}-refund-4` })).rejects.toBeInstanceOf(EpxApiError);
  });

  it('a TAC with no sale yet is pending; voiding it refuses the card page; void is idempotent', async () => {
    const { orderId, providerRef, redirectUrl } = await start('12.00');
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'pending', amount: '12.00' });
    expect(await client.void(orderId, providerRef)).toMatchObject({ orderId, outcome: 'voided', amount: '12.00' });
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'voided' });
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'voided' });
    expect((await fetch(redirectUrl)).status).toBe(410);
    expect((await pay(redirectUrl, '4000000000000002')).status).toBe(410);
    expect(sandbox.charges().filter((c) => c.tranNbr === orderId)).toHaveLength(0);
    expect(sandbox.records().filter((r) => r.kind === 'void' && r.tranNbr === orderId)).toHaveLength(1);
  });

  it('voiding an approved sale leaves it paid (the capture won the race)', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '4000000000000002');
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'paid', cardLast4: '****0002' });
    expect(sandbox.records().filter((r) => r.kind === 'void' && r.tranNbr === orderId)).toHaveLength(0);
  });

  it('voiding a declined sale stops any later card on that TAC', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '4111111111111111', '12', '2099');
    expect(await client.void(orderId, providerRef)).toMatchObject({ outcome: 'voided' });
    expect((await pay(redirectUrl, '4000000000000002')).status).toBe(410);
  });

  it('voiding with a reference EPX does not know is ProviderRefusal not_found', async () => {
    const { orderId } = await start();
    await expect(client.void(orderId, 'not-a-tac')).rejects.toMatchObject({ provider: 'epx', code: 'not_found' });
  });

  it('a fully refunded sale reports refunded', async () => {
    const { orderId, providerRef, redirectUrl } = await start('3.00');
    await pay(redirectUrl, '4000000000000002');
    await client.refund({ orderId, providerRef, amount: '3.00', currency: 'USD', idempotencyKey: `${orderId}-refund-all` });
    expect(await client.status(orderId, providerRef)).toMatchObject({ outcome: 'refunded' });
  });

  it('refuses to refund a declined sale', async () => {
    const { orderId, providerRef, redirectUrl } = await start();
    await pay(redirectUrl, '4111111111111111', '12', '2099');
    await expect(client.refund({ orderId, providerRef, amount: '1.00', currency: 'USD', idempotencyKey: `${orderId}-r` })).rejects.toMatchObject({
      code: 'not_captured',
    });
  });

  it('refuses a currency the EPX account does not settle', async () => {
    await expect(client.start({ orderId: newOrderId(), amount: '1.00', currency: 'RON', description: 'x', returnUrl, notifyUrl: returnUrl })).rejects.toBeInstanceOf(RangeError);
  });

  it('records and logs never hold a full card number', async () => {
    expect(usedPans.size).toBeGreaterThan(1);
    const exposed = [JSON.stringify(sandbox.records()), await (await fetch(`${ctx.sandboxBaseUrl}/epx/_records`)).text(), logs.join('\n')];
    for (const text of exposed) for (const pan of usedPans) expect(text).not.toContain(pan);
    expect(sandbox.charges().every((c) => /^\*{4}\d{4}$/.test(c.cardMasked))).toBe(true);
  });
});

describe('wire and inbound helpers', () => {
  it('maps AUTH_RESP codes', () => {
    expect(epxOutcome('00').outcome).toBe('paid');
    expect(epxOutcome('51')).toMatchObject({ outcome: 'declined', reasonCode: 'insufficient_funds' });
    expect(epxOutcome('54')).toMatchObject({ outcome: 'declined', reasonCode: 'expired_card' });
    expect(epxOutcome('05')).toMatchObject({ outcome: 'declined', reasonCode: 'declined' });
    expect(epxOutcome(undefined).outcome).toBe('pending');
  });

  it('round-trips the flat XML with escaping', () => {
    expect(parseEpxXml(toEpxXml({ TAC: 'a&b<c>"d' }))).toEqual({ TAC: 'a&b<c>"d' });
  });

  it('rejects malformed or repeated browser-post fields', () => {
    expect(() => parseEpxBrowserPostResponse({ TRAN_NBR: '1-1', AMOUNT: '1.00' })).toThrow(EpxResponseFormatError);
    expect(() => parseEpxBrowserPostResponse({ AUTH_RESP: '00', TRAN_NBR: '1-1', AMOUNT: '1' })).toThrow(EpxResponseFormatError);
    expect(() => parseEpxBrowserPostResponse(new URLSearchParams('AUTH_RESP=00&AUTH_RESP=05&TRAN_NBR=1&AMOUNT=1.00'))).toThrow(/repeated/);
  });
});

test('a browser-post return without form fields is a format error, not a crash', () => {
  expect(() => parseEpxBrowserPostResponse(undefined)).toThrow(EpxResponseFormatError);
});
