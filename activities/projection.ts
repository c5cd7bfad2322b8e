import { SessionKeyModel, SessionModel, sessionRowId } from '../src/db/models';
import { isDuplicateKey } from '../src/db/connection';
import { recordDriverSession } from '../src/db/driver-sessions';
import { rekeyLegacySession } from '../src/db/migrate';
import { accessCommandOf } from '../src/security/access-command';
import type { SessionView, SmartKeyView } from '../workflows/messages';
import type { SessionActivities } from './contracts';

/**
 * Keeps the session read model in step with the workflow. Projections may arrive out of order (retries);
 * the version guard keeps the newest.
 */

/**
 * How many recorded access commands a worker process remembers. A session projects 7 times or so and its keys
 * rarely change, so without this every projection re-wrote its one or two key rows (10 writes per card-paid session,
 * a sixth of its database commands). Forgetting only costs one more idempotent upsert.
 */
const REMEMBERED_KEYS = 20_000;

/** Smart keys the gates may present, before the view that shows them is stored (a gate may be quick). */
async function recordKeys(sessionId: number, commands: Array<string | null>, recorded: Set<string>): Promise<void> {
  for (const command of commands) {
    if (!command || recorded.has(command)) continue;
    try {
      await SessionKeyModel.updateOne({ _id: command }, { $setOnInsert: { sessionId } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // recorded by a concurrent projection
    }
    // A Set iterates in insertion order: the oldest entry goes first.
    if (recorded.size >= REMEMBERED_KEYS) recorded.delete(recorded.values().next().value!);
    recorded.add(command);
  }
}

/** `accessCommandKey`: ACCESS_COMMAND_KEY, to write the gate's lookup of keys that hold only an id. */
export function createProjectionActivities(accessCommandKey: string): Pick<SessionActivities, 'projectSession'> {
  const commandOf = (view: SessionView, key: SmartKeyView | null | undefined) => (key ? accessCommandOf(accessCommandKey, view.sessionId, key) : null);
  const recorded = new Set<string>();
  return {
    async projectSession(view) {
      const fields = {
        driverId: view.driverId,
        parkingId: view.parkingId,
        kind: view.kind,
        state: view.state,
        paymentStatus: view.paymentStatus,
        plate: view.plate,
        amountGross: view.amount?.gross ?? null,
        currency: view.amount?.currency ?? null,
        version: view.version,
        view,
      };
      // The lookup rows are the only stored form of a derived command: the view holds key ids.
      await recordKeys(view.sessionId, [commandOf(view, view.entranceKey), commandOf(view, view.exitKey)], recorded);
      // By `_id`: the one lookup that is indexed on FerretDB as well as on MongoDB.
      const _id = sessionRowId(view.sessionId);
      const res = await SessionModel.updateOne({ _id, version: { $lt: view.version } }, { $set: fields });
      if (res.matchedCount > 0) return;
      try {
        await SessionModel.create({ _id, sessionId: view.sessionId, ...fields });
        // A session the API did not allocate (its first row is this one) joins the driver's list here.
        await recordDriverSession(view.driverId, view.sessionId);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Usually the row exists with a newer version: nothing to do. Without a row under `_id`, a row from before
        // `_id` keys holds the session id: move it, then project again (an activity retry would do the same).
        if (await SessionModel.exists({ _id })) return;
        await rekeyLegacySession(view.sessionId);
        await SessionModel.updateOne({ _id, version: { $lt: view.version } }, { $set: fields });
      }
    },
  };
}
