/**
 * NETOPIA IPN: verify the Verification-token JWT against the raw body, then parse the body. The checks are the
 * ones every official SDK makes (PROVIDERS.md §3.4), in an order that never trusts a claim before the RSA
 * signature over it has been checked. Expiry (nbf/exp) is not checked: the SDKs disagree on its units (sdk-php
 * compares in milliseconds), and a replayed IPN only repeats a state we confirm server to server anyway.
 */
import { createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { toAmountString, parseProviderAmount } from '../../domain/money';
import { maskPan } from '../card-mask';
import { safeEqual } from '../../security/constant-time';
import { NETOPIA_ISSUER, netopiaBodyHash } from './keys';
import { NetopiaIpnBodySchema, type NetopiaIpnReply } from './wire';

/** Verification-failure codes of the NETOPIA SDKs (sdk-php Ipn::E_VERIFICATION_FAILED_*). */
export const NETOPIA_IPN_ERROR = {
  GENERAL: 0x10000101,
  SIGNATURE: 0x10000102,
  NBF_IAT: 0x10000103,
  EXPIRED: 0x10000104,
  AUDIENCE: 0x10000105,
  TAINTED_PAYLOAD: 0x10000106,
  PAYLOAD_FORMAT: 0x10000107,
} as const;
export type NetopiaIpnErrorCode = (typeof NETOPIA_IPN_ERROR)[keyof typeof NETOPIA_IPN_ERROR];

export class IpnVerificationError extends Error {
  constructor(
    readonly code: NetopiaIpnErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IpnVerificationError';
  }
}

export interface NetopiaIpn {
  orderId: string;
  ntpId: string;
  /** NETOPIA payment.status (3 paid, 5 confirmed, 12 declined, ...): map with netopiaOutcome(). */
  status: number;
  /** payment.code: "00" approved, "19" expired card, ... ("" when absent). */
  errorCode: string;
  errorMessage: string;
  /** Decimal string, 2 decimals: "10.00". */
  amount: string;
  currency: string;
  /** maskPan() form, never more than the last 4 digits. */
  cardMasked?: string;
}

export interface VerifyNetopiaIpnInput {
  /** The body exactly as received: the JWT's sub is a hash of these bytes. */
  rawBody: Buffer;
  /** The Verification-token header (case-insensitive name). */
  verificationToken: string | undefined;
  /** NETOPIA's public key (SPKI PEM) or its certificate (PEM). */
  publicKeyPem: string;
  /** Our active POS signature: must be the token's audience. */
  posSignature: string;
}

const fail = (code: NetopiaIpnErrorCode, message: string): never => {
  throw new IpnVerificationError(code, message);
};

function parseJsonSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the failure below
  }
  return fail(NETOPIA_IPN_ERROR.GENERAL, `JWT ${what} is not a JSON object`);
}

// Parsing the PEM costs ~7x the RSA check itself (bench): keep the parsed key per PEM (there is one in practice).
const keyCache = new Map<string, KeyObject>();

function loadPublicKey(pem: string): KeyObject {
  const cached = keyCache.get(pem);
  if (cached) return cached;
  let key: KeyObject;
  try {
    key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch {
    return fail(NETOPIA_IPN_ERROR.GENERAL, 'NETOPIA public key is not a valid PEM key or certificate');
  }
  if (key.asymmetricKeyType !== 'rsa') fail(NETOPIA_IPN_ERROR.GENERAL, 'NETOPIA public key is not an RSA key');
  if (keyCache.size > 16) keyCache.clear();
  keyCache.set(pem, key);
  return key;
}

function audienceOf(aud: unknown): string {
  if (typeof aud === 'string' && aud) return aud;
  if (Array.isArray(aud) && typeof aud[0] === 'string' && aud[0]) return aud[0];
  return fail(NETOPIA_IPN_ERROR.AUDIENCE, 'JWT audience is empty');
}

function checkToken(input: VerifyNetopiaIpnInput): void {
  const token = input.verificationToken?.trim();
  if (!token) fail(NETOPIA_IPN_ERROR.GENERAL, 'Verification-token header is missing');
  const parts = token!.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    fail(NETOPIA_IPN_ERROR.GENERAL, 'Verification-token is not a 3-part JWT');
  }
  const [headerB64, claimsB64, signatureB64] = parts;

  const header = parseJsonSegment(headerB64, 'header');
  if (header.typ !== 'JWT') fail(NETOPIA_IPN_ERROR.GENERAL, 'JWT typ is not JWT');
  // Pin the algorithm: trusting the header's alg is how "none"/HS256-with-public-key forgeries get through.
  if (header.alg !== 'RS512') fail(NETOPIA_IPN_ERROR.SIGNATURE, `JWT alg ${String(header.alg)} is not RS512`);

  const key = loadPublicKey(input.publicKeyPem);
  const signed = Buffer.from(`${headerB64}.${claimsB64}`);
  if (!verify('sha512', signed, key, Buffer.from(signatureB64, 'base64url'))) {
    fail(NETOPIA_IPN_ERROR.SIGNATURE, 'JWT signature does not verify with the NETOPIA public key');
  }

  const claims = parseJsonSegment(claimsB64, 'payload');
  if (claims.iss !== NETOPIA_ISSUER) fail(NETOPIA_IPN_ERROR.GENERAL, 'JWT issuer is not NETOPIA Payments');
  if (!safeEqual(audienceOf(claims.aud), input.posSignature)) {
    fail(NETOPIA_IPN_ERROR.AUDIENCE, 'JWT audience is not our POS signature');
  }
  if (typeof claims.sub !== 'string' || !safeEqual(claims.sub, netopiaBodyHash(input.rawBody))) {
    fail(NETOPIA_IPN_ERROR.TAINTED_PAYLOAD, 'body does not match the hash signed in the JWT');
  }
}

/** Verifies and parses one IPN; throws IpnVerificationError (with NETOPIA's code) on any failed check. */
export function verifyNetopiaIpn(input: VerifyNetopiaIpnInput): NetopiaIpn {
  checkToken(input);

  let json: unknown;
  try {
    json = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return fail(NETOPIA_IPN_ERROR.PAYLOAD_FORMAT, 'IPN body is not JSON');
  }
  const parsed = NetopiaIpnBodySchema.safeParse(json);
  if (!parsed.success) return fail(NETOPIA_IPN_ERROR.PAYLOAD_FORMAT, `IPN body: ${parsed.error.message}`);
  const { order, payment } = parsed.data;

  const ntpId = payment.ntpID ?? order.ntpID;
  const amount = payment.amount ?? order.amount;
  const currency = payment.currency ?? order.currency;
  if (!ntpId || amount == null || !currency) {
    return fail(NETOPIA_IPN_ERROR.PAYLOAD_FORMAT, 'IPN body lacks ntpID, amount or currency');
  }
  const panMasked = payment.instrument?.panMasked;
  return {
    orderId: order.orderID,
    ntpId,
    status: payment.status,
    errorCode: payment.code ?? '',
    errorMessage: payment.message ?? '',
    amount: toAmountString(parseProviderAmount(amount)),
    currency,
    // Re-mask whatever NETOPIA sent: our records only ever hold maskPan()'s form.
    ...(panMasked ? { cardMasked: maskPan(panMasked) } : {}),
  };
}

/** Why we refuse an IPN: a verification failure (permanent: a forgery will not improve) or our own trouble. */
export type NetopiaIpnProblem =
  | IpnVerificationError
  | { kind: 'temporary' | 'permanent'; code?: number; message: string };

/**
 * The JSON body we answer an IPN with. errorType 1 asks NETOPIA to re-send later (e.g. our workflow service is
 * down); 2 says never re-send; 0 means accepted.
 */
export function netopiaIpnReply(problem?: NetopiaIpnProblem): NetopiaIpnReply {
  if (!problem) return { errorType: 0, errorCode: null, errorMessage: '' };
  if (problem instanceof IpnVerificationError) {
    return { errorType: 2, errorCode: problem.code, errorMessage: problem.message };
  }
  return {
    errorType: problem.kind === 'temporary' ? 1 : 2,
    errorCode: problem.code ?? NETOPIA_IPN_ERROR.GENERAL,
    errorMessage: problem.message,
  };
}
