import type { Request } from 'express';
import { isDuplicateKey } from '../db/connection';
import { StartRequestModel } from '../db/models';
import { badRequest } from './errors';

/**
 * Session starts are idempotent, each by one `_id` lookup (constant time, no scan):
 * - `Idempotency-Key` header: the first start with a key is claimed by inserting `key:<driver>:<key>`; a repeat
 *   answers the session of the first one (two at once: one inserts, the other waits for its session).
 * - no header: `open:<driver>:<parking>[:<plate>]` points at the driver's latest start there; a second start while
 *   that session is still `entering` answers it instead of opening another one.
 */
const KEY = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface PriorStart {
  sessionId: number;
  parkingId: number;
}

/** The request's Idempotency-Key, or null without one; a malformed key is a client error. */
export function idempotencyKeyOf(req: Request): string | null {
  const raw = req.get('idempotency-key');
  if (raw === undefined) return null;
  if (!KEY.test(raw)) throw badRequest('Idempotency-Key: 1-100 letters, digits, _ . : or -');
  return raw;
}

export const keyedStartId = (driverId: string, key: string) => `key:${driverId}:${key}`;
export const openStartId = (driverId: string, parkingId: number, plate: string | null) => `open:${driverId}:${parkingId}${plate ? `:${plate}` : ''}`;

export async function priorStart(id: string): Promise<PriorStart | null> {
  const row = await StartRequestModel.findById(id).lean();
  return row ? { sessionId: row.sessionId, parkingId: row.parkingId } : null;
}

/** True when this request is the first with its id; false when another one got there first. */
export async function claimStart(id: string, start: PriorStart): Promise<boolean> {
  try {
    await StartRequestModel.create({ _id: id, ...start });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** The start failed: a retry with the same key must be able to try again. */
export async function releaseStart(id: string, sessionId: number): Promise<void> {
  await StartRequestModel.deleteOne({ _id: id, sessionId }).catch((err: unknown) => console.error(`[api] could not release start request ${id}:`, err));
}

/** Remembers the driver's latest start at a parking (last writer wins: it is the newest session either way). */
export async function recordOpenStart(id: string, start: PriorStart): Promise<void> {
  await StartRequestModel.updateOne({ _id: id }, { $set: start }, { upsert: true }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
  });
}
