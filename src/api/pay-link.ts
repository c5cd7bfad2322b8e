import { createHmac } from 'node:crypto';
import { safeEqual } from '../security/constant-time';

/**
 * Pay and result links are opened in a WebView or browser without the app's Bearer header, so they carry their
 * own proof: `a` (the number of payment attempts the session had when the link was issued), `exp` (Unix seconds)
 * and `sig`, an HMAC-SHA256 over purpose, session id, attempt and expiry.
 *
 * The choice: the attempt number is signed but does not pin the link to that one attempt. A link issued at
 * finalize for attempt k keeps working while it is unexpired and the session is payable, also after attempt k was
 * declined and attempt k+1 opens (the retry a driver expects); it cannot name an attempt the session has not
 * reached. Expiry is short (PAY_LINK_TTL_MINUTES) and every finalize (and every authenticated read of the
 * session) issues a fresh link. Pay and result links sign different purposes, so one cannot stand in for the other.
 */
export type LinkPurpose = 'pay' | 'result';

export interface SignedLink {
  attempt: number;
  exp: number;
  sig: string;
}

/** Long enough for a provider's hosted page to send the browser back after the attempt's TTL (15 min default). */
export const RETURN_LINK_TTL_SECONDS = 2 * 60 * 60;

export function linkSignature(secret: string, purpose: LinkPurpose, sessionId: number, attempt: number, exp: number): string {
  return createHmac('sha256', secret).update(`${purpose}:${sessionId}:${attempt}:${exp}`).digest('base64url');
}

export function signLink(secret: string, purpose: LinkPurpose, sessionId: number, attempt: number, ttlSeconds: number, now = Date.now()): SignedLink {
  const exp = Math.floor(now / 1000) + ttlSeconds;
  return { attempt, exp, sig: linkSignature(secret, purpose, sessionId, attempt, exp) };
}

const query = (l: SignedLink) => `a=${l.attempt}&exp=${l.exp}&sig=${l.sig}`;

export type LinkCheck = { ok: true; attempt: number; exp: number } | { ok: false; status: 401 | 403; code: string; message: string };

/** Checks a link's query (`a`, `exp`, `sig`): missing → 401, forged → 403, expired → 403. Constant-time compare. */
export function verifyLink(secret: string, purpose: LinkPurpose, sessionId: number, q: Record<string, unknown>, now = Date.now()): LinkCheck {
  const { a, exp, sig } = q;
  if (typeof sig !== 'string' || typeof a !== 'string' || typeof exp !== 'string' || !sig) {
    return { ok: false, status: 401, code: 'unauthorized', message: 'missing pay link signature (a, exp, sig)' };
  }
  if (!/^\d{1,6}$/.test(a) || !/^\d{1,12}$/.test(exp) || !safeEqual(sig, linkSignature(secret, purpose, sessionId, Number(a), Number(exp)))) {
    return { ok: false, status: 403, code: 'invalid_signature', message: 'invalid pay link signature' };
  }
  if (Number(exp) * 1000 <= now) return { ok: false, status: 403, code: 'link_expired', message: 'this link has expired: open the session in the app for a fresh one' };
  return { ok: true, attempt: Number(a), exp: Number(exp) };
}

export function payUrl(publicBaseUrl: string, secret: string, sessionId: number, attempt: number, ttlSeconds: number): string {
  return `${publicBaseUrl}/api/payment/pay/${sessionId}?from_mobile_v4=true&${query(signLink(secret, 'pay', sessionId, attempt, ttlSeconds))}`;
}

export function resultUrl(publicBaseUrl: string, secret: string, sessionId: number, attempt: number, ttlSeconds: number): string {
  return `${publicBaseUrl}/api/payment/return/${sessionId}?${query(signLink(secret, 'result', sessionId, attempt, ttlSeconds))}`;
}

/**
 * Where the provider sends the browser back (built when an attempt starts). The attempt is not known here, so 0:
 * a result link shows the session's current state whatever the attempt.
 */
export function returnUrl(publicBaseUrl: string, secret: string, sessionId: number, ttlSeconds = RETURN_LINK_TTL_SECONDS): string {
  return resultUrl(publicBaseUrl, secret, sessionId, 0, ttlSeconds);
}
