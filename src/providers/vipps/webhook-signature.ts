import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../../security/constant-time';

/**
 * Vipps MobilePay Webhooks API request authentication (PROVIDERS.md 2.2), implemented exactly:
 *   contentHash  = base64(SHA256(raw body bytes))                 → header x-ms-content-sha256
 *   stringToSign = METHOD "\n" pathAndQuery "\n" xMsDate ";" host ";" contentHash   (LF, not CRLF)
 *   signature    = base64(HMAC-SHA256(key = UTF-8 bytes of the secret as given, stringToSign))
 *   Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<signature>
 * The secret is NOT base64-decoded even though it looks like base64: the official test vector only
 * matches with its UTF-8 bytes. The signature covers the raw bytes, so callers must keep the body
 * exactly as received (never re-serialise parsed JSON before verifying).
 */

export const VIPPS_SIGNED_HEADERS = 'x-ms-date;host;x-ms-content-sha256';

export type RawBody = string | Buffer | Uint8Array;

export interface VippsWebhookHeaders {
  'x-ms-date': string;
  'x-ms-content-sha256': string;
  /** The authority the signature covers. fetch() sets Host from the URL itself, so senders may drop it. */
  host: string;
  authorization: string;
}

export function vippsContentHash(rawBody: RawBody): string {
  return createHash('sha256').update(rawBody).digest('base64');
}

export function vippsStringToSign(input: {
  method?: string;
  pathAndQuery: string;
  date: string;
  host: string;
  contentHash: string;
}): string {
  const method = (input.method ?? 'POST').toUpperCase();
  return `${method}\n${input.pathAndQuery}\n${input.date};${input.host};${input.contentHash}`;
}

export function vippsSignature(secret: string, stringToSign: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(stringToSign, 'utf8').digest('base64');
}

export function vippsAuthorizationHeader(signature: string): string {
  return `HMAC-SHA256 SignedHeaders=${VIPPS_SIGNED_HEADERS}&Signature=${signature}`;
}

/** RFC 1123 date as Vipps sends it in x-ms-date, e.g. "Thu, 30 Mar 2023 08:38:32 GMT". */
export function toXMsDate(date: Date): string {
  return date.toUTCString();
}

export interface SignVippsWebhookInput {
  secret: string;
  /** Vipps always POSTs webhooks; kept as a parameter so the scheme stays one function. */
  method?: string;
  /** Path and query of the registered webhook URL, e.g. "/api/providers/vipps/webhooks". */
  pathAndQuery: string;
  /** Authority of the registered webhook URL (host[:port]). */
  host: string;
  /** The x-ms-date value: a Date (formatted RFC 1123) or the exact header string. */
  date: Date | string;
  rawBody: RawBody;
}

export function signVippsWebhook(input: SignVippsWebhookInput): VippsWebhookHeaders {
  const date = typeof input.date === 'string' ? input.date : toXMsDate(input.date);
  const contentHash = vippsContentHash(input.rawBody);
  const stringToSign = vippsStringToSign({
    method: input.method,
    pathAndQuery: input.pathAndQuery,
    date,
    host: input.host,
    contentHash,
  });
  return {
    'x-ms-date': date,
    'x-ms-content-sha256': contentHash,
    host: input.host,
    authorization: vippsAuthorizationHeader(vippsSignature(input.secret, stringToSign)),
  };
}

/** Node's IncomingHttpHeaders, a fetch Headers converted to an object, or any plain map. */
export type HeaderBag = Record<string, string | string[] | undefined>;

export type VippsWebhookVerifyFailure =
  | 'missing_date'
  | 'missing_content_hash'
  | 'missing_authorization'
  | 'content_hash_mismatch'
  | 'malformed_authorization'
  | 'unexpected_signed_headers'
  | 'signature_mismatch'
  | 'date_out_of_range';

export type VippsWebhookVerifyResult = { ok: true } | { ok: false; reason: VippsWebhookVerifyFailure };

export interface VerifyVippsWebhookInput {
  secret: string;
  /** Path and query of OUR registered URL (not taken from the request: proxies may rewrite it). */
  pathAndQuery: string;
  /** Authority of OUR registered URL (not the incoming Host header, for the same reason). */
  host: string;
  headers: HeaderBag;
  rawBody: RawBody;
  method?: string;
  /**
   * Optional replay window. Vipps documents no skew check (UNCONFIRMED), and retries run for days
   * with the original date, so it is off unless a caller opts in.
   */
  maxAgeMs?: number;
  now?: Date;
}

function header(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

const AUTHORIZATION_PATTERN = /^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$/;

export function verifyVippsWebhook(input: VerifyVippsWebhookInput): VippsWebhookVerifyResult {
  const date = header(input.headers, 'x-ms-date');
  if (!date) return { ok: false, reason: 'missing_date' };
  const claimedHash = header(input.headers, 'x-ms-content-sha256');
  if (!claimedHash) return { ok: false, reason: 'missing_content_hash' };
  const authorization = header(input.headers, 'authorization');
  if (!authorization) return { ok: false, reason: 'missing_authorization' };

  // The body must be the one the hash header describes, otherwise a valid signature over the headers
  // could be replayed with a different body.
  const contentHash = vippsContentHash(input.rawBody);
  if (!safeEqual(contentHash, claimedHash)) return { ok: false, reason: 'content_hash_mismatch' };

  const match = AUTHORIZATION_PATTERN.exec(authorization.trim());
  if (!match) return { ok: false, reason: 'malformed_authorization' };
  if (match[1].toLowerCase() !== VIPPS_SIGNED_HEADERS) return { ok: false, reason: 'unexpected_signed_headers' };

  const expected = vippsSignature(
    input.secret,
    vippsStringToSign({ method: input.method, pathAndQuery: input.pathAndQuery, date, host: input.host, contentHash }),
  );
  if (!safeEqual(expected, match[2])) return { ok: false, reason: 'signature_mismatch' };

  if (input.maxAgeMs !== undefined) {
    const sent = Date.parse(date);
    const now = (input.now ?? new Date()).getTime();
    if (!Number.isFinite(sent) || Math.abs(now - sent) > input.maxAgeMs) return { ok: false, reason: 'date_out_of_range' };
  }
  return { ok: true };
}
