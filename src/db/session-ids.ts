import { isDuplicateKey } from './connection';
import { IdBlockModel, SessionModel } from './models';

/**
 * Integer session ids without scans, counters or transactions. FerretDB has no transactions and its updates are
 * read-modify-write without a lock (a `$inc` or compare-and-set can hand one value to two callers), but an insert
 * with a taken `_id` always fails with E11000. So each process claims a block of ids by inserting `session:<block>`
 * and hands the block out from memory: concurrent starts in one process never contend, and processes contend only
 * once per block. A hint document says where the next free block probably is; it is only a hint (a lost update
 * costs one more insert), the inserts decide.
 */
export const SESSION_ID_BLOCK = 100;
const HINT = 'session:next';
const MAX_BLOCK_TRIES = 1000;

let current = { next: 0, end: 0 };
let claiming: Promise<void> | null = null;

/** The next id of this process's block; claims a new block when the block is used up. */
export async function nextSessionId(): Promise<number> {
  for (;;) {
    if (current.next < current.end) return current.next++;
    claiming ??= claimBlock()
      .then((block) => {
        current = { next: Math.max(block * SESSION_ID_BLOCK, 1), end: (block + 1) * SESSION_ID_BLOCK };
      })
      .finally(() => {
        claiming = null;
      });
    await claiming;
  }
}

async function claimBlock(): Promise<number> {
  const hint = await IdBlockModel.findById(HINT).lean();
  let block = hint?.next ?? (await firstBlock());
  for (let tries = 0; ; tries++, block++) {
    if (tries >= MAX_BLOCK_TRIES) throw new Error(`no free block of session ids after ${MAX_BLOCK_TRIES} tries from block ${block - tries}`);
    try {
      await IdBlockModel.create({ _id: `session:${block}` });
      break;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  await moveHint(block + 1);
  return block;
}

/** Moves the hint forward (never back on MongoDB; on FerretDB a race may move it back, which costs retries only). */
async function moveHint(next: number): Promise<void> {
  try {
    await IdBlockModel.updateOne({ _id: HINT, next: { $lt: next } }, { $set: { next } }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // the hint is already further on
  }
}

/** A database without a hint: start after the highest id in use (one lookup, once per database). */
async function firstBlock(): Promise<number> {
  const last = await SessionModel.findOne({}, { sessionId: 1 }).sort({ sessionId: -1 }).lean();
  return Math.floor((last?.sessionId ?? 0) / SESSION_ID_BLOCK) + 1;
}

/**
 * Ids from `first` on (rounded up to a block): test files sharing one Temporal server each start in a range of
 * their own so parking-session-<id> workflow ids never collide. Also forgets this process's current block.
 */
export async function startSessionIdsAt(first: number): Promise<void> {
  current = { next: 0, end: 0 };
  await moveHint(Math.ceil(first / SESSION_ID_BLOCK));
}
