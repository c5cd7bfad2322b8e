import type { Request, RequestHandler } from 'express';
import { driverTokens, gateKeys, type CachedGate } from '../db/credential-cache';
import { tokenExpiry } from '../db/credentials';
import { AccessTokenModel, CredentialKeyModel, GateModel, OpsUserModel, gateKeyId, opsKeyId, tokenRowId } from '../db/models';
import { sha256Hex } from '../security/constant-time';
import { unauthorized } from './errors';

export function bearerToken(req: Request): string | null {
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1] : null;
}

export type AuthenticatedGate = CachedGate;

declare module 'express-serve-static-core' {
  interface Request {
    driverId?: string;
    /** The ops person behind the token (audit trail). */
    opsUser?: string;
    gate?: AuthenticatedGate;
    /** The exact bytes received, for signature checks (Netopia JWT sub, Vipps HMAC). */
    rawBody?: Buffer;
  }
}

/** Rows written before tokens had an expiry count from their creation with this TTL. */
const LEGACY_TOKEN_TTL_DAYS = 90;

/**
 * The driver a Bearer token belongs to, or why it does not work. Tokens are random and stored as SHA-256
 * hashes, so they are looked up by hash (equality on a hash of a 256-bit secret leaks nothing useful).
 */
export async function driverForToken(token: string): Promise<{ driverId: string } | { refused: string }> {
  const tokenHash = sha256Hex(token);
  const found = await driverTokens.get(
    tokenHash,
    async () => {
      // By `_id` (derived from the hash; rows issued before that are re-keyed by src/db/migrate.ts). Never by hash
      // alone: on FerretDB that is a scan, and an unknown token would cost one.
      const row = await AccessTokenModel.findOne({ _id: tokenRowId(tokenHash), tokenHash }).lean();
      if (!row) return { refused: 'invalid access token' };
      if (row.revokedAt) return { refused: 'access token revoked' };
      return { driverId: row.driverId, expiresAtMs: tokenExpiry(row, LEGACY_TOKEN_TTL_DAYS).getTime() };
    },
    // Only a token that works is memoized (src/db/credential-cache.ts); a refused one is read again every time.
    (t) => 'driverId' in t,
  );
  if (!found || 'refused' in found) return { refused: found?.refused ?? 'invalid access token' };
  if (found.expiresAtMs <= Date.now()) return { refused: 'access token expired' };
  return { driverId: found.driverId };
}

/** Drivers: `Authorization: Bearer <token>`, unexpired and not revoked. */
export const requireDriver: RequestHandler = async (req, _res, next) => {
  const token = bearerToken(req);
  if (!token) throw unauthorized('missing Bearer access token');
  const found = await driverForToken(token);
  if ('refused' in found) throw unauthorized(found.refused);
  req.driverId = found.driverId;
  next();
};

/**
 * The active ops user a token belongs to: by `_id` twice (the token's key row `ops:<hash>`, then its user), never
 * by hash, so an unknown token is one index miss; the user's own `tokenHash` and `active` decide.
 */
export async function opsUserForToken(token: string): Promise<string | null> {
  const tokenHash = sha256Hex(token);
  const key = await CredentialKeyModel.findById(opsKeyId(tokenHash)).lean();
  const user = key ? await OpsUserModel.findById(key.owner, { name: 1, tokenHash: 1, active: 1 }).lean() : null;
  return user && user.tokenHash === tokenHash && user.active === true ? user.name : null;
}

/** Ops: a per-person Bearer token; the person's name is kept on the request for the audit trail. */
export const requireOps: RequestHandler = async (req, _res, next) => {
  const token = bearerToken(req);
  const user = token ? await opsUserForToken(token) : null;
  if (!user) throw unauthorized('missing or invalid ops token');
  req.opsUser = user;
  next();
};

/**
 * The active gate a key belongs to: its key row by `_id` (`gate:<hash>`; an unknown key is one index miss, never a
 * scan), then the gate by `_id`, whose own `keyHash` and `active` decide (a re-keyed or retired gate's old row
 * grants nothing).
 */
export async function gateForKey(key: string): Promise<AuthenticatedGate | null> {
  const keyHash = sha256Hex(key);
  return gateKeys.get(keyHash, async () => {
    const row = await CredentialKeyModel.findById(gateKeyId(keyHash)).lean();
    const gate = row ? await GateModel.findById(row.owner).lean() : null;
    if (!gate || gate.keyHash !== keyHash || gate.active !== true) return null;
    return { id: gate.id, parkingId: gate.parkingId, direction: gate.direction as 'entrance' | 'exit', macAddress: gate.macAddress };
  });
}

/** Gate controllers: `X-API-Key`, one key per gate, bound to its parking, direction and MAC address. */
export const requireGate: RequestHandler = async (req, _res, next) => {
  const key = req.get('x-api-key');
  if (!key) throw unauthorized('missing or invalid gate API key');
  const gate = await gateForKey(key);
  if (!gate) throw unauthorized('missing or invalid gate API key');
  req.gate = gate;
  next();
};
