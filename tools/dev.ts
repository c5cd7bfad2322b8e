/**
 * `npm start`: the whole product on one machine, in one process tree. Starts the Temporal dev server (with UI)
 * and FerretDB unless TEMPORAL_ADDRESS / MONGODB_URI point elsewhere, then the provider sandboxes, the worker
 * and the API; seeds demo data; prints every URL. Ctrl-C stops everything.
 */
import '../src/observability/bootstrap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { assertSandbox, loadConfig } from '../src/config';
import { connectDb, disconnectDb } from '../src/db/connection';
import { seedDemoData } from '../src/db/seed';
import { startApi } from '../src/api/server';
import { ROOT, startFerretDb, startTemporalDev, type RunningServer } from '../src/platform/local-servers';
import { createSandboxApp } from '../sandbox/app';
import { componentLogger } from '../src/observability/logger';
import { startOpsServer } from '../src/observability/ops-server';
import { installTemporalRuntime } from '../src/observability/temporal-runtime';
import { tracing } from '../src/observability/tracing';
import { startWorkerHealthServer } from '../src/observability/worker-health';
import { buildWorker } from '../workers/run-worker';

const log = componentLogger('start');
const sandboxLog = componentLogger('sandbox');
const say = (m: string) => log.info(m);

const children: RunningServer[] = [];

async function main(): Promise<void> {
  const startServers = { temporal: !process.env.TEMPORAL_ADDRESS, mongo: !process.env.MONGODB_URI };
  const config = loadConfig();
  assertSandbox(config, '`npm start` (demo data, provider sandboxes)');
  const dataDir = path.join(ROOT, '.data');

  if (startServers.temporal || startServers.mongo) {
    // tools/build-*.sh return at once when .tools/ matches the pinned versions and announce a build themselves.
    say('checking the local servers in .tools/');
    execFileSync('bash', [path.join(ROOT, 'tools', 'build-all.sh')], { stdio: 'inherit' });
  }
  if (startServers.mongo) {
    say('starting FerretDB (MongoDB wire protocol, data in .data/ferretdb) on 127.0.0.1:27017');
    children.push(await startFerretDb({ port: 27017, dataDir: path.join(dataDir, 'ferretdb') }));
  }
  if (startServers.temporal) {
    say('starting the Temporal dev server (data in .data/temporal.db) on 127.0.0.1:7233, UI on 8233');
    children.push(await startTemporalDev({ port: 7233, uiPort: 8233, dbFile: path.join(dataDir, 'temporal.db'), uiCodecEndpoint: `${config.PUBLIC_BASE_URL}/codec` }));
  }

  await connectDb(config.MONGODB_URI, config.DB_TIMEOUT_MS);
  await seedDemoData(config);
  say('demo data seeded');

  const sandbox = createSandboxApp(config, (m) => sandboxLog.info(m), { stateDir: path.join(dataDir, 'sandbox') });
  const sandboxServer = sandbox.app.listen(config.SANDBOX_PORT, config.HOST);
  await new Promise((resolve) => sandboxServer.once('listening', resolve));

  installTemporalRuntime({ metricsPort: config.WORKER_METRICS_PORT });
  const { worker, temporal: workerClient, close: closeWorker } = await buildWorker(config, { schedules: true });
  const workerRun = worker.run();
  const api = await startApi(config);
  // One process here, so one registry: both ports serve the API's and the worker's business metrics.
  const apiMetrics = config.API_METRICS_PORT > 0 ? await startOpsServer({ port: config.API_METRICS_PORT }) : null;
  const workerHealth = config.WORKER_HEALTH_PORT > 0 ? await startWorkerHealthServer({ port: config.WORKER_HEALTH_PORT, worker, temporal: workerClient }) : null;
  const at = (port: number | undefined) => (port ? `http://127.0.0.1:${port}` : 'off');

  // The banner is the demo's user interface, not a log line: it goes to the terminal as it is.
  process.stdout.write(`
  Parking payment engine is running
  ---------------------------------
  API              ${config.PUBLIC_BASE_URL}        (health: /healthz, /readyz)
  Provider sandbox ${config.SANDBOX_BASE_URL}        (/netopia /epx /autopay /vipps /easypark)
  Temporal         ${config.TEMPORAL_ADDRESS}${startServers.temporal ? '\n  Temporal UI      http://127.0.0.1:8233' : ''}
  MongoDB          ${config.MONGODB_URI}
  Metrics          API ${at(apiMetrics?.port)}/metrics, worker ${at(workerHealth?.port)}/metrics, Temporal SDK ${at(config.WORKER_METRICS_PORT)}/metrics
  Worker health    ${at(workerHealth?.port)}/healthz
  Traces           ${tracing()?.enabled ? `OTLP to ${process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'the OTEL_* default'}` : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT to export)'}

  Demo driver token   ${config.DEMO_DRIVER_TOKEN}     (Authorization: Bearer ...)
  Demo gate API keys  ${config.DEMO_GATE_API_KEY}-<parking>-<entrance|exit>   (X-API-Key; one per gate, bound to its MAC)
  Ops token           ${config.OPS_API_TOKEN}     (Authorization: Bearer ...; ops user "demo-ops")
  EasyPark fleet      ${config.DEMO_EASYPARK_USERNAME} / ${config.DEMO_EASYPARK_PASSWORD}
  Parkings            187 Secured P 1 (Netopia, RON), 188 EPX Garage (USD), 189 fast demo (0.10 RON/min), 191 fast EPX demo (0.25 USD/min), area1 Autopay (NOK)
  Test cards          the seed's sandbox cards are listed in README.md (Netopia on 187/189, EPX on 188)

  README.md walks through a whole session with curl. Ctrl-C stops everything.
`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await closeWorker().catch(() => undefined);
    await api.close().catch(() => undefined);
    await apiMetrics?.close();
    await workerHealth?.close();
    await tracing()?.shutdown().catch(() => undefined);
    sandbox.close();
    await new Promise<void>((resolve) => {
      sandboxServer.close(() => resolve());
      sandboxServer.closeAllConnections();
    });
    await disconnectDb().catch(() => undefined);
    for (const child of children.reverse()) await child.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(async (err) => {
  log.fatal({ err }, 'start failed');
  // Never leave a half-started stack behind: the servers we started go down with us.
  for (const child of children.reverse()) await child.stop();
  process.exit(1);
});
