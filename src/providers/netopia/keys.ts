/**
 * NETOPIA's IPN token, the signing side: the sandbox signs IPNs exactly the way NETOPIA does (PROVIDERS.md §3.4)
 * so that our verifier is tested against real RS512 JWTs. Also the small encodings both sides share.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

export const NETOPIA_ISSUER = 'NETOPIA Payments';

export interface NetopiaKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** A fresh RSA-2048 pair: the sandbox's stand-in for NETOPIA's signing key and the public key merchants get. */
export function generateNetopiaKeyPair(): NetopiaKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

export function base64UrlEncode(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The `sub` claim: base64 (standard alphabet, as the SDKs compute it) of SHA-512 over the raw body bytes. */
export function netopiaBodyHash(rawBody: Buffer | string): string {
  return createHash('sha512').update(rawBody).digest('base64');
}

export interface SignIpnTokenInput {
  rawBody: Buffer | string;
  posSignature: string;
  privateKeyPem: string;
  /** Overridable only so tests can forge tokens NETOPIA would never send. */
  issuer?: string;
  issuedAt?: Date;
}

/** The Verification-token header value: an RS512 JWT whose sub binds it to this exact body. */
export function signNetopiaIpnToken(input: SignIpnTokenInput): string {
  const header = { typ: 'JWT', alg: 'RS512' };
  const iat = Math.floor((input.issuedAt ?? new Date()).getTime() / 1000);
  const claims = {
    iss: input.issuer ?? NETOPIA_ISSUER,
    aud: [input.posSignature],
    sub: netopiaBodyHash(input.rawBody),
    iat,
  };
  const signingInput = `${base64UrlEncode(JSON.stringify(header))}.${base64UrlEncode(JSON.stringify(claims))}`;
  const signature = sign('sha512', Buffer.from(signingInput), input.privateKeyPem);
  return `${signingInput}.${base64UrlEncode(signature)}`;
}
