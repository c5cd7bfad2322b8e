import { NativeConnection, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config } from '../src/config';
import { clientInterceptors } from '../src/observability/temporal-interceptors';
import { graceTime } from '../src/observability/config';
import { createProviderClients, type ProviderClients } from '../src/providers/clients';
import { ensureDailyReconciliationSchedule } from '../src/temporal/schedules';
import { encryptingDataConverter } from '../src/codec/data-converter';
import { createWorker, type WorkerSizing } from './create-worker';

/** Every activity's dependencies from the configuration and the provider clients (worker and tests alike). */
export function activityDeps(config: Config, providers: ProviderClients, temporal: Client, taskQueue = config.TEMPORAL_TASK_QUEUE): ActivityDeps {
  return {
    cardProviders: providers.cardProviders,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    payLinkSecret: config.PAY_LINK_SECRET,
    accessCommandKey: config.ACCESS_COMMAND_KEY,
    autopay: providers.autopay,
    vippsBilling: {
      vipps: providers.vipps,
      billingTimeZone: config.VIPPS_BILLING_TIME_ZONE,
      retryDays: config.VIPPS_CHARGE_RETRY_DAYS,
      maxFailedChargeDays: config.VIPPS_MAX_FAILED_CHARGE_DAYS,
    },
    temporal,
    taskQueue,
  };
}

export const workerSizing = (config: Config): WorkerSizing => ({
  maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
  maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
});

/** Builds the worker with every activity wired to the real provider clients (sandbox URLs by default). */
export async function buildWorker(config: Config, opts: { schedules?: boolean } = {}): Promise<{ worker: Worker; temporal: Client; close: () => Promise<void> }> {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const dataConverter = encryptingDataConverter(config);
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, interceptors: clientInterceptors(), dataConverter });
  const providers = createProviderClients(config);
  const activities = createActivities(activityDeps(config, providers, temporal));
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    dataConverter,
    shutdownGraceTime: graceTime(config.WORKER_SHUTDOWN_GRACE_TIME),
    sizing: workerSizing(config),
    bundlePath: config.WORKFLOW_BUNDLE_PATH,
  });
  if (opts.schedules) await ensureDailyReconciliationSchedule(temporal, config.TEMPORAL_TASK_QUEUE);
  return {
    worker,
    temporal,
    close: async () => {
      await connection.close();
      await clientConnection.close();
    },
  };
}
