import { LedgerModel } from '../src/db/models';
import { isDuplicateKey } from '../src/db/connection';
import { toAmountString } from '../src/domain/money';
import { countLedgerEntry } from '../src/observability/business-events';
import type { LedgerEntryInput, SessionActivities } from './contracts';
import { ledgerDay } from './ledger-day';
import { applyVippsBillingOutcome } from './vipps-session-outcome';

/** Inserts once per idempotency key; a duplicate (retry, repeated callback) is a no-op. */
export async function recordLedgerEntry(entry: LedgerEntryInput & { fee?: string }): Promise<void> {
  const occurredAt = new Date(entry.occurredAt);
  const { timeZone: _zone, ...row } = entry;
  const day = await ledgerDay(entry, occurredAt);
  try {
    await LedgerModel.create({
      ...row,
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
  }
  // After the row, also for a duplicate: a retried activity whose first try wrote the row still updates the sessions.
  await applyVippsBillingOutcome(entry);
}

export function createLedgerActivities(): Pick<SessionActivities, 'recordLedgerEntry'> {
  return { recordLedgerEntry };
}
