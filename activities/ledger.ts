import { LedgerModel } from '../src/db/models';
import { isDuplicateKey } from '../src/db/connection';
import { toAmountString } from '../src/domain/money';
import { countLedgerEntry } from '../src/observability/business-events';
import type { LedgerEntryInput, SessionActivities } from './contracts';

/** Inserts once per idempotency key; a duplicate (retry, repeated callback) is a no-op. */
export async function recordLedgerEntry(entry: LedgerEntryInput & { fee?: string }): Promise<void> {
  const occurredAt = new Date(entry.occurredAt);
  try {
    await LedgerModel.create({
      ...entry,
      gross: toAmountString(entry.gross),
      net: toAmountString(entry.net),
      vat: toAmountString(entry.vat),
      fee: toAmountString(entry.fee ?? '0'),
      occurredAt,
      day: occurredAt.toISOString().slice(0, 10),
      providerRefs: entry.providerRefs ?? {},
      note: entry.note ?? null,
    });
    countLedgerEntry(entry);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export function createLedgerActivities(): Pick<SessionActivities, 'recordLedgerEntry'> {
  return { recordLedgerEntry };
}
