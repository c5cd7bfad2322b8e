import { Schema, model } from 'mongoose';

/**
 * A session row's `_id`: its integer id as a string. Hot lookups go by `_id` only, the one lookup FerretDB's SQLite
 * backend answers from an index (and only for string or ObjectId values), so they cost the same at any table size.
 */
export const sessionRowId = (sessionId: number): string => String(sessionId);

/**
 * Read model of parking sessions, written by the workflow's projection activity (the workflow is the
 * truth). The API inserts the first row when it allocates the integer id the seed API uses (src/db/session-ids.ts).
 */
const sessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    sessionId: { type: Number, required: true, unique: true },
    driverId: { type: String, required: true },
    parkingId: { type: Number, required: true },
    kind: { type: String, required: true },
    state: { type: String, required: true },
    paymentStatus: { type: String, default: 'none' },
    plate: { type: String, default: null },
    amountGross: { type: String, default: null },
    currency: { type: String, default: null },
    version: { type: Number, default: 0 },
    /**
     * Rows written before key ids: the entrance key's access command, read only by the migration
     * (src/db/migrate.ts). New rows hold no command: it is derived from the view's key id, and stored only as the
     * SessionKey row a gate finds the session by.
     */
    entranceAccessCommand: { type: String },
    /** The Vipps agreement billing this session (written when its usage is handed to daily billing). */
    vippsAgreementId: { type: String, default: null },
    /** The full SessionView as last published. */
    view: { type: Schema.Types.Mixed, default: null },
  },
  { timestamps: true },
);
// List queries, newest first, each backed by an index on MongoDB (FerretDB reads them bounded by their limits).
sessionSchema.index({ driverId: 1, sessionId: -1 });
sessionSchema.index({ state: 1, sessionId: -1 });
sessionSchema.index({ parkingId: 1, sessionId: -1 });
sessionSchema.index({ plate: 1, sessionId: -1 });
sessionSchema.index({ 'view.attentionCode': 1, sessionId: -1 }, { sparse: true });
sessionSchema.index({ vippsAgreementId: 1 }, { sparse: true });

export const SessionModel = model('Session', sessionSchema);

/**
 * Access command → session: a gate presents a smart key's access command, and finds its session by `_id`. The API
 * writes the entrance key's entry with the session row; the projection adds the keys the workflow makes later.
 */
const sessionKeySchema = new Schema({ _id: { type: String, required: true }, sessionId: { type: Number, required: true } }, { timestamps: { createdAt: true, updatedAt: false } });
export const SessionKeyModel = model('SessionKey', sessionKeySchema);

/**
 * Start requests already answered: `_id` is `key:<driver>:<Idempotency-Key>` for an explicit key, or
 * `open:<driver>:<parking>[:<plate>]` for the driver's latest start at a parking (a second start while that session
 * is still `entering` returns it). `parkingId` lets a key reused for another parking be refused.
 */
const startRequestSchema = new Schema(
  { _id: { type: String, required: true }, sessionId: { type: Number, required: true }, parkingId: { type: Number, required: true } },
  { timestamps: true },
);
export const StartRequestModel = model('StartRequest', startRequestSchema);

/**
 * Claimed blocks of session ids (`session:<block>`, src/db/session-ids.ts) and the hint where the next free block
 * probably is (`session:next`, field `next`).
 */
const idBlockSchema = new Schema({ _id: { type: String, required: true }, next: { type: Number, default: null } }, { timestamps: { createdAt: true, updatedAt: false } });
export const IdBlockModel = model('IdBlock', idBlockSchema);

/** A driver's sessions in start order (`<driver>#<n>` → sessionId) and the next free slot (`<driver>#next`); src/db/driver-sessions.ts. */
const driverSlotSchema = new Schema({ _id: { type: String, required: true }, sessionId: { type: Number }, next: { type: Number } }, { versionKey: false });
export const DriverSlotModel = model('DriverSlot', driverSlotSchema);
