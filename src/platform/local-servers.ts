/**
 * Starts the local servers built by tools/ (Temporal dev server, FerretDB) as child processes, waits until
 * they accept connections, and stops them again. Used by `npm start` (tools/dev.ts) and the test setup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_BIN = path.join(ROOT, '.tools', 'bin');
export const toolPath = (name: 'temporal' | 'ferretdb' | 'temporal-test-server') => path.join(TOOLS_BIN, name);

export function assertToolsBuilt(): void {
  const missing = (['temporal', 'ferretdb', 'temporal-test-server'] as const).filter((t) => !existsSync(toolPath(t)));
  if (missing.length > 0) {
    throw new Error(`local servers not built (${missing.join(', ')}): run \`npm run tools\` (or \`npm install\`), which builds them into .tools/`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, label: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${label} exited with code ${child.exitCode} during start-up`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${label} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningServer {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export type LogTarget = 'inherit' | 'ignore' | ((line: string) => void);

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as another user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  /** The signal that shuts the server down cleanly (PostgreSQL: SIGINT, its "fast" shutdown). */
  stopSignal?: NodeJS.Signals;
}

export function spawnServer(name: string, cmd: string, args: string[], logTo: LogTarget, opts: SpawnOptions = {}): RunningServer {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false, env: opts.env, cwd: opts.cwd, uid: opts.uid, gid: opts.gid });
  const sink = (chunk: Buffer) => {
    if (typeof logTo === 'function') {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logTo(line);
    } else if (logTo === 'inherit') {
      process.stderr.write(chunk);
    }
  };
  child.stdout?.on('data', sink);
  child.stderr?.on('data', sink);
  return {
    name,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(opts.stopSignal ?? 'SIGTERM');
      }),
  };
}

const run = (name: string, cmd: string, args: string[], logTo: LogTarget): RunningServer => spawnServer(name, cmd, args, logTo);

export interface FerretOptions {
  port: number;
  /**
   * Directory for the SQLite files. Always on disk: FerretDB's in-memory SQLite mode hangs on the first
   * update of an existing document (seen with v1.24.2), so tests use a temporary directory instead.
   */
  dataDir: string;
  log?: LogTarget;
}

export async function startFerretDb(opts: FerretOptions): Promise<RunningServer> {
  assertToolsBuilt();
  mkdirSync(opts.dataDir, { recursive: true });
  const url = `file:${opts.dataDir.replace(/\/?$/, '/')}`;
  const server = run(
    'ferretdb',
    toolPath('ferretdb'),
    [`--sqlite-url=${url}`, `--listen-addr=127.0.0.1:${opts.port}`],
    opts.log ?? 'ignore',
  );
  await waitForPort(opts.port, 'FerretDB', 30_000, server.child);
  return server;
}

export interface TemporalDevOptions {
  port: number;
  /** null: headless (tests). */
  uiPort: number | null;
  /** SQLite file that keeps workflows across restarts; null keeps them in memory. */
  dbFile: string | null;
  namespace?: string;
  /** The UI decodes encrypted payloads through this codec server (the API's /codec). */
  uiCodecEndpoint?: string;
  log?: LogTarget;
}

export async function startTemporalDev(opts: TemporalDevOptions): Promise<RunningServer> {
  assertToolsBuilt();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace ?? 'default', '--log-level', 'warn'];
  args.push(...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.uiPort !== null && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_FLAGS)) args.push('--search-attribute', `${name}=${type}`);
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  const server = run('temporal', toolPath('temporal'), args, opts.log ?? 'ignore');
  await waitForPort(opts.port, 'Temporal dev server', 60_000, server.child);
  return server;
}
