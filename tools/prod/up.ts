/**
 * `npm run start:prod-topology`: the production topology on this machine, without Docker, from the project's
 * own files. Installs what is missing (tools/prod/install.sh), then brings up PostgreSQL → Temporal schema →
 * Temporal server → search attributes → FerretDB on PostgreSQL, seeds the demo data and runs the provider
 * sandbox, the worker and the API as separate processes. Ctrl-C stops everything, in reverse order.
 *
 *   --servers-only   only the servers (for `bench:load`, or API/worker processes started by hand)
 *   --bench          the servers on a fresh cluster (.data/prod-bench/, emptied first), then `npm run bench:load`
 *                    against them; stops when it ends, with its exit code
 *
 * Data and server logs live in .data/prod/ (delete the directory for a fresh cluster). A benchmark wants a fresh
 * cluster: workflow ids are parking-session-<id>, and a new database on a cluster that still holds the workflows
 * of an earlier one allocates ids whose workflows already exist. Ports: PROD_POSTGRES_PORT,
 * PROD_TEMPORAL_PORT, PROD_FERRETDB_PORT override the defaults; the API and sandbox use PORT and SANDBOX_PORT.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { assertSandbox, loadConfig } from '../../src/config';
import { connectDb, disconnectDb } from '../../src/db/connection';
import { seedDemoData } from '../../src/db/seed';
import { startAppProcesses } from '../../src/platform/app-processes';
import { ROOT, type RunningServer } from '../../src/platform/local-servers';
import { DEFAULT_PROD_PORTS, installProdTools, startProdServers, type ProdPorts } from '../../src/platform/prod-topology';

const say = (m: string) => console.log(`[prod] ${m}`);

const Args = z
  .array(z.enum(['--servers-only', '--bench', '--help']))
  .transform((a) => ({ serversOnly: a.includes('--servers-only') || a.includes('--bench'), bench: a.includes('--bench'), help: a.includes('--help') }));

const port = z.coerce.number().int().min(1).max(65535);
const PortEnv = z.object({
  PROD_POSTGRES_PORT: port.default(DEFAULT_PROD_PORTS.postgres),
  PROD_TEMPORAL_PORT: port.default(DEFAULT_PROD_PORTS.temporal),
  PROD_FERRETDB_PORT: port.default(DEFAULT_PROD_PORTS.ferretdb),
});

const logs: WriteStream[] = [];
const servers: RunningServer[] = [];
const apps: RunningServer[] = [];

function logFile(logDir: string, name: string): (line: string) => void {
  const stream = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  logs.push(stream);
  return (line) => stream.write(`${line}\n`);
}

async function stopAll(): Promise<void> {
  for (const app of apps.splice(0).reverse()) await app.stop();
  for (const server of servers.splice(0).reverse()) await server.stop();
  for (const stream of logs.splice(0)) stream.end();
}

async function main(): Promise<number> {
  const args = Args.safeParse(process.argv.slice(2));
  if (!args.success || args.data.help) {
    console.log('usage: npm run start:prod-topology [-- --servers-only | --bench]');
    return args.success ? 0 : 2;
  }
  const { serversOnly, bench } = args.data;
  const env = PortEnv.parse(process.env);
  const ports: ProdPorts = { ...DEFAULT_PROD_PORTS, postgres: env.PROD_POSTGRES_PORT, temporal: env.PROD_TEMPORAL_PORT, ferretdb: env.PROD_FERRETDB_PORT };

  say('checking what the topology needs (tools/prod/install.sh; the first run compiles the Temporal server: 5-15 min)');
  installProdTools();
  const dataDir = path.join(ROOT, '.data', bench ? 'prod-bench' : 'prod');
  if (bench) rmSync(dataDir, { recursive: true, force: true });
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  say(`server logs: ${path.relative(ROOT, logDir)}/*.log`);
  const topology = await startProdServers({ dataDir, ports, durable: true, log: (name) => logFile(logDir, name), say });
  servers.push(...topology.servers);
  const mongoUri = `${topology.mongoBase}/parking`;
  const serverLines = `
  Temporal         ${topology.temporalAddress}   (namespace ${topology.namespace}; PostgreSQL persistence + SQL visibility)
  MongoDB wire     ${mongoUri}   (FerretDB on PostgreSQL)
  PostgreSQL       127.0.0.1:${ports.postgres}   (user temporal; databases temporal, temporal_visibility, ferretdb)
  Temporal metrics http://127.0.0.1:${ports.temporalMetrics}/metrics`;

  if (bench) {
    say('running `npm run bench:load` against the topology');
    const code = await new Promise<number>((resolve) => {
      const child = spawn('npm', ['run', 'bench:load'], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, TEMPORAL_ADDRESS: topology.temporalAddress, MONGODB_URI: `${topology.mongoBase}/bench` },
      });
      child.once('exit', (c) => resolve(c ?? 1));
    });
    return code;
  }

  if (!serversOnly) {
    const appEnv = { TEMPORAL_ADDRESS: topology.temporalAddress, TEMPORAL_NAMESPACE: topology.namespace, MONGODB_URI: mongoUri };
    const config = loadConfig({ ...process.env, ...appEnv });
    assertSandbox(config, '`npm run start:prod-topology` (demo data, provider sandboxes)');
    await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
    await seedDemoData(config);
    await disconnectDb();
    say('demo data seeded; starting the sandbox, worker and API processes');
    apps.push(
      ...(await startAppProcesses({
        env: appEnv,
        apiPort: config.PORT,
        sandboxPort: config.SANDBOX_PORT,
        withSandbox: true,
        log: (app) => (line) => console.log(line.startsWith(`[${app}]`) ? line : `[${app}] ${line}`),
      })),
    );
    console.log(`
  Production topology is running (no Docker)
  ------------------------------------------
  API              ${config.PUBLIC_BASE_URL}   (process: src/main.ts)
  Worker           task queue ${config.TEMPORAL_TASK_QUEUE}   (process: workers/main.ts)
  Provider sandbox ${config.SANDBOX_BASE_URL}   (process: sandbox/main.ts)${serverLines}

  Demo driver token  ${config.DEMO_DRIVER_TOKEN}   (README.md walks through a session with curl)
  Ctrl-C stops everything.
`);
  } else {
    console.log(`
  Production topology servers are running (no Docker)
  ----------------------------------------------------${serverLines}

  Load benchmark against them:
    TEMPORAL_ADDRESS=${topology.temporalAddress} MONGODB_URI=${topology.mongoBase}/bench npm run bench:load
  The app against them:
    TEMPORAL_ADDRESS=${topology.temporalAddress} MONGODB_URI=${mongoUri} npm run start:worker   (and start:api, start:sandbox)
  Ctrl-C stops everything.
`);
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const running = servers.length + apps.length > 0;
  if (running) say(`${reason}: stopping`);
  await stopAll();
  if (running) say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

main().then(
  (code) => shutdown('done', code),
  async (err: unknown) => {
    console.error('[prod] failed:', err instanceof Error ? err.message : err);
    await shutdown('start-up failed', 1);
  },
);
