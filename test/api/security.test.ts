/**
 * Security edges over real HTTP against the whole stack: signed pay/result links (no provider order without a valid,
 * unexpired signature), per-person ops tokens with an audit trail, driver token expiry and revocation by ops.
 */
import { createOpsUser, issueDriverToken } from '../../src/db/credentials';
import { AccessTokenModel, OpsAuditModel, OpsUserModel } from '../../src/db/models';
import { linkSignature, resultUrl } from '../../src/api/pay-link';
import { generateNetopiaKeyPair, signNetopiaIpnToken } from '../../src/providers/netopia/keys';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
const TOKEN = 'demo-driver-token-0001';
let alice: string;
let bob: string;
const keys = generateNetopiaKeyPair();

beforeAll(async () => {
  s = await startStack('security', {}, { netopiaKeyPair: keys });
  alice = (await createOpsUser('alice')).token;
  bob = (await createOpsUser('bob')).token;
});
afterAll(() => s?.stop());

const session = (id: number) => http('GET', `${s.api}/api/ops/sessions/${id}`, { token: alice });

/** A session at parking 189, entered and finalized: attempt 1 is open, nothing has been sent to a provider yet. */
async function finalized(token = TOKEN): Promise<{ id: number; payUrl: string }> {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token, body: { parking_session: { secured_parking_id: 189 } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token, body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } });
  expect((await gateEvent(s, id, 189, 'entered')).status).toBe(202);
  await eventually(() => session(id), (r) => r.body.session.state === 'active');
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token, body: { parking_session: { secured_parking_id: 189 } } });
  expect(fin.status).toBe(201);
  return { id, payUrl: fin.body.pay_url };
}

/** No provider order: every attempt is still only opened, without a provider reference or redirect. */
async function expectNoProviderOrder(id: number) {
  const attempts = (await session(id)).body.session.attempts as Array<{ status: string; providerRef: string | null; redirectUrl: string | null }>;
  expect(attempts.length).toBeGreaterThan(0);
  for (const a of attempts) expect([a.status, a.providerRef, a.redirectUrl]).toEqual(['open', null, null]);
}

const withQuery = (url: string, set: Record<string, string>) => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(set)) u.searchParams.set(k, v);
  return u.toString();
};
const without = (url: string, ...keys: string[]) => {
  const u = new URL(url);
  for (const k of keys) u.searchParams.delete(k);
  return u.toString();
};

describe('pay links', () => {
  it('without a signature, with a wrong, forged-attempt or expired one, or a made-up Bearer token: 401/403 and no provider order', async () => {
    const { id, payUrl } = await finalized();
    const pay = `${s.api}/api/payment/pay/${id}`;
    const past = Math.floor(Date.now() / 1000) - 60;
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['no signature', {}, 401, 'unauthorized'],
      ['any Bearer token (the old bypass)', { authorization: 'Bearer anything-at-all' }, 401, 'unauthorized'],
      ['wrong sig', {}, 403, 'invalid_signature'],
      ['attempt changed', {}, 403, 'invalid_signature'],
      ['expiry extended', {}, 403, 'invalid_signature'],
      ['expired (correctly signed)', {}, 403, 'link_expired'],
      ['result-page signature on the pay page', {}, 403, 'invalid_signature'],
    ];
    const urls = [
      pay,
      pay,
      withQuery(payUrl, { sig: 'A'.repeat(43) }),
      withQuery(payUrl, { a: '7' }),
      withQuery(payUrl, { exp: String(Math.floor(Date.now() / 1000) + 86_400) }),
      withQuery(payUrl, { a: '1', exp: String(past), sig: linkSignature(s.config.PAY_LINK_SECRET, 'pay', id, 1, past) }),
      withQuery(payUrl, { sig: linkSignature(s.config.PAY_LINK_SECRET, 'result', id, 1, Number(new URL(payUrl).searchParams.get('exp'))) }),
    ];
    for (const [i, [what, headers, status, code]] of cases.entries()) {
      const res = await http('GET', urls[i], { headers });
      expect([what, res.status, res.body?.error?.code]).toEqual([what, status, code]);
      expect(res.location).toBeNull();
    }
    // a correctly signed link for attempt 2 the session has not reached is refused too
    const exp = Math.floor(Date.now() / 1000) + 600;
    const ahead = await http('GET', withQuery(payUrl, { a: '2', exp: String(exp), sig: linkSignature(s.config.PAY_LINK_SECRET, 'pay', id, 2, exp) }));
    expect(ahead.status).toBe(403);
    // another session's valid link does not open this one
    const other = await finalized();
    expect((await http('GET', other.payUrl.replace(`/pay/${other.id}?`, `/pay/${id}?`))).status).toBe(403);
    await expectNoProviderOrder(id);
    await expectNoProviderOrder(other.id);

    // the link from finalize works
    const ok = await http('GET', payUrl);
    expect(ok.status).toBe(303);
    expect(ok.location).toContain('/netopia/pay/');
  });

  it('the owning driver\'s real Bearer token opens the pay page; another driver\'s does not', async () => {
    const { id } = await finalized();
    const stranger = (await issueDriverToken('stranger', 'test', 1)).token;
    expect((await http('GET', `${s.api}/api/payment/pay/${id}`, { token: stranger })).status).toBe(404);
    await expectNoProviderOrder(id);
    const own = await http('GET', `${s.api}/api/payment/pay/${id}`, { token: TOKEN });
    expect(own.status).toBe(303);
  });

  it('the result page shows no amount and no link without a valid signature; a declined one links a fresh signed pay link', async () => {
    const { id, payUrl } = await finalized();
    const result = `${s.api}/api/payment/return/${id}`;
    for (const url of [result, `${result}?sig=x`, withQuery(payUrl.replace('/pay/', '/return/'), {})]) {
      const res = await http('GET', url);
      expect([401, 403]).toContain(res.status);
      expect(res.text).not.toMatch(/0\.10|RON|\/api\/payment\/pay\//);
    }
    // decline: the expired test card
    const pay = await http('GET', payUrl);
    const card = await http('GET', pay.location!);
    const form = /action="([^"]+)"/.exec(card.text)![1].replace(/&amp;|&#38;/g, '&');
    const submitted = await http('POST', new URL(form, pay.location!).toString(), {
      form: { card_number: '9900541631437790', exp_month: '12', exp_year: '2030', cvv: '111', name: 'Test' },
    });
    const back = submitted.location!;
    expect(back).toContain(`/api/payment/return/${id}?`);
    await eventually(() => session(id), (r) => r.body.session.paymentStatus === 'declined' || r.body.session.paymentStatus === 'expired');
    const page = await http('GET', back);
    expect(page.status).toBe(200);
    expect(page.text).toContain('0.10 RON');
    const retry = /href="([^"]*\/api\/payment\/pay\/[^"]+)"/.exec(page.text)![1].replace(/&amp;|&#38;/g, '&');
    expect(retry).toMatch(new RegExp(`/api/payment/pay/${id}\\?from_mobile_v4=true&a=1&exp=\\d+&sig=`));
    // the pay link from finalize (attempt 1) still works for the next attempt while unexpired ...
    const again = await http('GET', payUrl);
    expect(again.status).toBe(303);
    expect(again.location).toContain('/netopia/pay/');
    // ... and so does the retry link
    expect((await http('GET', retry)).status).toBe(303);
    // the return URL without its signature is refused
    expect((await http('GET', without(back, 'sig'))).status).toBe(401);
  });
});

test('provider error text is escaped where it reaches HTML', async () => {
  const { id, payUrl } = await finalized();
  expect((await http('GET', payUrl)).status).toBe(303); // attempt 1 started at the provider
  const evil = '<img src=x onerror=alert(1)>"\'';
  const body = JSON.stringify({ order: { orderID: `${id}-1`, ntpID: 'x1', amount: 0.1, currency: 'RON' }, payment: { status: 12, code: '57', message: evil, amount: 0.1, currency: 'RON' } });
  const token = signNetopiaIpnToken({ rawBody: body, posSignature: s.config.NETOPIA_POS_SIGNATURE, privateKeyPem: keys.privateKeyPem });
  expect((await http('POST', `${s.api}/api/providers/netopia/ipn`, { headers: { 'verification-token': token }, body })).status).toBe(200);
  await eventually(() => session(id), (r) => r.body.session.paymentStatus === 'declined');
  const page = await http('GET', resultUrl(s.config.PUBLIC_BASE_URL, s.config.PAY_LINK_SECRET, id, 1, 600));
  expect(page.status).toBe(200);
  expect(page.text).not.toContain('<img');
  expect(page.text).toContain('&#60;img src=x onerror=alert(1)&#62;&#34;&#39;');
});

describe('ops tokens are per person and every ops action is audited', () => {
  it('records who cancelled; an unknown or disabled ops token is 401', async () => {
    const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: 187 } } });
    const id: number = start.body.parking_session.id;
    expect((await http('POST', `${s.api}/api/ops/sessions/${id}/cancel`, { token: 'not-an-ops-token', body: {} })).status).toBe(401);
    const cancel = await http('POST', `${s.api}/api/ops/sessions/${id}/cancel`, { token: alice, body: { reason: 'duplicate booking' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body.session.state).toBe('cancelled');
    const audit = await http('GET', `${s.api}/api/ops/audit?target=session:${id}`, { token: bob });
    expect(audit.body.entries).toEqual([expect.objectContaining({ actor: 'alice', action: 'session_cancel', target: `session:${id}`, details: expect.objectContaining({ reason: 'duplicate booking', outcome: 'ok' }) })]);
    // a failed action (the session has already ended) is recorded too, with its outcome
    expect([404, 422]).toContain((await http('POST', `${s.api}/api/ops/sessions/${id}/cancel`, { token: bob, body: {} })).status);
    expect(await OpsAuditModel.countDocuments({ actor: 'bob', action: 'session_cancel', target: `session:${id}`, 'details.outcome': /^failed/ })).toBe(1);
    // the sandbox's demo token is the user demo-ops
    const demo = await http('GET', `${s.api}/api/ops/sessions/${id}`, { token: s.config.OPS_API_TOKEN });
    expect(demo.status).toBe(200);
    await OpsUserModel.updateOne({ name: 'bob' }, { $set: { active: false } });
    expect((await http('GET', `${s.api}/api/ops/sessions/${id}`, { token: bob })).status).toBe(401);
    await OpsUserModel.updateOne({ name: 'bob' }, { $set: { active: true } });
  });
});

describe('driver tokens', () => {
  it('expire', async () => {
    const { token } = await issueDriverToken('expiring-driver', 'test', 1);
    const list = () => http('GET', `${s.api}/api/car_driver/parking_sessions`, { token });
    expect((await list()).status).toBe(200);
    // Another process (the admin CLI, a second API) moves the expiry: this API honours it once its memo of the
    // token lapses (REFERENCE_CACHE_TTL_MS, 5 s by default).
    await AccessTokenModel.updateOne({ driverId: 'expiring-driver' }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await eventually(list, (r) => r.status !== 200, s.config.REFERENCE_CACHE_TTL_MS + 10_000);
    expect([expired.status, expired.body.error.message]).toEqual([401, 'access token expired']);
  });

  it('are revoked by ops, one or all, with the revoker in the audit trail', async () => {
    const one = await issueDriverToken('revoked-driver', 'phone', 30);
    const two = await issueDriverToken('revoked-driver', 'tablet', 30);
    const use = (token: string) => http('GET', `${s.api}/api/car_driver/parking_sessions`, { token });
    const tokens = await http('GET', `${s.api}/api/ops/drivers/revoked-driver/tokens`, { token: alice });
    expect(tokens.body.tokens).toHaveLength(2);
    expect(JSON.stringify(tokens.body)).not.toContain(one.token);

    const revokeOne = await http('POST', `${s.api}/api/ops/drivers/revoked-driver/tokens/revoke`, { token: alice, body: { token_id: one.id, reason: 'lost phone' } });
    expect(revokeOne.body).toEqual({ driver_id: 'revoked-driver', revoked: 1 });
    expect((await use(one.token)).body.error.message).toBe('access token revoked');
    expect((await use(two.token)).status).toBe(200);

    const revokeAll = await http('POST', `${s.api}/api/ops/drivers/revoked-driver/tokens/revoke`, { token: bob, body: {} });
    expect(revokeAll.body.revoked).toBe(1);
    expect((await use(two.token)).status).toBe(401);
    const audit = await http('GET', `${s.api}/api/ops/audit?actor=alice`, { token: bob });
    expect(audit.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'driver_token_revoke', target: `token:${one.id}` })]));
    expect(await OpsAuditModel.countDocuments({ actor: 'bob', action: 'driver_token_revoke', target: 'driver:revoked-driver' })).toBe(1);
    expect((await http('POST', `${s.api}/api/ops/drivers/revoked-driver/tokens/revoke`, { token: bob, body: { token_id: 'nope' } })).status).toBe(400);
  });
});

// Last in this file: these use up the loopback IP's windows.
describe('rate limits on the wired routes', () => {
  /** Requests until the first 429 (a fixed window may roll over once on the way, hence 2 × max + 1). */
  async function until429(max: number, send: () => ReturnType<typeof http>) {
    for (let i = 0; i <= 2 * max; i++) {
      const res = await send();
      if (res.status === 429) return res;
    }
    throw new Error(`no 429 within ${2 * max + 1} requests`);
  }

  it('the pay page, the result page and the EPX return answer 429 with Retry-After once an IP has used its window', async () => {
    for (const [path, max] of [
      ['/api/payment/pay/1?a=1&exp=1&sig=x', s.config.RATE_LIMIT_PAY_PER_MINUTE],
      ['/api/payment/return/1?a=1&exp=1&sig=x', s.config.RATE_LIMIT_RESULT_PER_MINUTE],
      ['/api/providers/epx/response', s.config.RATE_LIMIT_PAY_PER_MINUTE],
    ] as const) {
      const res = await until429(max, () => http('GET', `${s.api}${path}`));
      expect([path, res.body.error.code]).toEqual([path, 'rate_limited']);
    }
    const limited = await fetch(`${s.api}/api/payment/pay/1?a=1&exp=1&sig=x`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('repeated failed authentications lock the IP out, also for valid credentials', async () => {
    await until429(s.config.RATE_LIMIT_AUTH_FAILURES, () => http('GET', `${s.api}/api/car_driver/parking_sessions`, { token: 'guessed-token' }));
    expect((await http('GET', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN })).status).toBe(429);
  });
});
