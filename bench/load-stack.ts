/**
 * The product for `npm run bench:load`, in this process (tools/in-process-stack.ts): sandboxes, the session
 * worker, the API, plus the no-op worker on its own task queue. Temporal and the database are TEMPORAL_ADDRESS /
 * MONGODB_URI when set, else a throw-away dev server and FerretDB on free ports.
 */
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../src/config';
import { startLocalStack } from '../tools/in-process-stack';
import type { Processes } from './proc-stats';

export const NOOP_TASK_QUEUE = 'bench-noop';

export interface LoadStack {
  config: Config;
  temporal: Client;
  /** Whose CPU time a run is charged to: this process (API, worker, sandboxes, the bench's own clients) and the servers. */
  processes: Processes;
  stop(): Promise<void>;
}

export async function startLoadStack(): Promise<LoadStack> {
  const stack = await startLocalStack({
    label: 'bench-load',
    database: 'bench_load',
    temporalAddress: process.env.TEMPORAL_ADDRESS,
    mongoUri: process.env.MONGODB_URI,
    env: {
      TEMPORAL_TASK_QUEUE: `bench-load-${process.pid}`,
      // One demo driver pays every session: the per-client pay-page limits would measure themselves.
      RATE_LIMIT_PAY_PER_MINUTE: '1000000',
      RATE_LIMIT_RESULT_PER_MINUTE: '1000000',
    },
  });
  const { config, temporal } = stack;
  try {
    const noopConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    stack.teardown.add(() => noopConnection.close());
    const noopWorker = await Worker.create({
      connection: noopConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: NOOP_TASK_QUEUE,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./noop-workflow'), logger: quiet }),
      activities: { noop: async () => undefined },
    });
    const noopRunning = noopWorker.run();
    stack.teardown.add(async () => {
      noopWorker.shutdown();
      await noopRunning.catch(() => undefined);
    });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const processes: Processes = { temporal: stack.pids.temporal, ferretdb: stack.pids.ferretdb, bench: process.pid };
  return { config, temporal, processes, stop: stack.stop };
}

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
