/**
 * docker-compose.yml cannot run here (no Docker), so its wiring is checked statically: host networking for the
 * app services, the infrastructure ports published on 127.0.0.1, the 127.0.0.1 addresses the app uses,
 * health-gated start order, the search attributes and the env names the app reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, ENV_NAMES, loadConfig } from '../../src/config';
import { FERRETDB_DATABASE, PG_PASSWORD, PG_USER, PROD_CONFIG_DIR, TEMPORAL_SCHEMAS } from '../../src/platform/prod-topology';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../workers/process-options';

const ROOT = path.join(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: string | { context?: string; target?: string; dockerfile?: string };
  command?: string | string[];
  network_mode?: string;
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { published?: string | number; target?: number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  env_file?: string | Array<string | { path: string; required?: boolean }>;
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const APP_SERVICES = ['api', 'worker', 'sandbox'] as const;
const INFRA_SERVICES = ['postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui', 'ferretdb'] as const;

/** A service's environment as a map, with compose's `${VAR:-default}` resolved to its default. */
function envOf(name: string): Record<string, string> {
  const raw = services[name].environment ?? {};
  const entries: Array<[string, string]> = Array.isArray(raw)
    ? raw.map((line) => {
        const i = line.indexOf('=');
        return [i < 0 ? line : line.slice(0, i), i < 0 ? '' : line.slice(i + 1)];
      })
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, v.replace(/\$\{[A-Z0-9_]+:?-([^}]*)\}/g, '$1')]));
}

/** `NAME=value` lines of an env file (comments and blank lines skipped). */
function envFile(name: string): Record<string, string> {
  const lines = readFileSync(path.join(ROOT, name), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** What the offline demo runs with: `APP_MODE=sandbox APP_ENV_FILE=sandbox.env docker compose --profile sandbox up`. */
const demoEnv = (name: string): Record<string, string> => ({ ...envFile('sandbox.env'), ...envOf(name), APP_MODE: 'sandbox' });

interface PortMapping {
  hostIp: string;
  published: string;
  target: string;
}

/** A service's `ports:` in long form; the short form is `[HOST_IP:]PUBLISHED:TARGET`. */
function publishedPorts(name: string): PortMapping[] {
  return (services[name].ports ?? []).map((p) => {
    if (typeof p !== 'string') {
      const long = p as { host_ip?: string; published?: string | number; target?: number };
      return { hostIp: long.host_ip ?? '', published: String(long.published ?? ''), target: String(long.target ?? '') };
    }
    const parts = p.split('/')[0].split(':');
    const [target, published, ...ip] = parts.reverse();
    return { hostIp: ip.reverse().join(':'), published: published ?? '', target };
  });
}

function dependsOn(name: string): Record<string, string | undefined> {
  const d = services[name].depends_on ?? {};
  return Array.isArray(d) ? Object.fromEntries(d.map((s) => [s, undefined])) : Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v?.condition]));
}

const commandOf = (name: string): string => [services[name].command ?? []].flat().join(' ');

/** The env names declared in the zod schema of src/config.ts (read from its source: the schema is private). */
function configEnvNames(): ReadonlySet<string> {
  return ENV_NAMES;
}

describe('docker-compose.yml', () => {
  it('has every service', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'ferretdb', 'postgresql', 'sandbox', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
  });

  it('uses the agreed images', () => {
    expect(services.postgresql.image).toMatch(/^postgres:15\b/);
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-setup'].image).toMatch(/^temporalio\/admin-tools:/);
    for (const s of APP_SERVICES) expect(services[s].build).toBeDefined();
  });

  it.each(APP_SERVICES)('%s runs on the host network, without `ports:`', (name) => {
    expect(services[name].network_mode).toBe('host');
    expect(services[name].ports).toBeUndefined();
  });

  it('keeps the infrastructure on the compose network', () => {
    for (const name of INFRA_SERVICES) expect([name, services[name].network_mode]).toEqual([name, undefined]);
  });

  it.each([
    ['temporal', '7233', '7233'],
    ['temporal-ui', '8233', '8080'],
    ['ferretdb', '27017', '27017'],
  ])('%s is published on 127.0.0.1:%s', (name, published, target) => {
    expect(publishedPorts(name)).toContainEqual({ hostIp: '127.0.0.1', published, target });
  });

  it('publishes nothing else, and only on 127.0.0.1', () => {
    for (const name of ['postgresql', 'temporal-schema', 'temporal-setup']) expect([name, publishedPorts(name)]).toEqual([name, []]);
    for (const name of INFRA_SERVICES) {
      for (const p of publishedPorts(name)) expect([name, p.hostIp]).toEqual([name, '127.0.0.1']);
    }
  });

  it('runs the entry points of the package.json scripts', () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(commandOf('api')).toBe('npx tsx src/main.ts');
    // The worker with its memory settings (workers/process-options.ts); glibc's from the image's environment.
    expect(commandOf('worker')).toBe(`npx tsx ${WORKER_NODE_FLAGS.join(' ')} workers/main.ts`);
    expect(commandOf('sandbox')).toBe('npx tsx sandbox/main.ts');
    expect(`npx ${scripts['start:api']}`).toBe(commandOf('api'));
    const workerEnv = Object.entries(WORKER_PROCESS_ENV).map(([k, v]) => `${k}=${v}`);
    expect(`npx ${scripts['start:worker']}`.replace(`${workerEnv.join(' ')} `, '')).toBe(commandOf('worker'));
    expect(scripts['start:worker']).toMatch(new RegExp(`^${workerEnv.join(' ')} tsx `));
    for (const [k, v] of Object.entries(WORKER_PROCESS_ENV)) expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^ENV ${k}=${v}$`, 'm'));
    expect(`npx ${scripts['start:sandbox']}`).toBe(commandOf('sandbox'));
  });

  it.each(APP_SERVICES)('%s reaches Temporal and MongoDB through their ports published on 127.0.0.1', (name) => {
    const env = envOf(name);
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    const [temporalHost, temporalPort] = env.TEMPORAL_ADDRESS.split(':');
    expect(publishedPorts('temporal')).toContainEqual({ hostIp: temporalHost, published: temporalPort, target: '7233' });

    expect(env.MONGODB_URI).toBe('mongodb://127.0.0.1:27017/parking');
    const mongo = new URL(env.MONGODB_URI);
    expect(mongo.protocol).toBe('mongodb:');
    expect(publishedPorts('ferretdb')).toContainEqual({ hostIp: mongo.hostname, published: mongo.port, target: '27017' });
    expect(mongo.pathname).toBe('/parking');
  });

  it('runs production by default, secrets from a git-ignored env file, the sandbox only under the `sandbox` profile', () => {
    for (const name of ['api', 'worker']) {
      expect([name, envOf(name).APP_MODE]).toEqual([name, 'production']);
      expect([name, services[name].profiles]).toEqual([name, undefined]);
      expect(Object.keys(dependsOn(name))).not.toContain('sandbox');
    }
    expect(services.sandbox.profiles).toEqual(['sandbox']);
    expect(envOf('sandbox').APP_MODE).toBe('sandbox');
    for (const name of APP_SERVICES) {
      const files = [services[name].env_file ?? []].flat().map((f) => (typeof f === 'string' ? { path: f, required: true } : f));
      expect(files).toEqual([{ path: '${APP_ENV_FILE:-production.env}', required: true }]);
    }
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^production\.env$/m);
    expect(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^production\.env$/m);
    // no secret is written into the compose file itself
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/SECRET|_KEY|TOKEN|PASSWORD:\s*\S*(demo|sandbox)/);
  });

  it('production refuses the compose environment until production.env is filled in, naming only variables the example lists', () => {
    const example = envFile('production.env.example');
    let message = '';
    try {
      loadConfig({ ...envOf('api'), ...example });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    const named = [...message.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
    expect(named).toContain('PAY_LINK_SECRET');
    expect(named).toContain('NETOPIA_PUBLIC_KEY_PEM');
    expect(named.filter((n) => !(n in example))).toEqual([]);
  });

  it.each(APP_SERVICES)('%s uses base URLs on 127.0.0.1 that work for the browser and between the services (sandbox demo)', (name) => {
    const env = demoEnv(name);
    const pub = new URL(env.PUBLIC_BASE_URL);
    expect([pub.protocol, pub.hostname, pub.port]).toEqual(['http:', '127.0.0.1', '3000']);
    expect(pub.port).toBe(env.PORT); // the API binds that port on the host itself
    const sandbox = new URL(env.SANDBOX_BASE_URL);
    expect([sandbox.protocol, sandbox.hostname, sandbox.port]).toEqual(['http:', '127.0.0.1', '4010']);
    expect(sandbox.port).toBe(env.SANDBOX_PORT);
  });

  it('the app services share one environment (the sandbox always in sandbox mode)', () => {
    expect(envOf('worker')).toEqual(envOf('api'));
    expect(envOf('sandbox')).toEqual({ ...envOf('api'), APP_MODE: 'sandbox' });
  });

  it.each(APP_SERVICES)('every env name %s is given is one src/config.ts reads, and the values parse', (name) => {
    const known = configEnvNames();
    expect(known.has('TEMPORAL_ADDRESS')).toBe(true); // the source parse itself works
    const env = demoEnv(name);
    for (const names of [Object.keys(env), Object.keys(envFile('production.env.example'))]) expect(names.filter((k) => !known.has(k))).toEqual([]);
    const config = loadConfig(env);
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.MONGODB_URI).toBe('mongodb://127.0.0.1:27017/parking');
    expect(config.PORT).toBe(3000);
    expect(config.SANDBOX_PORT).toBe(4010);
    expect(config.PUBLIC_BASE_URL).toBe('http://127.0.0.1:3000');
    expect(config.SANDBOX_BASE_URL).toBe('http://127.0.0.1:4010');
    expect(config.NETOPIA_BASE_URL).toBe('http://127.0.0.1:4010/netopia');
  });

  it('the Temporal tools and UI, on the compose network, address Temporal by service name', () => {
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(envOf('temporal-setup').TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(envOf('temporal')).toMatchObject({ TEMPORAL_PG_HOST: 'postgresql', TEMPORAL_PG_PORT: '5432' });
    expect(envOf('temporal').TEMPORAL_PG_USER).toBe(envOf('postgresql').POSTGRES_USER);
    expect(envOf('temporal').TEMPORAL_PG_PASSWORD).toBe(envOf('postgresql').POSTGRES_PASSWORD);
  });

  it.each(['api', 'temporal', 'postgresql'])('%s has a health check', (name) => {
    const hc = services[name].healthcheck;
    expect(hc).toBeDefined();
    expect(hc!.disable).not.toBe(true);
    expect([hc!.test ?? []].flat().length).toBeGreaterThan(0);
  });

  it('the API health check asks /readyz on port 3000', () => {
    expect([services.api.healthcheck!.test!].flat().join(' ')).toContain('http://127.0.0.1:3000/readyz');
  });

  it('the worker health check asks /healthz on the configured health port, and Docker waits out the shutdown grace', () => {
    const env = envOf('worker');
    expect([services.worker.healthcheck!.test!].flat().join(' ')).toContain(`http://127.0.0.1:${env.WORKER_HEALTH_PORT}/healthz`);
    const grace = loadConfig(demoEnv('worker')).WORKER_SHUTDOWN_GRACE_TIME;
    const graceSeconds = /^\d+s$/.test(String(grace)) ? Number(String(grace).slice(0, -1)) : Number(grace) / 1000;
    const stop = String((services.worker as { stop_grace_period?: string }).stop_grace_period ?? '10s');
    expect(Number(stop.replace(/s$/, ''))).toBeGreaterThan(graceSeconds);
  });

  it('exposes the metrics ports on the host, apart from the public port, and wires the UI to the codec server', () => {
    const config = loadConfig(demoEnv('api'));
    const ports = [config.PORT, config.API_METRICS_PORT, config.WORKER_METRICS_PORT, config.WORKER_HEALTH_PORT];
    expect(ports.every((p) => p > 0)).toBe(true);
    expect(new Set(ports).size).toBe(ports.length);
    const ui = envOf('temporal-ui');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`${config.PUBLIC_BASE_URL}/codec`);
    const uiPort = services['temporal-ui'].ports!.map(String)[0]!.split(':')[1];
    expect(config.CODEC_CORS_ORIGINS.split(',')).toContain(`http://127.0.0.1:${uiPort}`);
  });

  it('starts in health order', () => {
    expect(dependsOn('temporal-schema')).toMatchObject({ postgresql: 'service_healthy' });
    expect(dependsOn('temporal')).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('ferretdb')).toMatchObject({ postgresql: 'service_healthy', 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('temporal-ui')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn('temporal-setup')).toMatchObject({ temporal: 'service_healthy' });
    for (const app of ['api', 'worker']) {
      expect(dependsOn(app)).toMatchObject({
        temporal: 'service_healthy',
        ferretdb: 'service_started',
        'temporal-setup': 'service_completed_successfully',
      });
    }
  });

  it('only waits for health on services that have a health check', () => {
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        expect(services[dep]).toBeDefined();
        if (condition === 'service_healthy') expect([name, dep, services[dep].healthcheck]).toEqual([name, dep, expect.anything()]);
      }
    }
  });

  it('registers exactly the search attributes of workflows/search-attributes.ts', () => {
    const setup = envOf('temporal-setup');
    const pairs = setup.SEARCH_ATTRIBUTES.trim().split(/\s+/).map((p) => p.split('='));
    for (const p of pairs) expect(p).toHaveLength(2);
    expect(pairs.length).toBe(new Set(pairs.map(([n]) => n)).size);
    expect(Object.fromEntries(pairs)).toEqual(SEARCH_ATTRIBUTE_FLAGS);
    // ... and the setup script really iterates over that list and creates them.
    const script = [services['temporal-setup'].command ?? []].flat().join('\n');
    expect(script).toContain('$$SEARCH_ATTRIBUTES');
    expect(script).toContain('temporal operator search-attribute create');
  });
});

interface DockerStage {
  name: string;
  from: string;
  /** The sources of its COPY instructions (context paths; `--from=` copies are kept as `stage:path`). */
  copies: string[];
}

/** The Dockerfile's build stages in order (FROM ... [AS name], COPY sources), continuation lines joined. */
function dockerStages(text: string): DockerStage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      stages.push({ name: from[2] ?? String(stages.length), from: from[1], copies: [] });
      continue;
    }
    const copy = /^(?:COPY|ADD)\s+(.*)$/i.exec(line);
    if (copy && stages.length > 0) {
      const args = copy[1].split(/\s+/);
      const fromStage = args.find((a) => a.startsWith('--from='))?.slice('--from='.length);
      const paths = args.filter((a) => !a.startsWith('--'));
      stages[stages.length - 1].copies.push(...paths.slice(0, -1).map((p) => (fromStage ? `${fromStage}:${p}` : p.replace(/^\.\/|\/$/g, ''))));
    }
  }
  return stages;
}

/** Everything an image built for `target` copied from the build context: its own stage and the stages below it. */
function copiedInto(stages: DockerStage[], target: string): string[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage ${target}`);
  const base = stages.find((s) => s.name === stage.from);
  return [...(base ? copiedInto(stages, base.name) : []), ...stage.copies];
}

const buildOf = (name: string) => {
  const build = services[name].build;
  return typeof build === 'string' ? { context: build, target: undefined } : { context: build?.context, target: build?.target };
};

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerStages(dockerfile);
  it('builds on node 20 slim, installs without the postinstall tool builds, runs as non-root', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim\b/m);
    expect(dockerfile).toMatch(/npm ci\b.*--ignore-scripts/);
    expect(dockerfile).toMatch(/^USER (?!root\b)\S+/m);
  });
  it('copies every source folder the entry points need', () => {
    for (const dir of ['src', 'workflows', 'activities', 'workers']) expect(dockerfile).toMatch(new RegExp(`^COPY ${dir} `, 'm'));
  });

  it('has a product image (the default, last target) without the provider sandboxes, and a sandbox image with them', () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['product', 'sandbox']));
    // `docker build .` without --target builds the last stage: the product, never the simulators.
    expect(stages[stages.length - 1].name).toBe('product');
    const product = copiedInto(stages, 'product');
    expect(product).toEqual(expect.arrayContaining(['src', 'workflows', 'activities', 'workers']));
    // Neither sandbox/ nor the whole build context (which would bring sandbox/ along).
    expect(product.filter((p) => p === 'sandbox' || p.startsWith('sandbox/') || p === '.' || p.includes('*'))).toEqual([]);
    expect(copiedInto(stages, 'sandbox')).toEqual(expect.arrayContaining(['src', 'sandbox']));
    // .dockerignore does not silently drop what the sandbox image copies.
    expect(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).not.toMatch(/^\/?sandbox\/?$/m);
  });

  it('docker-compose.yml builds the product target for api and worker, the sandbox target for the sandbox service', () => {
    for (const name of ['api', 'worker']) expect([name, buildOf(name)]).toEqual([name, { context: '.', target: 'product' }]);
    expect(buildOf('sandbox')).toEqual({ context: '.', target: 'sandbox' });
    for (const name of APP_SERVICES) expect(stages.map((s) => s.name)).toContain(buildOf(name).target);
    // Two targets, two image names: one tag for both would let one build overwrite the other.
    expect(services.sandbox.image).toBeDefined();
    expect(services.sandbox.image).not.toBe(services.api.image);
    expect(services.worker.image).toBe(services.api.image);
  });
});

/**
 * docker-compose.yml is the Docker form of the production topology that `npm run start:prod-topology` runs and
 * test/e2e/prod-topology.test.ts proves here: same server config, same schema steps, same versions, same stores.
 */
describe('docker-compose.yml is the production topology of tools/prod', () => {
  const readRoot = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');
  const script = (name: string) => [services[name].command ?? []].flat().join('\n');
  const installSh = readRoot('tools/prod/install.sh');
  const firstServerVersion = /TEMPORAL_SERVER_VERSIONS:-(v[\d.]+)/.exec(installSh)?.[1];

  it('runs the Temporal server release tools/prod/install.sh builds, with the admin tools of that release', () => {
    expect(firstServerVersion).toMatch(/^v\d+\.\d+\.\d+$/);
    const version = firstServerVersion!.slice(1);
    expect(services.temporal.image).toBe(`temporalio/server:\${TEMPORAL_VERSION:-${version}}`);
    for (const name of ['temporal-schema', 'temporal-setup']) expect(services[name].image).toMatch(new RegExp(`:-${version.replace(/\./g, '\\.')}-`));
  });

  it('builds FerretDB from tools/prod/ferretdb-pg with its _id patch, the binary tools/prod/install.sh builds, on PostgreSQL in the database the local topology uses', () => {
    const goVersion = /github\.com\/FerretDB\/FerretDB (v[\d.]+)/.exec(readRoot('tools/prod/ferretdb-pg/go.mod'))?.[1];
    expect(goVersion).toMatch(/^v1\.24\./);
    const stamp = /^FERRETDB_PG_VERSION=(\S+)$/m.exec(readRoot('tools/prod/install.sh'))?.[1];
    expect(stamp).toMatch(new RegExp(`^${goVersion!.replace(/\./g, '\\.')}-pg-\\d+$`));
    expect(services.ferretdb.build).toEqual({ context: './tools/prod/ferretdb-pg' });
    expect(services.ferretdb.image).toBe(`parking-ferretdb-pg:${stamp}`);
    // One recipe: the image and install.sh both run build.sh, which applies the patch.
    expect(readRoot('tools/prod/ferretdb-pg/Dockerfile')).toMatch(/^RUN bash build\.sh /m);
    expect(readRoot('tools/prod/install.sh')).toContain('tools/prod/ferretdb-pg/build.sh');
    expect(readRoot('tools/prod/ferretdb-pg/build.sh')).toContain('git apply --verbose "$here/id-lookup.patch"');
    expect(readRoot('tools/prod/ferretdb-pg/id-lookup.patch')).toContain('+\tif k == "_id" {');
    // main.go reads the variables FerretDB's own image reads.
    const main = readRoot('tools/prod/ferretdb-pg/main.go');
    for (const name of ['FERRETDB_LISTEN_ADDR', 'FERRETDB_POSTGRESQL_URL']) expect(main).toContain(`envOr("${name}"`);
    const env = envOf('ferretdb');
    expect(env.FERRETDB_LISTEN_ADDR).toBe('0.0.0.0:27017');
    const url = new URL(env.FERRETDB_POSTGRESQL_URL);
    expect([url.protocol, url.hostname, url.port, url.pathname]).toEqual(['postgres:', 'postgresql', '5432', `/${FERRETDB_DATABASE}`]);
    expect([url.username, url.password]).toEqual([envOf('postgresql').POSTGRES_USER, envOf('postgresql').POSTGRES_PASSWORD]);
  });

  it('uses the credentials of the local topology for PostgreSQL', () => {
    expect(envOf('postgresql')).toMatchObject({ POSTGRES_USER: PG_USER, POSTGRES_PASSWORD: PG_PASSWORD });
    expect(envOf('temporal-schema')).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql', SQL_USER: PG_USER, SQL_PASSWORD: PG_PASSWORD });
  });

  it('sets up the same databases and schemas with temporal-sql-tool', () => {
    const setup = script('temporal-schema');
    for (const [database, schema] of TEMPORAL_SCHEMAS) expect(setup).toContain(`${database}=${schema}`);
    for (const step of ['create-database --defaultdb postgres', 'setup-schema -v 0.0', 'update-schema --schema-name "$$schema"']) expect(setup).toContain(step);
    expect(setup).toContain(`--database ${FERRETDB_DATABASE} create-database`);
  });

  it('starts the Temporal server with the config files of tools/prod/config, mounted read-only', () => {
    const volumes = (services.temporal as Service & { volumes?: string[] }).volumes ?? [];
    expect(volumes).toContain('./tools/prod/config:/etc/temporal/config/prod:ro');
    expect(script('temporal')).toMatch(/exec temporal-server --root \/etc\/temporal --config config\/prod --env prod-topology --allow-no-auth start/);
    expect(existsSync(path.join(PROD_CONFIG_DIR, 'prod-topology.yaml'))).toBe(true);
    const dynamic = envOf('temporal').TEMPORAL_DYNAMIC_CONFIG;
    expect(dynamic.startsWith('/etc/temporal/config/prod/')).toBe(true);
    expect(existsSync(path.join(PROD_CONFIG_DIR, dynamic.slice('/etc/temporal/config/prod/'.length)))).toBe(true);
  });

  it('gives the Temporal server only variables its config template reads', () => {
    const template = readFileSync(path.join(PROD_CONFIG_DIR, 'prod-topology.yaml'), 'utf8');
    const read = new Set([...template.matchAll(/\(env "([A-Z0-9_]+)"\)/g)].map((m) => m[1]));
    expect(read.has('TEMPORAL_PG_HOST')).toBe(true);
    expect(Object.keys(envOf('temporal')).filter((k) => !read.has(k))).toEqual([]);
  });

  it('creates the namespace and the search attributes itself (no auto-setup image)', () => {
    const setup = script('temporal-setup');
    expect(setup).toContain('temporal operator namespace create --namespace "$$NAMESPACE"');
    expect(setup).toContain('temporal operator search-attribute create');
  });
});
