// The API process: HTTP → signals, updates and queries.
import { loadConfig } from './config';
import { connectDb } from './db/connection';
import { startApi } from './api/server';

async function main(): Promise<void> {
  const config = loadConfig();
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  const api = await startApi(config);
  console.log(`[api] listening on ${api.url} (public base URL ${config.PUBLIC_BASE_URL})`);
  const stop = async () => {
    await api.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error('[api] fatal:', err);
  process.exit(1);
});
