/**
 * `npm run migrate [-- --force]`: runs the database migrations (src/db/migrate.ts) and prints what it moved. Every
 * API and worker process runs them on connect anyway; this is for running them ahead of a deploy, or again with
 * --force after a previous-release process wrote rows in the old shape.
 */
import { loadConfig } from '../config';
import { connectDb, disconnectDb } from './connection';
import { migrateDb } from './migrate';

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--force');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; usage: migrate [--force]`);
  const config = loadConfig();
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS, { migrate: false });
  try {
    const result = await migrateDb({ force: args.includes('--force') });
    console.log(JSON.stringify({ migrate: result }));
  } finally {
    await disconnectDb();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`[migrate] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
