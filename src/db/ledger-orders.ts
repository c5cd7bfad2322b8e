import { isDuplicateKey } from './connection';
import { LedgerModel, LedgerOrderSlotModel } from './models';

/**
 * A card order's ledger rows by `_id` only, so settlement costs the same at any ledger size on FerretDB (which
 * answers nothing but `_id` equality from an index). Each row naming the order takes the next slot `<orderId>#<n>`
 * by a unique insert, like a driver's list (src/db/driver-sessions.ts). The row is written before its slot; a retry
 * of the write (a duplicate) writes the slot again, so a crash in between is healed by the activity's retry.
 */
const MAX_SLOTS = 100;
const slotId = (orderId: string, n: number) => `${orderId}#${n}`;

/** Lists the ledger row `key` under its order (idempotent: a key already listed is not listed again). */
export async function recordOrderRow(orderId: string, key: string): Promise<void> {
  for (let n = 1; n <= MAX_SLOTS; ) {
    const slot = await LedgerOrderSlotModel.findById(slotId(orderId, n)).lean();
    if (slot?.key === key) return;
    if (slot) {
      n++;
      continue;
    }
    try {
      await LedgerOrderSlotModel.create({ _id: slotId(orderId, n), key });
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // taken just now: read it again (it may be this key's)
    }
  }
  throw new Error(`order ${orderId} has more than ${MAX_SLOTS} ledger rows`);
}

/** The ledger rows of one order (in booking order), each read by `_id`. */
export async function ledgerRowsOfOrder(orderId: string) {
  const keys: string[] = [];
  for (let n = 1; n <= MAX_SLOTS; n++) {
    const slot = await LedgerOrderSlotModel.findById(slotId(orderId, n)).lean();
    if (!slot) break;
    if (!keys.includes(slot.key)) keys.push(slot.key);
  }
  const rows = await Promise.all(keys.map((key) => LedgerModel.findById(key).lean()));
  return rows.filter((row) => row !== null);
}
