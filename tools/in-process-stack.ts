/**
 * The product in one process, for the tools that drive it from outside: provider sandboxes, a session worker, the
 * API and a Temporal client. tools/export-histories.ts and bench/load-stack.ts run it on throw-away servers
 * (startLocalStack); test/helpers/stack.ts runs the product part on the servers of the jest global setup.
 * `npm start` (src/dev.ts) and the production topology run the parts as their own processes instead.
 */
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { startApi } from '../src/api/server';
import { loadConfig, type Config } from '../src/config';
import { connectDb, disconnectDb } from '../src/db/connection';
import { seedDemoData } from '../src/db/seed';
import { createSandboxApp } from '../sandbox/app';
import { buildWorker } from '../workers/run-worker';
import { freePort, startFerretDb, startTemporalDev, type RunningServer } from '../src/platform/local-servers';

export type SandboxApp = ReturnType<typeof createSandboxApp>;
export type SandboxOptions = Parameters<typeof createSandboxApp>[2];

/** What was started, stopped in the reverse order; a failing step does not keep the others from stopping. */
export class Teardown {
  private readonly steps: (() => Promise<unknown>)[] = [];

  constructor(private readonly label: string) {}

  add(step: () => Promise<unknown>): void {
    this.steps.unshift(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0)) await step().catch((err) => console.error(`[${this.label}] stop:`, err));
  }
}

export interface ProductInProcess {
  sandbox: SandboxApp;
  /** A client of the product's namespace, with the data converter asked for (none: plain JSON payloads). */
  temporal: Client;
  stop(): Promise<void>;
}

/** Sandboxes on SANDBOX_PORT, the worker on TEMPORAL_TASK_QUEUE, the API on PORT. The database must be connected. */
export async function startProductInProcess(
  config: Config,
  opts: { label?: string; sandboxOptions?: SandboxOptions; dataConverter?: DataConverter } = {},
): Promise<ProductInProcess> {
  const teardown = new Teardown(opts.label ?? 'in-process');
  try {
    const sandbox = createSandboxApp(config, () => undefined, opts.sandboxOptions);
    const sandboxServer: Server = await new Promise((resolve) => {
      const s = sandbox.app.listen(config.SANDBOX_PORT, '127.0.0.1', () => resolve(s));
    });
    teardown.add(async () => {
      sandbox.close();
      sandboxServer.closeAllConnections();
      await new Promise((resolve) => sandboxServer.close(resolve));
    });

    const { worker, close: closeWorker } = await buildWorker(config);
    const running = worker.run();
    teardown.add(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await closeWorker();
    });

    const api = await startApi(config);
    teardown.add(() => api.close());

    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    teardown.add(() => connection.close());
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: opts.dataConverter });
    return { sandbox, temporal, stop: () => teardown.run() };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

export interface LocalStackOptions {
  /** Names the temporary directory and the log lines. */
  label: string;
  /** The database on the throw-away FerretDB. */
  database: string;
  /** An existing Temporal server to use instead of a throw-away dev server. */
  temporalAddress?: string;
  /** An existing database to use instead of a throw-away FerretDB. */
  mongoUri?: string;
  /** Settings on top of the ports and addresses found here (task queue, limits). */
  env?: Record<string, string>;
  dataConverter?: (config: Config) => DataConverter;
}

export interface LocalStack extends ProductInProcess {
  config: Config;
  /** Runs on stop before anything of the stack stops (e.g. a worker the caller added). */
  teardown: Teardown;
  /** Process ids of the servers started here (null: given by address); the bench reads their CPU time. */
  pids: { temporal: number | null; ferretdb: number | null };
}

/** Temporal and FerretDB on free ports (unless given), the demo data seeded, and the product in this process. */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const teardown = new Teardown(opts.label);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${opts.label}-`));
  teardown.add(async () => rmSync(dataDir, { recursive: true, force: true }));
  const pids: LocalStack['pids'] = { temporal: null, ferretdb: null };
  const serve = (server: RunningServer) => {
    teardown.add(() => server.stop());
    return server.child.pid ?? null;
  };
  try {
    let mongoUri = opts.mongoUri;
    if (!mongoUri) {
      const port = await freePort();
      pids.ferretdb = serve(await startFerretDb({ port, dataDir }));
      mongoUri = `mongodb://127.0.0.1:${port}/${opts.database}`;
    }
    let temporalAddress = opts.temporalAddress;
    if (!temporalAddress) {
      const port = await freePort();
      pids.temporal = serve(await startTemporalDev({ port, uiPort: null, dbFile: null }));
      temporalAddress = `127.0.0.1:${port}`;
    }
    const [apiPort, sandboxPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
      TEMPORAL_ADDRESS: temporalAddress,
      MONGODB_URI: mongoUri,
      ...opts.env,
    });
    await connectDb(config.MONGODB_URI);
    teardown.add(() => disconnectDb());
    await seedDemoData(config);
    const product = await startProductInProcess(config, { label: opts.label, dataConverter: opts.dataConverter?.(config) });
    teardown.add(() => product.stop());
    return { ...product, config, teardown, pids, stop: () => teardown.run() };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
