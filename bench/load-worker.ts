/**
 * The product's worker process (workers/main.ts) as a child of `npm run bench:load`, polling a task queue of its
 * own: what its RSS says is the worker's alone, not the API's, the sandboxes' or the bench's. Node runs tsx as a
 * loader (`node --import tsx`), so the child's pid is the worker's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../src/config';
import { freePort, ROOT } from '../src/platform/local-servers';
import { DAILY_RECONCILIATION_SCHEDULE_ID } from '../src/temporal/schedules';
import { workerSizing } from '../workers/run-worker';
import { workflowBundle, type WorkerSizing } from '../workers/create-worker';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../workers/process-options';

export interface BenchWorker {
  pid: number;
  taskQueue: string;
  sizing: WorkerSizing;
  /** How often each warning or error message came from the worker so far (its log lines, by `msg`). */
  logCounts: Record<string, number>;
  stop(): Promise<void>;
}

/** Said once per session under load (a slow read model): counted, not echoed 10,000 times. */
const COUNTED_ONLY = /session projection failed|Task not found when completing|Workflow task duration exceeded/;

function messageOf(line: string): string {
  try {
    const msg = (JSON.parse(line) as { msg?: unknown }).msg;
    // Core's messages carry a run id up front ("[TMPRL1104] <run>:4:1 ..."): counted by what follows it.
    return typeof msg === 'string' ? msg.replace(/^\[(\w+)\] \S+ /, '[$1] ') : line;
  } catch {
    return line;
  }
}

const READY_TIMEOUT_MS = 180_000;

/**
 * The child's environment: the stack's servers and ports, a dedicated task queue, and the worker sizing of the
 * environment (WORKER_MAX_CACHED_WORKFLOWS and friends, product defaults when unset), the cache overridden by
 * `cachedWorkflows` when given.
 */
function workerEnv(config: Config, taskQueue: string, healthPort: number, cachedWorkflows: number | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...WORKER_PROCESS_ENV,
    ...process.env,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    MONGODB_URI: config.MONGODB_URI,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PORT: String(config.PORT),
    SANDBOX_PORT: String(config.SANDBOX_PORT),
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_METRICS_PORT: '0',
    WORKER_SHUTDOWN_GRACE_TIME: '1s',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  if (cachedWorkflows !== undefined) {
    env.WORKER_MAX_CACHED_WORKFLOWS = String(cachedWorkflows);
    // A running workflow task holds its workflow in the cache: the configuration refuses more tasks than slots.
    const tasks = Number(env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS || loadConfig({}).WORKER_MAX_CONCURRENT_WORKFLOW_TASKS);
    if (cachedWorkflows > 0 && tasks > cachedWorkflows) env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS = String(Math.max(2, cachedWorkflows));
  }
  return env;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts the worker and waits until its pollers poll (its /healthz answers 200). The worker creates the daily
 * reconciliation schedule on its task queue when there is none; on a server given to the bench that schedule is
 * deleted again on stop, so it does not stay pointed at the bench's queue.
 */
export async function startBenchWorker(
  config: Config,
  temporal: Client,
  opts: { taskQueue: string; cachedWorkflows?: number; log: (m: string) => void },
): Promise<BenchWorker> {
  const schedule = temporal.schedule.getHandle(DAILY_RECONCILIATION_SCHEDULE_ID);
  const scheduleExisted = await schedule.describe().then(
    () => true,
    () => false,
  );
  const healthPort = await freePort();
  const env = workerEnv(config, opts.taskQueue, healthPort, opts.cachedWorkflows);
  // As in production (the Docker image): the bundle built ahead, so the worker's memory holds no webpack.
  if (!env.WORKFLOW_BUNDLE_PATH) {
    env.WORKFLOW_BUNDLE_PATH = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-')), 'workflow-bundle.js');
    writeFileSync(env.WORKFLOW_BUNDLE_PATH, (await workflowBundle()).code);
  }
  const sizing = workerSizing(loadConfig(env));
  // Started as the product starts it (workers/process-options.ts): its memory settings are part of what is measured.
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logCounts: Record<string, number> = {};
  // A line may be split across chunks: each stream keeps its unfinished one.
  const reader = () => {
    let pending = '';
    return (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const msg = messageOf(line);
        logCounts[msg] = (logCounts[msg] ?? 0) + 1;
        if (!COUNTED_ONLY.test(msg)) opts.log(`worker: ${line}`);
      }
    };
  };
  child.stdout.on('data', reader());
  child.stderr.on('data', reader());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    }
    if (!scheduleExisted) await schedule.delete().catch(() => undefined);
  };
  try {
    if (child.pid === undefined) throw new Error('the bench worker did not start');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await healthy(healthPort))) {
      if (child.exitCode !== null) throw new Error(`the bench worker exited with code ${child.exitCode} during start-up`);
      if (Date.now() > deadline) throw new Error(`the bench worker was not healthy within ${READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { pid: child.pid, taskQueue: opts.taskQueue, sizing, logCounts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
