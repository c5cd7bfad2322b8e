/**
 * The whole product as separate child processes a fault test can SIGKILL and restart: a Temporal dev server on a
 * SQLite file and FerretDB on a directory (both in a temp dir, so their data survives a restart), the provider
 * sandbox, the worker and the API, each started exactly as in production (`tsx <entry point>` with env from
 * src/config.ts) on free ports fixed for the stack's life and its own task queue. Each child writes to its own log
 * file; the logs are printed when a test fails (see `logs()`), and stay silent otherwise.
 *
 * Each child runs in its own process group, so kill() reaches grandchildren too; stopAll() kills every group and is
 * also run on process exit, so a failed test never leaks processes and jest can exit.
 *
 * The sandbox keeps its state (orders, charges, its Netopia key pair) in the stack's temp dir, so a restarted sandbox
 * carries on where it stopped (sandbox/persistence.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import { connectDb, disconnectDb } from '../../src/db/connection';
import { seedDemoData } from '../../src/db/seed';
import { freePort, ROOT, toolPath, waitForPort } from '../../src/platform/local-servers';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';
import { testDataConverter } from './data-converter';

export type ProcessName = 'temporal' | 'ferretdb' | 'sandbox' | 'worker' | 'api';
/** Start order: what each process needs is started before it. */
export const PROCESS_NAMES: readonly ProcessName[] = ['temporal', 'ferretdb', 'sandbox', 'worker', 'api'];

export interface FaultStack {
  config: Config;
  urls: { api: string; sandbox: string; temporal: string; mongo: string };
  /** A client of the stack's Temporal server; it reconnects by itself after Temporal restarts. */
  temporal: Client;
  /** Starts a stopped process and waits until it is ready (port, /readyz, or the worker polling). */
  start(name: ProcessName): Promise<void>;
  /** SIGKILL to the process's group; resolves once it is gone. No clean shutdown: that is the point. */
  kill(name: ProcessName): Promise<void>;
  restart(name: ProcessName): Promise<void>;
  isRunning(name: ProcessName): boolean;
  /** Every process's log (or one's), for failure output. */
  logs(name?: ProcessName): string;
  /** One process's whole log, as written (no header, not cut). */
  logText(name: ProcessName): string;
  /** Kills every child and removes the temp dir; safe to call twice and after a failed start. */
  stopAll(): Promise<void>;
}

const TSX_LOADER = require.resolve('tsx');
const ENTRY: Record<'sandbox' | 'worker' | 'api', string> = {
  sandbox: path.join(ROOT, 'sandbox', 'main.ts'),
  worker: path.join(ROOT, 'workers', 'main.ts'),
  api: path.join(ROOT, 'src', 'main.ts'),
};

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}
/** Last line of defence: whatever happens to the test, no child outlives the jest worker. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of alive) killGroup(child);
  });
}

async function poll(what: string, timeoutMs: number, check: () => Promise<boolean>, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) during start-up; log:\n${tail(log)}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms; log:\n${tail(log)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function tail(file: string, lines = 60): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * Runs a test body and, should it fail, prints every process's log tail to stderr before rethrowing (jest's
 * afterEach cannot tell a failed test from a passed one).
 */
export async function withFaultLogs<T>(stack: FaultStack, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    process.stderr.write(`\n[fault-stack] the test failed; process logs:\n${stack.logs()}\n`);
    throw err;
  }
}

/**
 * Starts every process (in PROCESS_NAMES order), seeds the demo data and connects this process's mongoose to the
 * stack's database (so tests can read models such as LedgerModel). `env` overrides config variables.
 */
export async function startFaultStack(name: string, env: Record<string, string> = {}): Promise<FaultStack> {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), `fault-${name.replace(/[^a-zA-Z0-9_-]/g, '_')}-`));
  const [temporalPort, mongoPort, apiPort, sandboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Metrics and health listeners on free ports too: fault stacks of parallel test files must not share them.
  const [apiMetricsPort, workerMetricsPort, workerHealthPort] = [await freePort(), await freePort(), await freePort()];
  // The children get process.env plus these, and the test's own config is loaded from exactly the same variables,
  // so both agree. Sandbox mode and the loopback URLs are pinned: a shell's APP_MODE=production or its own
  // PUBLIC_BASE_URL would otherwise send the children elsewhere than the test (or refuse to start them).
  const configEnv: Record<string, string> = {
    NODE_ENV: 'test',
    // Info lines go to each child's log file: the readiness checks read them ("[worker] polling task queue").
    LOG_LEVEL: 'info',
    APP_MODE: 'sandbox',
    PORT: String(apiPort),
    SANDBOX_PORT: String(sandboxPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    SANDBOX_BASE_URL: `http://127.0.0.1:${sandboxPort}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    MONGODB_URI: `mongodb://127.0.0.1:${mongoPort}/fault_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`,
    TEMPORAL_TASK_QUEUE: `fault-${name}-${process.pid}`,
    API_METRICS_PORT: String(apiMetricsPort),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    WORKER_HEALTH_PORT: String(workerHealthPort),
    // Never the checkout's .data/sandbox: each stack's sandbox state is its own and goes with the temp dir.
    SANDBOX_STATE_DIR: path.join(dir, 'sandbox'),
    ...env,
  };
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...configEnv };
  const config = loadConfig(childEnv);
  const children = new Map<ProcessName, ChildProcess>();
  const logFile = (n: ProcessName) => path.join(dir, `${n}.log`);

  function command(n: ProcessName): { cmd: string; args: string[] } {
    switch (n) {
      case 'temporal': {
        const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--headless', '--log-level', 'warn'];
        args.push('--db-filename', path.join(dir, 'temporal.db'));
        for (const [attr, type] of Object.entries(SEARCH_ATTRIBUTE_FLAGS)) args.push('--search-attribute', `${attr}=${type}`);
        args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
        args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
        return { cmd: toolPath('temporal'), args };
      }
      case 'ferretdb':
        mkdirSync(path.join(dir, 'ferretdb'), { recursive: true });
        return { cmd: toolPath('ferretdb'), args: [`--sqlite-url=file:${path.join(dir, 'ferretdb')}/`, `--listen-addr=127.0.0.1:${mongoPort}`] };
      default:
        // node with tsx's loader rather than the tsx CLI: the CLI runs the script in a second process.
        return { cmd: process.execPath, args: ['--import', TSX_LOADER, ENTRY[n]] };
    }
  }

  async function ready(n: ProcessName, child: ChildProcess): Promise<void> {
    const log = logFile(n);
    switch (n) {
      case 'temporal':
        await waitForPort(temporalPort, 'Temporal dev server', 60_000, child);
        await poll('Temporal', 60_000, async () => (await temporal.workflowService.getSystemInfo({}), true), child, log);
        return;
      case 'ferretdb':
        return waitForPort(mongoPort, 'FerretDB', 30_000, child);
      case 'sandbox':
        return poll('sandbox', 60_000, async () => (await fetch(`${config.SANDBOX_BASE_URL}/netopia/public-key.pem`)).ok, child, log);
      case 'api':
        return poll('API', 60_000, async () => (await fetch(`${config.PUBLIC_BASE_URL}/readyz`)).ok, child, log);
      case 'worker':
        // The line workers/main.ts prints once the worker is built (bundle included) and about to poll.
        return poll('worker', 120_000, async () => readFileSync(log, 'utf8').includes('[worker] polling task queue'), child, log);
    }
  }

  async function start(n: ProcessName): Promise<void> {
    if (children.has(n)) throw new Error(`${n} is already running`);
    const { cmd, args } = command(n);
    if (n === 'ferretdb' || n === 'temporal') {
      if (!existsSync(cmd)) throw new Error(`${cmd} is not built: run \`npm run tools\``);
    }
    const fd = openSync(logFile(n), 'a');
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', fd, fd],
      detached: true, // its own process group: kill() reaches everything it started
    });
    closeSync(fd);
    // A spawn failure (missing binary) must show up in the log the readiness error prints, not crash the test run.
    child.on('error', (err) => appendFileSync(logFile(n), `[fault-stack] ${n}: ${err.message}\n`));
    children.set(n, child);
    alive.add(child);
    child.once('exit', () => {
      alive.delete(child);
      if (children.get(n) === child) children.delete(n);
    });
    await ready(n, child);
  }

  async function kill(n: ProcessName): Promise<void> {
    const child = children.get(n);
    if (!child) return;
    children.delete(n);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child);
    await gone;
  }

  // Created before Temporal runs: the connection is lazy and (re)connects when first used.
  const temporal = new Client({ connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE, dataConverter: testDataConverter });
  let stopped = false;
  let dbConnected = false;
  async function stopAll(): Promise<void> {
    if (stopped) return;
    stopped = true;
    await Promise.all([...children.keys()].map((n) => kill(n)));
    await temporal.connection.close().catch(() => undefined);
    if (dbConnected) await disconnectDb().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    for (const n of PROCESS_NAMES) {
      await start(n);
      if (n === 'ferretdb') {
        await connectDb(config.MONGODB_URI);
        dbConnected = true;
        await seedDemoData(config);
      }
    }
  } catch (err) {
    const logs = PROCESS_NAMES.map((n) => `--- ${n} ---\n${tail(logFile(n))}`).join('\n');
    await stopAll();
    throw new Error(`fault stack did not start: ${(err as Error).message}\n${logs}`);
  }

  return {
    config,
    urls: { api: config.PUBLIC_BASE_URL, sandbox: config.SANDBOX_BASE_URL, temporal: config.TEMPORAL_ADDRESS, mongo: config.MONGODB_URI },
    temporal,
    start,
    kill,
    restart: async (n) => {
      await kill(n);
      await start(n);
    },
    isRunning: (n) => children.has(n),
    logText: (n) => (existsSync(logFile(n)) ? readFileSync(logFile(n), 'utf8') : ''),
    logs: (n) => (n ? [n] : PROCESS_NAMES).map((p) => `--- ${p} (${logFile(p)}) ---\n${tail(logFile(p), 200)}`).join('\n'),
    stopAll,
  };
}
