/**
 * The production topology without Docker: PostgreSQL (a private cluster in a data directory), the Temporal
 * schema applied by temporal-sql-tool, the Temporal server (all services in one binary) on it with the
 * business search attributes registered through the operator API, and FerretDB on PostgreSQL for the
 * product's documents. The binaries come from tools/prod/install.sh. Used by `npm run start:prod-topology`
 * (tools/prod/up.ts) and test/e2e/prod-topology.test.ts; docker-compose.yml is the same topology in containers.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';
import { ROOT, spawnServer, waitForPort, type LogTarget, type RunningServer } from './local-servers';

const run = promisify(execFile);

export const PROD_BIN = path.join(ROOT, '.tools', 'prod', 'bin');
export const PROD_TOOLS = ['temporal-server', 'temporal-sql-tool', 'ferretdb-pg'] as const;
export const prodToolPath = (name: (typeof PROD_TOOLS)[number]) => path.join(PROD_BIN, name);
export const PROD_CONFIG_DIR = path.join(ROOT, 'tools', 'prod', 'config');

/** Sandbox-default credentials of the private cluster (loopback only), the same as docker-compose.yml's. */
export const PG_USER = 'temporal';
export const PG_PASSWORD = 'temporal';
/** The database FerretDB keeps the product's collections in (as PostgreSQL schemas per MongoDB database). */
export const FERRETDB_DATABASE = 'ferretdb';
/** Temporal's databases and the schema temporal-sql-tool applies to each (embedded in the tool's release). */
export const TEMPORAL_SCHEMAS = [
  ['temporal', 'postgresql/v12/temporal'],
  ['temporal_visibility', 'postgresql/v12/visibility'],
] as const;

/** Every listening port of the topology; the Temporal services beyond the frontend are internal. */
export interface ProdPorts {
  postgres: number;
  temporal: number;
  temporalHttp: number;
  temporalMetrics: number;
  ferretdb: number;
  internal: {
    frontendMembership: number;
    history: number;
    historyMembership: number;
    matching: number;
    matchingMembership: number;
    worker: number;
    workerMembership: number;
  };
}

/** The fixed ports of `npm run start:prod-topology`: clear of `npm start` (7233, 8233, 27017), so both can run. */
export const DEFAULT_PROD_PORTS: ProdPorts = {
  postgres: 55432,
  temporal: 17233,
  temporalHttp: 17243,
  temporalMetrics: 17800,
  ferretdb: 27018,
  internal: {
    frontendMembership: 16933,
    history: 17234,
    historyMembership: 16934,
    matching: 17235,
    matchingMembership: 16935,
    worker: 17239,
    workerMembership: 16939,
  },
};

/** Whether 127.0.0.1:port can be bound right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports below 32768: Temporal's PostgreSQL schema stores membership ports in a smallint
 * (cluster_membership.rpc_port), and the OS hands out ephemeral ports above it (seen: "value 36363 is out of
 * range for type smallint", then the server exits). Random picks in 20000-32767, each checked.
 */
export async function freeProdPorts(): Promise<ProdPorts> {
  const taken = new Set<number>();
  const p = async (): Promise<number> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 12_768);
      if (taken.has(port) || !(await canListen(port))) continue;
      taken.add(port);
      return port;
    }
    throw new Error('no free port below 32768');
  };
  return {
    postgres: await p(),
    temporal: await p(),
    temporalHttp: await p(),
    temporalMetrics: await p(),
    ferretdb: await p(),
    internal: {
      frontendMembership: await p(),
      history: await p(),
      historyMembership: await p(),
      matching: await p(),
      matchingMembership: await p(),
      worker: await p(),
      workerMembership: await p(),
    },
  };
}

/** Debian's layout first (/usr/lib/postgresql/<major>/bin, newest major), then an initdb on PATH. */
export function findPostgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const dir = path.join(base, major, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) return dir;
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'readlink -f "$(command -v initdb)"'], { encoding: 'utf8' }).trim();
    return initdb ? path.dirname(initdb) : null;
  } catch {
    return null;
  }
}

/** What tools/prod/install.sh still has to provide. */
export function missingProdTools(): string[] {
  const missing: string[] = PROD_TOOLS.filter((t) => !existsSync(prodToolPath(t)));
  if (!findPostgresBin()) missing.push('postgresql');
  return missing;
}

/** Runs tools/prod/install.sh (idempotent; prints its progress on stderr). */
export function installProdTools(timeoutMs = 45 * 60_000): void {
  execFileSync('bash', [path.join(ROOT, 'tools', 'prod', 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: timeoutMs });
}

/** initdb and postgres refuse root: as root the cluster belongs to the `postgres` system user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface ProdTopologyOptions {
  /** Holds postgresql/ (the cluster); created when missing, reused when it exists. */
  dataDir: string;
  ports: ProdPorts;
  namespace?: string;
  /** false for throwaway clusters (tests): no fsync. */
  durable: boolean;
  /** Where each server's output goes. */
  log: (server: 'postgresql' | 'temporal-server' | 'ferretdb-pg') => LogTarget;
  /** Progress lines. */
  say?: (message: string) => void;
}

export interface ProdTopology {
  temporalAddress: string;
  /** mongodb://host:port without a database: append `/parking` (or a test database). */
  mongoBase: string;
  namespace: string;
  servers: RunningServer[];
  stop(): Promise<void>;
}

export async function startProdServers(opts: ProdTopologyOptions): Promise<ProdTopology> {
  const missing = missingProdTools();
  if (missing.length > 0) throw new Error(`production topology not installed (${missing.join(', ')}): run \`bash tools/prod/install.sh\``);
  const say = opts.say ?? (() => undefined);
  const namespace = opts.namespace ?? 'default';
  const servers: RunningServer[] = [];
  const stop = async () => {
    for (const server of [...servers].reverse()) await server.stop();
  };
  try {
    say(`PostgreSQL on 127.0.0.1:${opts.ports.postgres} (data in ${path.join(opts.dataDir, 'postgresql')})`);
    servers.push(await startPostgres(opts));
    say('Temporal schema (temporal-sql-tool: temporal, temporal_visibility) and the FerretDB database');
    await setUpSchema(opts.ports.postgres);
    say(`Temporal server on 127.0.0.1:${opts.ports.temporal}`);
    servers.push(await startTemporalServer(opts));
    say(`namespace "${namespace}" and search attributes (${Object.keys(SEARCH_ATTRIBUTE_FLAGS).join(', ')}) through the operator API`);
    await registerNamespaceAndSearchAttributes(`127.0.0.1:${opts.ports.temporal}`, namespace);
    say(`FerretDB (PostgreSQL backend) on 127.0.0.1:${opts.ports.ferretdb}`);
    servers.push(await startFerretDbPg(opts));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    temporalAddress: `127.0.0.1:${opts.ports.temporal}`,
    mongoBase: `mongodb://127.0.0.1:${opts.ports.ferretdb}`,
    namespace,
    servers,
    stop,
  };
}

async function startPostgres(opts: ProdTopologyOptions): Promise<RunningServer> {
  const bin = findPostgresBin()!;
  const pgDir = path.join(opts.dataDir, 'postgresql');
  const user = postgresUser();
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o755 });
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    rmSync(pgDir, { recursive: true, force: true }); // a half-finished initdb leaves a directory initdb refuses
    mkdirSync(pgDir, { mode: 0o700 });
    const pwfile = path.join(opts.dataDir, '.pg-password');
    writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
    if (user) for (const p of [pgDir, pwfile]) chownSync(p, user.uid, user.gid);
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        ['-D', pgDir, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', ...(opts.durable ? [] : ['--no-sync'])],
        { cwd: opts.dataDir, uid: user?.uid, gid: user?.gid, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const args = [
    '-D', pgDir,
    '-p', String(opts.ports.postgres),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${pgDir}`,
    // Temporal's pools (20 + 10 per service) and FerretDB's share one server.
    '-c', 'max_connections=300',
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  const server = spawnServer('postgresql', path.join(bin, 'postgres'), args, opts.log('postgresql'), {
    uid: user?.uid,
    gid: user?.gid,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for every client to disconnect
  });
  await waitForPort(opts.ports.postgres, 'PostgreSQL', 60_000, server.child);
  // The port opens before recovery finishes; pg_isready says when connections are accepted.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await run(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(opts.ports.postgres), '-U', PG_USER, '-d', 'postgres']);
      return server;
    } catch (err) {
      if (server.child.exitCode !== null) throw new Error(`PostgreSQL exited with code ${server.child.exitCode} during start-up`);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** temporal-sql-tool against the private cluster; its output is kept for the error message only. */
async function sqlTool(pgPort: number, database: string, command: string[]): Promise<string> {
  const args = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pgPort), '--user', PG_USER, '--database', database, ...command];
  try {
    const { stdout, stderr } = await run(prodToolPath('temporal-sql-tool'), args, { env: { ...process.env, SQL_PASSWORD: PG_PASSWORD } });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`temporal-sql-tool ${command.join(' ')} (database ${database}) failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/**
 * Idempotent, as the tool itself is (checked with v1.29.1): create-database leaves an existing database alone,
 * setup-schema skips a database whose recorded version is past 0.0, and update-schema applies whatever versions
 * the installed release adds, so a server upgrade migrates the schema on the next start.
 */
async function setUpSchema(pgPort: number): Promise<void> {
  for (const [database, schema] of TEMPORAL_SCHEMAS) {
    await sqlTool(pgPort, database, ['create-database', '--defaultdb', 'postgres']);
    await sqlTool(pgPort, database, ['setup-schema', '-v', '0.0']);
    await sqlTool(pgPort, database, ['update-schema', '--schema-name', schema]);
  }
  await sqlTool(pgPort, FERRETDB_DATABASE, ['create-database', '--defaultdb', 'postgres']);
}

function temporalEnv(opts: ProdTopologyOptions): NodeJS.ProcessEnv {
  const p = opts.ports;
  return {
    ...process.env,
    TEMPORAL_PG_HOST: '127.0.0.1',
    TEMPORAL_PG_PORT: String(p.postgres),
    TEMPORAL_PG_USER: PG_USER,
    TEMPORAL_PG_PASSWORD: PG_PASSWORD,
    TEMPORAL_FRONTEND_PORT: String(p.temporal),
    TEMPORAL_FRONTEND_HTTP_PORT: String(p.temporalHttp),
    TEMPORAL_METRICS_PORT: String(p.temporalMetrics),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(p.internal.frontendMembership),
    TEMPORAL_HISTORY_PORT: String(p.internal.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(p.internal.historyMembership),
    TEMPORAL_MATCHING_PORT: String(p.internal.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(p.internal.matchingMembership),
    TEMPORAL_WORKER_PORT: String(p.internal.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(p.internal.workerMembership),
    TEMPORAL_DYNAMIC_CONFIG: path.join(PROD_CONFIG_DIR, 'dynamicconfig', 'prod-topology.yaml'),
  };
}

async function startTemporalServer(opts: ProdTopologyOptions): Promise<RunningServer> {
  const args = ['--root', ROOT, '--config', path.relative(ROOT, PROD_CONFIG_DIR), '--env', 'prod-topology', '--allow-no-auth', 'start'];
  const server = spawnServer('temporal-server', prodToolPath('temporal-server'), args, opts.log('temporal-server'), { env: temporalEnv(opts) });
  await waitForPort(opts.ports.temporal, 'Temporal server', 180_000, server.child);
  return server;
}

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3, Double: 4 } as const;
const GRPC_ALREADY_EXISTS = 6;

/** Retries while the server finishes starting (the frontend listens before history owns its shards). */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not succeed within ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const isAlreadyExists = (err: unknown) => (err as { code?: number }).code === GRPC_ALREADY_EXISTS;

async function registerNamespaceAndSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await retrying('connecting to Temporal', () => Connection.connect({ address }));
  try {
    await retrying('registering the namespace', async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('7 days') });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    });
    // A fresh namespace reaches the services' namespace caches within their refresh interval (about 10 s).
    await retrying('the namespace becoming visible', () => connection.workflowService.countWorkflowExecutions({ namespace, query: '' }));
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const wanted = Object.entries(SEARCH_ATTRIBUTE_FLAGS).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (wanted.length > 0) {
      await retrying('registering the search attributes', async () => {
        try {
          await connection.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(wanted.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]])),
          });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      });
    }
    const registered = await connection.operatorService.listSearchAttributes({ namespace });
    const absent = Object.keys(SEARCH_ATTRIBUTE_FLAGS).filter((name) => !(name in (registered.customAttributes ?? {})));
    if (absent.length > 0) throw new Error(`search attributes not registered: ${absent.join(', ')}`);
  } finally {
    await connection.close();
  }
}

async function startFerretDbPg(opts: ProdTopologyOptions): Promise<RunningServer> {
  const url = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${opts.ports.postgres}/${FERRETDB_DATABASE}`;
  const server = spawnServer('ferretdb-pg', prodToolPath('ferretdb-pg'), [`--listen-addr=127.0.0.1:${opts.ports.ferretdb}`, `--postgresql-url=${url}`], opts.log('ferretdb-pg'));
  await waitForPort(opts.ports.ferretdb, 'FerretDB (PostgreSQL)', 60_000, server.child);
  return server;
}
