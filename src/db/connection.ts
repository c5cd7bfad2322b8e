import mongoose from 'mongoose';
import { migrateDb } from './migrate';

// The classifiers live apart so migrate.ts can use them without importing this module back (an import cycle).
export { isDbUnavailable, isDuplicateKey } from './errors';

/**
 * One mongoose connection per process. Works on MongoDB and on FerretDB (no transactions are used).
 * `timeoutMs` bounds how long an operation waits for a reachable server, also while mongoose buffers
 * commands during a reconnect: a dead database fails requests within seconds instead of hanging them.
 * Every process (API, worker, tools) runs the idempotent migrations before it serves (src/db/migrate.ts): one
 * `_id` lookup once a database is migrated; safe when several processes start at once.
 */
export async function connectDb(uri: string, timeoutMs = 3000, opts: { migrate?: boolean } = {}): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  mongoose.set('bufferTimeoutMS', timeoutMs);
  await mongoose.connect(uri, { serverSelectionTimeoutMS: timeoutMs, autoIndex: true });
  await Promise.all(Object.values(mongoose.models).map((m) => m.init()));
  if (opts.migrate !== false) {
    const done = await migrateDb();
    if (done.sessions + done.tokens + done.ledger + done.parkings + done.gates + done.opsUsers + done.restored > 0) {
      console.log(
        `[db] migrated ${done.sessions} session rows, ${done.tokens} tokens, ${done.ledger} ledger rows, ${done.parkings} parkings, ` +
          `${done.gates} gates and ${done.opsUsers} ops users to _id keys (${done.restored} restored)`,
      );
    }
  }
  return mongoose;
}

export async function disconnectDb(): Promise<void> {
  await mongoose.disconnect();
}

export async function pingDb(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  try {
    await db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
