import { LedgerModel } from '../src/db/models';
import { isDuplicateKey } from '../src/db/connection';
import { recordOrderRow } from '../src/db/ledger-orders';
import { rekeyLegacyLedgerRow } from '../src/db/migrate';
import { toAmountString } from '../src/domain/money';
import { countLedgerEntry } from '../src/observability/business-events';
import type { LedgerEntryInput, SessionActivities } from './contracts';
import { ledgerDay } from './ledger-day';
import { applyVippsBillingOutcome } from './vipps-session-outcome';

/**
 * Inserts once per idempotency key, the row's `_id`; a duplicate (retry, repeated callback) fails the insert and
 * writes nothing.
 */
export async function recordLedgerEntry(entry: LedgerEntryInput & { fee?: string }): Promise<void> {
  const occurredAt = new Date(entry.occurredAt);
  const { timeZone: _zone, ...row } = entry;
  const day = await ledgerDay(entry, occurredAt);
  try {
    await LedgerModel.create({
      ...row,
      _id: entry.idempotencyKey,
      gross: toAmountString(entry.gross),
      net: toAmountString(entry.net),
      vat: toAmountString(entry.vat),
      fee: toAmountString(entry.fee ?? '0'),
      occurredAt,
      day,
      providerRefs: entry.providerRefs ?? {},
      note: entry.note ?? null,
    });
    countLedgerEntry(entry);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // The key is held by a row a previous-release process wrote (ObjectId `_id`): move it, so lookups by `_id` find it.
    if (!(await LedgerModel.exists({ _id: entry.idempotencyKey }))) await rekeyLegacyLedgerRow(entry.idempotencyKey);
  }
  // After the row, also for a duplicate: a crash between the two is healed by the retry.
  const orderId = entry.providerRefs?.orderId;
  if (typeof orderId === 'string') await recordOrderRow(orderId, entry.idempotencyKey);
  // After the row, also for a duplicate: a retried activity whose first try wrote the row still updates the sessions.
  await applyVippsBillingOutcome(entry);
}

export function createLedgerActivities(): Pick<SessionActivities, 'recordLedgerEntry'> {
  return { recordLedgerEntry };
}
