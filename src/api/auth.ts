import type { Request, RequestHandler } from 'express';
import { AccessTokenModel } from '../db/models';
import { safeEqual, sha256Hex } from '../security/constant-time';
import { unauthorized } from './errors';

export function bearerToken(req: Request): string | null {
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1] : null;
}

declare module 'express-serve-static-core' {
  interface Request {
    driverId?: string;
    /** The exact bytes received, for signature checks (Netopia JWT sub, Vipps HMAC). */
    rawBody?: Buffer;
  }
}

/** Drivers: `Authorization: Bearer <token>`; tokens are stored as SHA-256 hashes and looked up by hash. */
export const requireDriver: RequestHandler = async (req, _res, next) => {
  const token = bearerToken(req);
  if (!token) throw unauthorized('missing Bearer access token');
  const found = await AccessTokenModel.findOne({ tokenHash: sha256Hex(token) }).lean();
  if (!found) throw unauthorized('invalid access token');
  req.driverId = found.driverId;
  next();
};

/** A fixed shared secret in a header, compared in constant time. */
export function requireSecret(read: (req: Request) => string | null, secret: string, what: string): RequestHandler {
  return (req, _res, next) => {
    const presented = read(req);
    if (!presented || !safeEqual(presented, secret)) throw unauthorized(`missing or invalid ${what}`);
    next();
  };
}

export const requireOps = (opsToken: string) => requireSecret(bearerToken, opsToken, 'ops token');
export const requireGate = (gateKey: string) => requireSecret((req) => req.get('x-api-key') ?? null, gateKey, 'gate API key');
