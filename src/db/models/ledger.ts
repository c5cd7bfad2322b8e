import { Schema, model } from 'mongoose';

/**
 * One row per money movement or attempt, from every source and provider. Amounts are exact decimal
 * strings. `_id` is the idempotency key (FerretDB answers only `_id` lookups from an index): a duplicate callback or
 * a retried activity fails the insert on `_id` and writes nothing. Rows from before are re-keyed by src/db/migrate.ts;
 * the unique `idempotencyKey` index stays, so a previous-release process writing ObjectId rows still books once.
 */
const ledgerSchema = new Schema(
  {
    _id: { type: String, required: true },
    idempotencyKey: { type: String, required: true, unique: true },
    kind: { type: String, required: true },
    source: { type: String, required: true },
    provider: { type: String, required: true },
    sessionId: { type: String, default: null },
    gross: { type: String, required: true },
    net: { type: String, required: true },
    vat: { type: String, required: true },
    fee: { type: String, default: '0.00' },
    currency: { type: String, required: true },
    occurredAt: { type: Date, required: true },
    /** Calendar day of occurredAt in the parking's zone (activities/ledger-day.ts), for the daily report. */
    day: { type: String, required: true },
    providerRefs: { type: Schema.Types.Mixed, default: {} },
    note: { type: String, default: null },
  },
  { timestamps: true },
);
ledgerSchema.index({ day: 1 });
// The daily report read in a zone the request names (src/api/routes/reports.ts time_zone).
ledgerSchema.index({ occurredAt: 1 });
ledgerSchema.index({ sessionId: 1 });
// Settlement and reconciliation find a card attempt's rows by its order id.
ledgerSchema.index({ 'providerRefs.orderId': 1 }, { sparse: true });

export const LedgerModel = model('LedgerEntry', ledgerSchema);

/**
 * Order id → its ledger rows, without a scan: `_id` = `<orderId>#<n>` (n = 1, 2, …), `key` = a row's `_id`. An order has
 * a handful of rows (attempt, capture, refunds), read by probing slots by `_id` (src/db/ledger-orders.ts).
 */
const ledgerOrderSlotSchema = new Schema({ _id: { type: String, required: true }, key: { type: String, required: true } }, { versionKey: false });
export const LedgerOrderSlotModel = model('LedgerOrderSlot', ledgerOrderSlotSchema);
