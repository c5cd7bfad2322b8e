import { mongo, Types } from 'mongoose';
import { z } from 'zod';
import { isDuplicateKey } from './errors';
import { recordDriverSession } from './driver-sessions';
import { recordOrderRow } from './ledger-orders';
import {
  AccessTokenModel,
  CredentialKeyModel,
  GateModel,
  LedgerModel,
  MigrationBackupModel,
  MigrationModel,
  OpsUserModel,
  ParkingAreaModel,
  ParkingModel,
  SessionKeyModel,
  SessionModel,
  gateKeyId,
  opsKeyId,
  parkingRowId,
  sessionRowId,
  tokenRowId,
} from './models';

/**
 * Re-keys rows written before hot lookups went by `_id` (docs/ARCHITECTURE.md, "Hot lookups are by `_id`"):
 * - session rows with an ObjectId `_id` → `_id` = String(sessionId), their smart keys' access commands →
 *   SessionKey rows, and a slot in their driver's list (src/db/driver-sessions.ts);
 * - driver tokens with a random `_id` → `_id` = tokenRowId(tokenHash).
 * (Order ids need no key: `<sessionId>-<attempt>` names its session.)
 * - ledger rows with an ObjectId `_id` → `_id` = idempotencyKey, each listed under its order id
 *   (src/db/ledger-orders.ts); its own marker (`ledger-by-key-1`), so databases past `keys-by-id-1` get it too.
 * - reference rows with an ObjectId `_id` (marker `reference-by-id-1`): parkings → `_id` = String(id) (and their
 *   Autopay area's ParkingArea row), gates →
 *   `_id` = gate id and ops users → `_id` = name, each gate key and ops token getting its CredentialKey row.
 *
 * FerretDB has no transactions, so a row is moved in steps that any process can finish: save a copy
 * (MigrationBackup), delete the old row, insert the new one (a row already there with that `_id` is merged, newest
 * version wins), write its keys, drop the copy. Every step is idempotent, so two processes may run this at once and
 * a run that dies halfway is finished by the next. A marker (Migration `keys-by-id-1`) makes later starts skip the
 * scan; rows a previous-release process writes after that are re-keyed by the projection when it meets them
 * (`rekeyLegacySession`, `rekeyLegacyLedgerRow`) or by `npm run migrate -- --force`.
 */
export const KEYS_BY_ID = 'keys-by-id-1';
export const LEDGER_BY_KEY = 'ledger-by-key-1';
export const REFERENCE_BY_ID = 'reference-by-id-1';
const PARALLEL = 8;

export interface MigrationResult {
  skipped: boolean;
  /** Rows this process moved (two processes running at once each count only the rows they moved). */
  sessions: number;
  tokens: number;
  ledger: number;
  parkings: number;
  gates: number;
  opsUsers: number;
  /** Saved copies found when the run began (left by an interrupted run, or of a move in progress elsewhere). */
  restored: number;
}

type Raw = mongo.Document;
const isObjectId = (v: unknown): v is Types.ObjectId => v instanceof Types.ObjectId;

const Commands = z
  .object({
    entranceAccessCommand: z.string().nullish(),
    view: z
      .object({ entranceKey: z.object({ accessCommand: z.string() }).nullish(), exitKey: z.object({ accessCommand: z.string() }).nullish() })
      .nullish(),
  })
  .loose();
const LegacySession = z.object({ sessionId: z.number().int(), driverId: z.string(), version: z.number().nullish() }).loose();
const LegacyLedger = z.object({ idempotencyKey: z.string().min(1), providerRefs: z.object({ orderId: z.string().optional() }).loose().nullish() }).loose();
const LegacyParking = z.object({ id: z.number().int(), anpr: z.object({ areaCode: z.string().min(1) }).loose().nullish() }).loose();
const LegacyGate = z.object({ id: z.string().min(1), keyHash: z.string().min(1), active: z.boolean().nullish() }).loose();
const LegacyOpsUser = z.object({ name: z.string().min(1), tokenHash: z.string().min(1), active: z.boolean().nullish() }).loose();
const LegacyToken = z.object({ tokenHash: z.string().regex(/^[0-9a-f]{64}$/), revokedAt: z.date().nullish(), revokedBy: z.string().nullish() }).loose();

interface Target {
  name: 'sessions' | 'tokens' | 'ledger' | 'parkings' | 'gates' | 'opsUsers';
  coll: () => mongo.Collection<Raw>;
  newId: (doc: Raw) => string | Types.ObjectId;
  /** The new row was already there (another process, or a projection): bring it up to the saved copy if newer. */
  merge: (newId: string | Types.ObjectId, doc: Raw) => Promise<void>;
  /** Lookups that point at the row, written before the saved copy is dropped. */
  keys: (doc: Raw) => Promise<void>;
}

async function insertIgnoringDuplicate(coll: mongo.Collection<Raw>, doc: Raw): Promise<boolean> {
  try {
    await coll.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

const sessions: Target = {
  name: 'sessions',
  coll: () => SessionModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => sessionRowId(LegacySession.parse(doc).sessionId),
  async merge(newId, doc) {
    const { version } = LegacySession.parse(doc);
    const { _id: _old, ...fields } = doc;
    await this.coll().updateOne({ _id: newId, version: { $lt: version ?? 0 } } as Raw, { $set: fields });
  },
  async keys(doc) {
    const { sessionId, driverId } = LegacySession.parse(doc);
    await recordDriverSession(driverId, sessionId);
    const parsed = Commands.safeParse(doc);
    const row = parsed.success ? parsed.data : {};
    for (const command of [row.entranceAccessCommand, row.view?.entranceKey?.accessCommand, row.view?.exitKey?.accessCommand]) {
      if (!command) continue;
      await SessionKeyModel.updateOne({ _id: command }, { $setOnInsert: { sessionId } }, { upsert: true }).catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
      });
    }
  },
};

const tokens: Target = {
  name: 'tokens',
  coll: () => AccessTokenModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => tokenRowId(LegacyToken.parse(doc).tokenHash),
  async merge(newId, doc) {
    // Tokens change only by being re-issued (same values) or revoked: a revocation must survive the move.
    const { revokedAt, revokedBy } = LegacyToken.parse(doc);
    if (revokedAt) await this.coll().updateOne({ _id: newId, revokedAt: null } as Raw, { $set: { revokedAt, revokedBy: revokedBy ?? null } });
  },
  keys: async () => undefined,
};
// A ledger row is written once and never changed: the row already under the key is the same booking.
const ledger: Target = {
  name: 'ledger',
  coll: () => LedgerModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => LegacyLedger.parse(doc).idempotencyKey,
  merge: async () => undefined,
  async keys(doc) {
    const { idempotencyKey, providerRefs } = LegacyLedger.parse(doc);
    if (providerRefs?.orderId) await recordOrderRow(providerRefs.orderId, idempotencyKey);
  },
};

/** Upserts a key row (`_id` → owner); two processes writing the same row at once both succeed. */
export async function putCredentialKey(id: string, owner: string): Promise<void> {
  const put = () => CredentialKeyModel.updateOne({ _id: id }, { $set: { owner } }, { upsert: true });
  await put().catch((err: unknown) => {
    if (isDuplicateKey(err)) return put(); // the other upsert inserted it: now an update
    throw err;
  });
}

/*
 * Reference rows keep a unique natural key (`id`, `name`), so the row under the new `_id` can only be inserted once
 * the old one is gone, and writers (src/reference-data/service.ts, src/db/credentials.ts) finish a move in progress
 * before they write (`moveLegacyReferenceRow`): a row already under the new `_id` is the moved row or newer.
 */
const parkings: Target = {
  name: 'parkings',
  coll: () => ParkingModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => parkingRowId(LegacyParking.parse(doc).id),
  merge: async () => undefined,
  async keys(doc) {
    // Its Autopay area's row (areas were unique among the old rows: putParking checked).
    const { id, anpr } = LegacyParking.parse(doc);
    if (anpr) await ParkingAreaModel.updateOne({ _id: anpr.areaCode }, { $set: { parkingId: id } }, { upsert: true }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  },
};
const gates: Target = {
  name: 'gates',
  coll: () => GateModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => LegacyGate.parse(doc).id,
  merge: async () => undefined,
  async keys(doc) {
    const { id, keyHash, active } = LegacyGate.parse(doc);
    if (active !== false) await putCredentialKey(gateKeyId(keyHash), id); // a retired gate's key has no row
  },
};
const opsUsers: Target = {
  name: 'opsUsers',
  coll: () => OpsUserModel.collection as unknown as mongo.Collection<Raw>,
  newId: (doc) => LegacyOpsUser.parse(doc).name,
  merge: async () => undefined,
  async keys(doc) {
    const { name, tokenHash, active } = LegacyOpsUser.parse(doc);
    if (active !== false) await putCredentialKey(opsKeyId(tokenHash), name);
  },
};
const TARGETS = { sessions, tokens, ledger, parkings, gates, opsUsers };

const backups = () => MigrationBackupModel.collection as unknown as mongo.Collection<Raw>;
const backupId = (t: Target, newId: string | Types.ObjectId) => `${t.name}:${String(newId)}`;

/** Moves one row to its new `_id`; true when this call deleted the old row (so each move is counted once). */
async function rekey(t: Target, doc: Raw): Promise<boolean> {
  const newId = t.newId(doc);
  const id = backupId(t, newId);
  await insertIgnoringDuplicate(backups(), { _id: id, target: t.name, newId, doc });
  // The row as it is now (a projection may have written it since the copy was saved), then the delete. Not
  // findOneAndDelete: on FerretDB two callers can both get the document back; the deleted count is exact.
  const latest = await t.coll().findOne({ _id: doc._id });
  if (latest) await backups().updateOne({ _id: id } as Raw, { $set: { doc: latest } });
  const { deletedCount } = await t.coll().deleteOne({ _id: doc._id });
  await restore(t, id);
  return deletedCount === 1;
}

/** Inserts the saved copy under its new `_id` (or merges it into the row there), writes its keys, drops the copy. */
async function restore(t: Target, id: string): Promise<void> {
  const backup = await backups().findOne({ _id: id } as Raw);
  if (!backup) return; // another process finished this row
  const doc = backup.doc as Raw;
  const newId = backup.newId as string | Types.ObjectId;
  if (!(await insertIgnoringDuplicate(t.coll(), { ...doc, _id: newId }))) await t.merge(newId, doc);
  // The old row may still be there (a process between its copy and its delete): leave the copy for whoever ends it.
  if (!(await t.coll().findOne({ _id: newId } as Raw, { projection: { _id: 1 } }))) return;
  await t.keys(doc);
  await backups().deleteOne({ _id: id } as Raw);
}

async function inParallel<T>(items: T[], fn: (item: T) => Promise<boolean>): Promise<number> {
  let next = 0;
  let moved = 0;
  const lane = async () => {
    while (next < items.length) if (await fn(items[next++])) moved++;
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, lane));
  return moved;
}

/** Legacy rows by their old `_id` (one scan of each collection; each row is then read and moved by `_id`). */
async function legacyIds(t: Target): Promise<Types.ObjectId[]> {
  if (t.name !== 'tokens') {
    const rows = await t.coll().find({ _id: { $type: 'objectId' } } as Raw, { projection: { _id: 1 } }).toArray();
    return rows.map((r) => r._id as unknown).filter(isObjectId);
  }
  const rows = await t.coll().find({}, { projection: { _id: 1, tokenHash: 1 } }).toArray();
  return rows
    .filter((r) => isObjectId(r._id) && typeof r.tokenHash === 'string' && !tokenRowId(r.tokenHash).equals(r._id))
    .map((r) => r._id as Types.ObjectId);
}

/**
 * The key rows of rows already under their new `_id`: a previous-release process updates those rows by their
 * natural key (it may give a gate a new key, or a parking an area) without writing key rows. Idempotent upserts,
 * on the first run and on `--force`.
 */
async function writeKeysOfMoved(t: Target): Promise<void> {
  const rows = await t.coll().find({ _id: { $type: 'string' } } as Raw).toArray();
  await inParallel(rows, async (doc) => {
    await t.keys(doc);
    return false;
  });
}

async function moveAll(t: Target): Promise<number> {
  return inParallel(await legacyIds(t), async (oldId) => {
    const doc = await t.coll().findOne({ _id: oldId });
    return doc ? rekey(t, doc) : false; // moved by another process meanwhile
  });
}

export async function migrateDb(opts: { force?: boolean } = {}): Promise<MigrationResult> {
  const due = async (name: string) => opts.force === true || !(await MigrationModel.exists({ _id: name }));
  const [keysDue, ledgerDue, referenceDue] = [await due(KEYS_BY_ID), await due(LEDGER_BY_KEY), await due(REFERENCE_BY_ID)];
  if (!keysDue && !ledgerDue && !referenceDue) return { skipped: true, sessions: 0, tokens: 0, ledger: 0, parkings: 0, gates: 0, opsUsers: 0, restored: 0 };
  const left = await backups().find({}, { projection: { _id: 1, target: 1 } }).toArray();
  for (const b of left) {
    const t = TARGETS[b.target as keyof typeof TARGETS];
    if (t) await restore(t, String(b._id));
  }
  const result = {
    skipped: false,
    restored: left.length,
    sessions: keysDue ? await moveAll(sessions) : 0,
    tokens: keysDue ? await moveAll(tokens) : 0,
    ledger: ledgerDue ? await moveAll(ledger) : 0,
    parkings: referenceDue ? await moveAll(parkings) : 0,
    gates: referenceDue ? await moveAll(gates) : 0,
    opsUsers: referenceDue ? await moveAll(opsUsers) : 0,
  };
  if (referenceDue) for (const t of [parkings, gates, opsUsers]) await writeKeysOfMoved(t);
  for (const name of [KEYS_BY_ID, LEDGER_BY_KEY, REFERENCE_BY_ID]) {
    await MigrationModel.updateOne({ _id: name }, { $setOnInsert: { doneAt: new Date() } }, { upsert: true }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  }
  return result;
}

/**
 * A projection found no row under the new `_id` but could not insert one: a row written by a previous-release
 * process still holds the session id. Moves it (a scan, once per such row), so the projection can go on.
 */
export async function rekeyLegacySession(sessionId: number): Promise<boolean> {
  const doc = await sessions.coll().findOne({ sessionId, _id: { $type: 'objectId' } } as Raw);
  return doc ? rekey(sessions, doc) : false;
}

/** A ledger insert met a row a previous-release process wrote under this key: moves it to `_id` = key. */
export async function rekeyLegacyLedgerRow(idempotencyKey: string): Promise<boolean> {
  const doc = await ledger.coll().findOne({ idempotencyKey, _id: { $type: 'objectId' } } as Raw);
  return doc ? rekey(ledger, doc) : false;
}

/**
 * Before a write to a parking, gate or ops user missing under its new `_id`: moves a row a previous-release process
 * wrote in the old shape (a scan, on this write path only, never on a request's lookup), or finishes a move another
 * process left halfway (its saved copy). Afterwards the row, if it exists, is under its new `_id`.
 */
export async function moveLegacyReferenceRow(target: 'parkings' | 'gates' | 'opsUsers', key: { id: number } | { id: string } | { name: string }): Promise<void> {
  const t = TARGETS[target];
  const doc = await t.coll().findOne({ ...key, _id: { $type: 'objectId' } } as Raw);
  if (doc) {
    await rekey(t, doc);
    return;
  }
  const newId = 'name' in key ? key.name : typeof key.id === 'number' ? parkingRowId(key.id) : key.id;
  await restore(t, backupId(t, newId));
}
