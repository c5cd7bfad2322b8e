// The worker process: runs the workflows and activities on the task queue.
import '../src/observability/bootstrap';
import { loadConfig } from '../src/config';
import { connectDb } from '../src/db/connection';
import { componentLogger } from '../src/observability/logger';
import { installTemporalRuntime } from '../src/observability/temporal-runtime';
import { startWorkerHealthServer } from '../src/observability/worker-health';
import { tracing } from '../src/observability/tracing';
import { buildWorker, workerSizing } from './run-worker';

const log = componentLogger('worker');

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime({ metricsPort: config.WORKER_METRICS_PORT });
  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  const { worker, temporal, close } = await buildWorker(config, { schedules: true });
  const health = config.WORKER_HEALTH_PORT > 0 ? await startWorkerHealthServer({ port: config.WORKER_HEALTH_PORT, worker, temporal }) : null;
  log.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      healthPort: health?.port ?? null,
      sdkMetricsPort: config.WORKER_METRICS_PORT || null,
      sizing: workerSizing(config),
    },
    `[worker] polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS}`,
  );
  // Returns after SIGINT/SIGTERM (the SDK's default shutdown signals), once in-flight activities drained or the
  // shutdown grace time (WORKER_SHUTDOWN_GRACE_TIME) ran out.
  await worker.run();
  await health?.close();
  await close();
  await tracing()?.shutdown();
  process.exit(0);
}

main().catch((err) => {
  log.fatal({ err }, '[worker] fatal');
  process.exit(1);
});
