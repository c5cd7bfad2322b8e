// The API process: HTTP → signals, updates and queries.
import './observability/bootstrap';
import { loadConfig } from './config';
import { connectDb } from './db/connection';
import { startApi } from './api/server';
import { componentLogger } from './observability/logger';
import { startOpsServer } from './observability/ops-server';
import { tracing } from './observability/tracing';

const log = componentLogger('api');

async function main(): Promise<void> {
  const config = loadConfig();
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  const api = await startApi(config);
  const metrics = config.API_METRICS_PORT > 0 ? await startOpsServer({ port: config.API_METRICS_PORT }) : null;
  log.info({ url: api.url, publicBaseUrl: config.PUBLIC_BASE_URL, metricsPort: metrics?.port ?? null }, `[api] listening on ${api.url}`);
  const stop = async () => {
    await api.close();
    await metrics?.close();
    await tracing()?.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  log.fatal({ err }, '[api] fatal');
  process.exit(1);
});
