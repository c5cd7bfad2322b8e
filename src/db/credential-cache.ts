import { ReadThroughCache, referenceCacheTtl } from './read-through-cache';

/** A gate key's gate, as authenticated (src/api/auth.ts): by the key's SHA-256. */
export interface CachedGate {
  id: string;
  parkingId: number;
  direction: 'entrance' | 'exit';
  macAddress: string;
}

/** A driver token that worked: whose it is and until when (expiry is checked on every hit); or why it did not. */
export type CachedDriverToken = { driverId: string; expiresAtMs: number } | { refused: string };

export const gateKeys = new ReadThroughCache<CachedGate>({ ttlMs: referenceCacheTtl, maxEntries: 10_000 });
export const driverTokens = new ReadThroughCache<CachedDriverToken>({ ttlMs: referenceCacheTtl, maxEntries: 50_000 });

/** A gate re-keyed or retired through this process: its old key stops working on the next request. */
export function forgetGateKeys(): void {
  gateKeys.clear();
}

/** Tokens revoked through this process stop working on the next request; other replicas within the TTL. */
export function forgetDriverTokens(): void {
  driverTokens.clear();
}
