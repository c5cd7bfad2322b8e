import { isDuplicateKey } from './errors';
import { DriverSlotModel, SessionModel, sessionRowId } from './models';

/**
 * A driver's sessions, newest first, read by `_id` only, so the app's list costs the same however many rows the
 * table holds, on FerretDB (which pushes down nothing but `_id` equality) as on MongoDB. Each session of a driver
 * takes the next slot `<driver>#<n>` (n = 1, 2, …) by a unique insert, like session id blocks; `<driver>#next`
 * hints at the next free slot (a stale hint costs a probe, never a lost or shared slot). The newest sessions are
 * the highest slots: the list reads that `_id` range one `_id` at a time.
 */
const MAX_SLOT_TRIES = 1000;
const slotId = (driverId: string, n: number) => `${driverId}#${n}`;
const hintId = (driverId: string) => `${driverId}#next`;

/** Gives a new session of the driver its slot (called once per session; a repeat only adds a duplicate slot). */
export async function recordDriverSession(driverId: string, sessionId: number): Promise<void> {
  let n = (await DriverSlotModel.findById(hintId(driverId)).lean())?.next ?? 1;
  for (let tries = 0; ; tries++, n++) {
    if (tries >= MAX_SLOT_TRIES) throw new Error(`no free list slot for driver ${driverId} after ${MAX_SLOT_TRIES} tries`);
    try {
      await DriverSlotModel.create({ _id: slotId(driverId, n), sessionId });
      break;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  await DriverSlotModel.updateOne({ _id: hintId(driverId), next: { $lt: n + 1 } }, { $set: { next: n + 1 } }, { upsert: true }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err; // the hint is already further on
  });
}

/** The highest slot in use: from the hint, then forward while slots exist (the hint may lag behind). */
async function topSlot(driverId: string): Promise<number> {
  let n = ((await DriverSlotModel.findById(hintId(driverId)).lean())?.next ?? 1) - 1;
  while (await DriverSlotModel.exists({ _id: slotId(driverId, n + 1) })) n++;
  return n;
}

/** The views of the driver's newest `limit` sessions that have one, newest first. */
export async function driverSessionRows(driverId: string, limit: number) {
  const top = await topSlot(driverId);
  const slots = Array.from({ length: Math.min(limit, top) }, (_, k) => top - k);
  const ids = await Promise.all(slots.map(async (n) => (await DriverSlotModel.findById(slotId(driverId, n)).lean())?.sessionId));
  const unique = [...new Set(ids.filter((id): id is number => typeof id === 'number'))];
  const rows = await Promise.all(unique.map((id) => SessionModel.findById(sessionRowId(id)).lean()));
  // Slots are in start order; sessions moved by the migration took theirs in no particular order.
  return rows.filter((row) => row !== null && row.driverId === driverId && row.view !== null).sort((a, b) => b!.sessionId - a!.sessionId) as Array<
    NonNullable<(typeof rows)[number]>
  >;
}
