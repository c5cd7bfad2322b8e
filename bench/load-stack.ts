/**
 * The product for `npm run bench:load`, in this process as tools/export-histories.ts and test/helpers/stack.ts run
 * it: sandboxes, the session worker, the API, plus the no-op worker on its own task queue. Temporal and the database
 * are TEMPORAL_ADDRESS / MONGODB_URI when set, else a throw-away dev server and FerretDB on free ports.
 */
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { startApi } from '../src/api/server';
import { loadConfig, type Config } from '../src/config';
import { connectDb, disconnectDb } from '../src/db/connection';
import { seedDemoData } from '../src/db/seed';
import { freePort, startFerretDb, startTemporalDev, type RunningServer } from '../src/platform/local-servers';
import { createSandboxApp } from '../sandbox/app';
import { buildWorker } from '../workers/run-worker';

export const NOOP_TASK_QUEUE = 'bench-noop';

export interface LoadStack {
  config: Config;
  temporal: Client;
  /** Where the worker runs (this process): its RSS is what the open-session measure reads. */
  stop(): Promise<void>;
}

export async function startLoadStack(): Promise<LoadStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const servers: RunningServer[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
  const stop = async () => {
    for (const cleanup of cleanups) await cleanup().catch((err) => console.error('[bench:load] cleanup:', err));
    for (const server of servers.reverse()) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let mongoUri = process.env.MONGODB_URI;
    if (!mongoUri) {
      const port = await freePort();
      servers.push(await startFerretDb({ port, dataDir }));
      mongoUri = `mongodb://127.0.0.1:${port}/bench_load`;
    }
    if (!temporalAddress) {
      const port = await freePort();
      servers.push(await startTemporalDev({ port, uiPort: null, dbFile: null }));
      temporalAddress = `127.0.0.1:${port}`;
    }
    const [apiPort, sandboxPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
      TEMPORAL_ADDRESS: temporalAddress,
      MONGODB_URI: mongoUri,
      TEMPORAL_TASK_QUEUE: `bench-load-${process.pid}`,
      // One demo driver pays every session: the per-client pay-page limits would measure themselves.
      RATE_LIMIT_PAY_PER_MINUTE: '1000000',
      RATE_LIMIT_RESULT_PER_MINUTE: '1000000',
    });
    await connectDb(config.MONGODB_URI);
    cleanups.unshift(() => disconnectDb());
    await seedDemoData(config);

    const sandbox = createSandboxApp(config, () => undefined);
    const sandboxServer: Server = await new Promise((resolve) => {
      const s = sandbox.app.listen(sandboxPort, '127.0.0.1', () => resolve(s));
    });
    cleanups.unshift(async () => {
      sandbox.close();
      sandboxServer.closeAllConnections();
      await new Promise((resolve) => sandboxServer.close(resolve));
    });

    const { worker, close } = await buildWorker(config);
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await close();
    });

    const noopConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const noopWorker = await Worker.create({
      connection: noopConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: NOOP_TASK_QUEUE,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./noop-workflow'), logger: quiet }),
      activities: { noop: async () => undefined },
    });
    const noopRunning = noopWorker.run();
    cleanups.unshift(async () => {
      noopWorker.shutdown();
      await noopRunning.catch(() => undefined);
      await noopConnection.close();
    });

    const api = await startApi(config);
    cleanups.unshift(() => api.close());
    const temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
    cleanups.unshift(() => temporal.connection.close());
    return { config, temporal, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
