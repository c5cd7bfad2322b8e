import {
  signVippsWebhook,
  verifyVippsWebhook,
  vippsContentHash,
  vippsStringToSign,
} from '../../../src/providers/vipps/webhook-signature';

// Official test vector, Webhooks API "Request authentication" (PROVIDERS.md 2.2).
const SECRET = 'A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==';
const URL_ = new URL('https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63');
const BODY = '{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}';
const DATE = 'Thu, 30 Mar 2023 08:38:32 GMT';
const CONTENT_HASH = 'lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=';
const SIGNATURE = 'agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=';
const AUTHORIZATION = `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${SIGNATURE}`;

const target = { pathAndQuery: URL_.pathname + URL_.search, host: URL_.host };

describe('Vipps webhook HMAC (official test vector)', () => {
  it('computes the content hash', () => {
    expect(vippsContentHash(BODY)).toBe(CONTENT_HASH);
    expect(vippsContentHash(Buffer.from(BODY, 'utf8'))).toBe(CONTENT_HASH);
  });

  it('builds the string to sign with LF and semicolons', () => {
    expect(vippsStringToSign({ ...target, date: DATE, contentHash: CONTENT_HASH })).toBe(
      `POST\n/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63\n${DATE};webhook.site;${CONTENT_HASH}`,
    );
  });

  it('signs exactly like Vipps', () => {
    const headers = signVippsWebhook({ secret: SECRET, ...target, date: DATE, rawBody: BODY });
    expect(headers).toEqual({
      'x-ms-date': DATE,
      'x-ms-content-sha256': CONTENT_HASH,
      host: 'webhook.site',
      authorization: AUTHORIZATION,
    });
  });

  it('formats a Date as RFC 1123', () => {
    const headers = signVippsWebhook({ secret: SECRET, ...target, date: new Date('2023-03-30T08:38:32Z'), rawBody: BODY });
    expect(headers.authorization).toBe(AUTHORIZATION);
  });

  it('verifies the vector with headers in any case', () => {
    const headers = { 'X-MS-Date': DATE, 'X-Ms-Content-Sha256': CONTENT_HASH, Authorization: AUTHORIZATION, Host: 'webhook.site' };
    expect(verifyVippsWebhook({ secret: SECRET, ...target, headers, rawBody: BODY })).toEqual({ ok: true });
    expect(verifyVippsWebhook({ secret: SECRET, ...target, headers, rawBody: Buffer.from(BODY) })).toEqual({ ok: true });
  });

  const headers = { 'x-ms-date': DATE, 'x-ms-content-sha256': CONTENT_HASH, authorization: AUTHORIZATION };

  it('rejects a tampered body', () => {
    const tampered = BODY.replace('hello-world', 'hello-World');
    expect(verifyVippsWebhook({ secret: SECRET, ...target, headers, rawBody: tampered })).toEqual({
      ok: false,
      reason: 'content_hash_mismatch',
    });
  });

  it('rejects a tampered body whose hash header was recomputed (signature covers the hash)', () => {
    const tampered = BODY.replace('hello-world', 'hello-World');
    const forged = { ...headers, 'x-ms-content-sha256': vippsContentHash(tampered) };
    expect(verifyVippsWebhook({ secret: SECRET, ...target, headers: forged, rawBody: tampered })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a wrong secret, including the base64-decoded form of the right one', () => {
    expect(verifyVippsWebhook({ secret: `${SECRET}x`, ...target, headers, rawBody: BODY }).ok).toBe(false);
    const decoded = Buffer.from(SECRET, 'base64').toString('latin1');
    expect(verifyVippsWebhook({ secret: decoded, ...target, headers, rawBody: BODY })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects another path, host or date', () => {
    expect(verifyVippsWebhook({ secret: SECRET, ...target, pathAndQuery: '/other', headers, rawBody: BODY }).ok).toBe(false);
    expect(verifyVippsWebhook({ secret: SECRET, ...target, host: 'webhook.site:8443', headers, rawBody: BODY }).ok).toBe(false);
    const otherDate = { ...headers, 'x-ms-date': 'Thu, 30 Mar 2023 08:38:33 GMT' };
    expect(verifyVippsWebhook({ secret: SECRET, ...target, headers: otherDate, rawBody: BODY })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('names missing or malformed headers', () => {
    const run = (h: Record<string, string>) => verifyVippsWebhook({ secret: SECRET, ...target, headers: h, rawBody: BODY });
    expect(run({ ...headers, 'x-ms-date': '' })).toEqual({ ok: false, reason: 'missing_date' });
    const { authorization: _a, ...noAuth } = headers;
    expect(run(noAuth)).toEqual({ ok: false, reason: 'missing_authorization' });
    const { 'x-ms-content-sha256': _h, ...noHash } = headers;
    expect(run(noHash)).toEqual({ ok: false, reason: 'missing_content_hash' });
    expect(run({ ...headers, authorization: `Bearer ${SIGNATURE}` })).toEqual({ ok: false, reason: 'malformed_authorization' });
    expect(run({ ...headers, authorization: `HMAC-SHA256 SignedHeaders=host&Signature=${SIGNATURE}` })).toEqual({
      ok: false,
      reason: 'unexpected_signed_headers',
    });
  });

  it('applies an opt-in replay window', () => {
    const base = { secret: SECRET, ...target, headers, rawBody: BODY, maxAgeMs: 5 * 60_000 };
    expect(verifyVippsWebhook({ ...base, now: new Date('2023-03-30T08:40:00Z') })).toEqual({ ok: true });
    expect(verifyVippsWebhook({ ...base, now: new Date('2023-03-30T09:40:00Z') })).toEqual({ ok: false, reason: 'date_out_of_range' });
  });
});
