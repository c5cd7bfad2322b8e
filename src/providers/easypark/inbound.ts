import { safeEqual } from '../../security/constant-time';

/**
 * Authenticating EasyPark Fleet's webhook. EasyPark signs nothing; per partner it sends either HTTP Basic
 * credentials or an API key in a header whose name is agreed per partner. Comparisons are constant-time.
 * (Body parsing: parseParkingTransaction in wire.ts.)
 */

export interface EasyParkBasicCredentials {
  username: string;
  password: string;
}

export interface EasyParkApiKeyConfig {
  /** The header name agreed with EasyPark, e.g. "X-API-Key" (case-insensitive). */
  headerName: string;
  key: string;
}

/** `Authorization: Basic base64(username:password)`; the whole "user:pass" is compared at once. */
export function verifyEasyParkBasicAuth(authorizationHeader: string | undefined, creds: EasyParkBasicCredentials): boolean {
  if (!authorizationHeader) return false;
  const m = /^Basic\s+(\S+)\s*$/i.exec(authorizationHeader);
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  return safeEqual(decoded, `${creds.username}:${creds.password}`);
}

/** API-key variant: the agreed header must carry exactly the key (a header sent twice is refused). */
export function verifyEasyParkApiKey(
  headers: Record<string, string | string[] | undefined>,
  config: EasyParkApiKeyConfig,
): boolean {
  const wanted = config.headerName.toLowerCase();
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === wanted);
  const value = entry?.[1];
  const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  if (!single) return false;
  return safeEqual(single.trim(), config.key);
}

/** The header EasyPark (our sandbox) sends for Basic auth. */
export function easyParkBasicAuthHeader(creds: EasyParkBasicCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}
