/**
 * Issuing the credentials that are stored hashed: driver tokens, ops users' tokens and gate keys. The plain
 * value is returned once, to be handed over; only its SHA-256 hash is kept (they are random, 256-bit values,
 * so a fast hash suffices; human-chosen passwords use scrypt, src/security/password.ts).
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../security/constant-time';
import { isDuplicateKey } from './connection';
import { moveLegacyReferenceRow, putCredentialKey } from './migrate';
import { AccessTokenModel, CredentialKeyModel, GateModel, OpsUserModel, gateKeyId, opsKeyId, tokenRowId } from './models';

export const newSecretToken = (): string => randomBytes(32).toString('base64url');

const DAY_MS = 86_400_000;

/** A driver token that expires after ttlDays; `token` only for the sandbox's published demo token. */
export async function issueDriverToken(driverId: string, label: string, ttlDays: number, token = newSecretToken()): Promise<{ token: string; id: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlDays * DAY_MS);
  const tokenHash = sha256Hex(token);
  const update = { $set: { driverId, label, expiresAt }, $setOnInsert: { revokedAt: null, revokedBy: null } };
  const upsert = (filter: Record<string, unknown>) => AccessTokenModel.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after' }).lean();
  // A row issued before ids were derived from the hash keeps its random id.
  const row = await upsert({ _id: tokenRowId(tokenHash), tokenHash }).catch((err: unknown) => {
    if (isDuplicateKey(err)) return upsert({ tokenHash });
    throw err;
  });
  return { token, id: String(row._id), expiresAt };
}

/** When a token stops working: its expiry, or (rows from before expiry existed) createdAt + the TTL. */
export function tokenExpiry(row: { expiresAt?: Date | null; createdAt?: Date | null }, ttlDays: number): Date {
  if (row.expiresAt) return new Date(row.expiresAt);
  return new Date((row.createdAt ? new Date(row.createdAt).getTime() : 0) + ttlDays * DAY_MS);
}

/**
 * Upserts the row with this string `_id`: two processes inserting it at once (seeds on every start) both succeed,
 * the second as an update. Another unique field refusing it is the caller's error.
 */
async function upsertById(model: typeof GateModel | typeof OpsUserModel, _id: string, set: Record<string, unknown>): Promise<void> {
  const put = () => (model as typeof GateModel).updateOne({ _id }, { $set: set }, { upsert: true });
  await put().catch(async (err: unknown) => {
    if (!isDuplicateKey(err) || !(await (model as typeof GateModel).exists({ _id }))) throw err;
    await put();
  });
}

/**
 * Gives a gate or ops user (`_id` = owner) a new key hash, in an order whose every prefix is safe: the new key's
 * CredentialKey row, then the owner's `keyHash`/`tokenHash` (from then on only the new key works: a lookup checks
 * the owner's hash), then the old key's row goes. A crash leaves at most a row that grants nothing.
 */
async function rekeyOwner(opts: {
  model: typeof GateModel | typeof OpsUserModel;
  owner: string;
  hashField: 'keyHash' | 'tokenHash';
  keyId: (hash: string) => string;
  hash: string;
  set: Record<string, unknown>;
}): Promise<void> {
  const { model, owner, hashField, keyId, hash } = opts;
  const previous = (await (model as typeof GateModel).findById(owner).lean()) as Record<string, unknown> | null;
  await putCredentialKey(keyId(hash), owner);
  await upsertById(model, owner, { ...opts.set, [hashField]: hash, active: true });
  const old = previous?.[hashField];
  if (typeof old === 'string' && old !== hash) await CredentialKeyModel.deleteOne({ _id: keyId(old), owner });
}

/** Creates (or, for an existing name, re-keys and re-activates) an ops user; returns the token to hand over. */
export async function createOpsUser(name: string, token = newSecretToken()): Promise<{ name: string; token: string }> {
  if (!/^[A-Za-z0-9._@-]{2,64}$/.test(name)) throw new Error('ops user name: 2-64 letters, digits, . _ @ or -');
  if (!(await OpsUserModel.exists({ _id: name }))) await moveLegacyReferenceRow('opsUsers', { name });
  await rekeyOwner({ model: OpsUserModel, owner: name, hashField: 'tokenHash', keyId: opsKeyId, hash: sha256Hex(token), set: { name } });
  return { name, token };
}

export interface GateSpec {
  id: string;
  parkingId: number;
  direction: 'entrance' | 'exit';
  macAddress: string;
}

/** Creates (or re-keys) the gate controller of one access point; returns its key to configure in the controller. */
export async function createGate(spec: GateSpec, key = newSecretToken()): Promise<{ id: string; key: string }> {
  if (!/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/.test(spec.macAddress)) throw new Error(`gate ${spec.id}: ${spec.macAddress} is not a MAC address`);
  if (!(await GateModel.exists({ _id: spec.id }))) await moveLegacyReferenceRow('gates', { id: spec.id });
  await rekeyOwner({
    model: GateModel,
    owner: spec.id,
    hashField: 'keyHash',
    keyId: gateKeyId,
    hash: sha256Hex(key),
    set: { id: spec.id, parkingId: spec.parkingId, direction: spec.direction, macAddress: spec.macAddress.toUpperCase() },
  });
  return { id: spec.id, key };
}
