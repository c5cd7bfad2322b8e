import { createHmac } from 'node:crypto';
import { safeEqual } from '../security/constant-time';

/**
 * Pay links are opened in a WebView without the app's Bearer header, so they carry their own proof:
 * an HMAC of the session id. Only someone who got the link from finalize can open the pay page.
 */
export function payLinkSignature(secret: string, sessionId: number): string {
  return createHmac('sha256', secret).update(`pay:${sessionId}`).digest('base64url').slice(0, 32);
}

export function verifyPayLink(secret: string, sessionId: number, sig: unknown): boolean {
  return typeof sig === 'string' && safeEqual(sig, payLinkSignature(secret, sessionId));
}

export function payUrl(publicBaseUrl: string, secret: string, sessionId: number): string {
  return `${publicBaseUrl}/api/payment/pay/${sessionId}?from_mobile_v4=true&sig=${payLinkSignature(secret, sessionId)}`;
}

export function returnUrl(publicBaseUrl: string, secret: string, sessionId: number): string {
  return `${publicBaseUrl}/api/payment/return/${sessionId}?sig=${payLinkSignature(secret, sessionId)}`;
}
