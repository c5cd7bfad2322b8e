/**
 * For time-skipping workflow tests: the provider sandboxes on loopback, real provider clients pointed at them,
 * and a worker with every activity, on the test environment's server.
 */
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../src/config';
import { seedDemoData } from '../../src/db/seed';
import { freePort } from '../../src/platform/local-servers';
import { createProviderClients } from '../../src/providers/clients';
import { createSandboxApp } from '../../sandbox/app';
import { createWorker } from '../../workers/create-worker';
import { activityDeps } from '../../workers/run-worker';
import { connectTestDb, dropTestDb } from './db';
import { createTimeSkippingEnv } from './time-skipping';
import { testDataConverter } from './data-converter';

export interface WorkflowWorld {
  env: TestWorkflowEnvironment;
  config: Config;
  sandbox: ReturnType<typeof createSandboxApp>;
  sandboxUrl: string;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startWorkflowWorld(name: string): Promise<WorkflowWorld> {
  await connectTestDb(name);
  const sandboxPort = await freePort();
  const taskQueue = `wf-${name}`;
  // The API is not running in workflow tests: callbacks from the sandboxes go nowhere (port 9 discards).
  const config = loadConfig({ SANDBOX_PORT: String(sandboxPort), PORT: '9', TEMPORAL_TASK_QUEUE: taskQueue });
  await seedDemoData(config);
  const sandbox = createSandboxApp(config);
  const server: Server = await new Promise((resolve) => {
    const s = sandbox.app.listen(sandboxPort, '127.0.0.1', () => resolve(s));
  });
  const env = await createTimeSkippingEnv();
  const providers = createProviderClients(config);
  const worker: Worker = await createWorker({
    dataConverter: testDataConverter,
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities: createActivities(activityDeps(config, providers, env.client, taskQueue)),
  });
  const running = worker.run();
  return {
    env,
    config,
    sandbox,
    sandboxUrl: config.SANDBOX_BASE_URL,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      sandbox.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dropTestDb();
    },
  };
}
