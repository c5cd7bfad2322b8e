/**
 * The product's three processes (provider sandbox, worker, API), each its own Node process exactly as
 * `npm run start:sandbox` / `start:worker` / `start:api` run them, against servers started elsewhere (the
 * production topology). Started in dependency order and awaited until each is ready.
 */
import path from 'node:path';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../workers/process-options';
import { ROOT, spawnServer, waitForPort, type LogTarget, type RunningServer } from './local-servers';

export const APP_ENTRY_POINTS = {
  sandbox: 'sandbox/main.ts',
  worker: 'workers/main.ts',
  api: 'src/main.ts',
} as const;
export type AppName = keyof typeof APP_ENTRY_POINTS;

export interface AppProcessesOptions {
  /** The app's environment (TEMPORAL_ADDRESS, MONGODB_URI, PORT, SANDBOX_PORT, ...), on top of process.env. */
  env: Record<string, string>;
  apiPort: number;
  sandboxPort: number;
  /** null: no sandbox process (production providers). */
  withSandbox: boolean;
  log: (app: AppName) => (line: string) => void;
  timeoutMs?: number;
}

/**
 * One Node process per entry point, with tsx as a loader (`node --import tsx`) rather than the tsx CLI: the CLI
 * is a parent process of its own, and a SIGKILL of it would orphan the app.
 */
function startApp(name: AppName, opts: AppProcessesOptions, onLine: (line: string) => void): RunningServer {
  const log: LogTarget = (line) => {
    onLine(line);
    opts.log(name)(line);
  };
  // The worker with its memory settings, as `npm run start:worker` starts it (workers/process-options.ts).
  const worker = name === 'worker';
  const args = [...(worker ? WORKER_NODE_FLAGS : []), '--import', 'tsx', path.join(ROOT, APP_ENTRY_POINTS[name])];
  return spawnServer(name, process.execPath, args, log, {
    // At least info: the readiness checks wait for the worker's "polling task queue" line (NODE_ENV=test means warn).
    env: { ...process.env, ...(worker ? WORKER_PROCESS_ENV : {}), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...opts.env },
    cwd: ROOT, // where `--import tsx` resolves from
  });
}

/** Resolves when a line matching `pattern` appears; rejects when the process exits first or time runs out. */
function lineWatcher(name: string, pattern: RegExp, timeoutMs: number) {
  let resolve: () => void = () => undefined;
  let reject: (err: Error) => void = () => undefined;
  const seen = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${timeoutMs} ms`)), timeoutMs);
  void seen.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return {
    seen,
    onLine: (line: string) => {
      if (pattern.test(line)) resolve();
    },
    exited: (code: number | null) => reject(new Error(`${name} exited with code ${code} during start-up`)),
  };
}

async function waitForReady(url: string, app: RunningServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (app.child.exitCode !== null) throw new Error(`${app.name} exited with code ${app.child.exitCode} during start-up`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startAppProcesses(opts: AppProcessesOptions): Promise<RunningServer[]> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const started: RunningServer[] = [];
  try {
    if (opts.withSandbox) {
      const sandbox = startApp('sandbox', opts, () => undefined);
      started.push(sandbox);
      await waitForPort(opts.sandboxPort, 'provider sandbox', timeoutMs, sandbox.child);
    }
    // workers/main.ts prints this line once its worker is built and about to poll.
    const polling = lineWatcher('worker', /polling task queue/, timeoutMs);
    const worker = startApp('worker', opts, polling.onLine);
    worker.child.once('exit', polling.exited);
    started.push(worker);
    await polling.seen;
    worker.child.off('exit', polling.exited);
    const api = startApp('api', opts, () => undefined);
    started.push(api);
    await waitForReady(`http://127.0.0.1:${opts.apiPort}/readyz`, api, timeoutMs);
    return started;
  } catch (err) {
    for (const app of started.reverse()) await app.stop();
    throw err;
  }
}
