import { linkSignature, payUrl, returnUrl, signLink, verifyLink } from '../../src/api/pay-link';

const SECRET = 'unit-test-pay-link-secret-0123456789';
const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('signed pay links', () => {
  it('verify while unexpired, for the same purpose, session and secret only', () => {
    const q = query(payUrl('https://p.example', SECRET, 42, 1, 600));
    expect(verifyLink(SECRET, 'pay', 42, q)).toMatchObject({ ok: true, attempt: 1 });
    expect(verifyLink(SECRET, 'pay', 43, q)).toMatchObject({ ok: false, status: 403, code: 'invalid_signature' });
    expect(verifyLink(SECRET, 'result', 42, q)).toMatchObject({ ok: false, status: 403 });
    expect(verifyLink(`${SECRET}x`, 'pay', 42, q)).toMatchObject({ ok: false, status: 403 });
    expect(verifyLink(SECRET, 'pay', 42, { ...q, a: '2' })).toMatchObject({ ok: false, status: 403 });
    expect(verifyLink(SECRET, 'pay', 42, { ...q, exp: String(Number(q.exp) + 1) })).toMatchObject({ ok: false, status: 403 });
  });

  it('expire', () => {
    const link = signLink(SECRET, 'pay', 42, 1, 60, Date.UTC(2030, 0, 1));
    const q = { a: String(link.attempt), exp: String(link.exp), sig: link.sig };
    expect(verifyLink(SECRET, 'pay', 42, q, Date.UTC(2030, 0, 1, 0, 0, 59))).toMatchObject({ ok: true });
    expect(verifyLink(SECRET, 'pay', 42, q, Date.UTC(2030, 0, 1, 0, 1, 0))).toMatchObject({ ok: false, status: 403, code: 'link_expired' });
  });

  it('a missing part is 401, malformed numbers 403', () => {
    expect(verifyLink(SECRET, 'pay', 42, {})).toMatchObject({ ok: false, status: 401 });
    expect(verifyLink(SECRET, 'pay', 42, { a: '1', exp: '1' })).toMatchObject({ ok: false, status: 401 });
    expect(verifyLink(SECRET, 'pay', 42, { a: '-1', exp: '99999999999', sig: linkSignature(SECRET, 'pay', 42, -1, 99999999999) })).toMatchObject({ ok: false, status: 403 });
  });

  it('the provider return URL keeps its signature (publicBaseUrl, secret, sessionId) and is a result link valid for hours', () => {
    const url = returnUrl('https://p.example', SECRET, 7);
    expect(url).toMatch(/^https:\/\/p\.example\/api\/payment\/return\/7\?a=0&exp=\d+&sig=/);
    const q = query(url);
    expect(verifyLink(SECRET, 'result', 7, q)).toMatchObject({ ok: true });
    expect(verifyLink(SECRET, 'pay', 7, q)).toMatchObject({ ok: false });
    expect(Number(q.exp) * 1000 - Date.now()).toBeGreaterThan(60 * 60_000);
  });
});
