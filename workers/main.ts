// The worker process: runs the workflows and activities on the task queue.
import { loadConfig } from '../src/config';
import { connectDb } from '../src/db/connection';
import { buildWorker } from './run-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  const { worker, close } = await buildWorker(config, { schedules: true });
  console.log(
    `[worker] polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} ` +
      `(cache ${config.WORKER_MAX_CACHED_WORKFLOWS} workflows, ${config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS} workflow tasks, ` +
      `${config.WORKER_MAX_CONCURRENT_ACTIVITIES} activities, ${config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES} local activities at once)`,
  );
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK's default shutdown signals)
  await close();
  process.exit(0);
}

main().catch((err) => {
  console.error('[worker] fatal:', err);
  process.exit(1);
});
