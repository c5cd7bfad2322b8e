/**
 * Starts what the workflow and API tests need, once for the whole run: FerretDB (in memory) and a Temporal
 * dev server (in memory, headless) on free ports. The time-skipping server is started per test file by
 * test/helpers/time-skipping.ts. Unit-only runs start nothing.
 */
import type { Config } from '@jest/types';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startFerretDb, startTemporalDev, type RunningServer } from '../../src/platform/local-servers';

declare global {
  var __TEST_SERVERS__: RunningServer[] | undefined;
  var __TEST_DATA_DIR__: string | undefined;
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const only = (globalConfig as Config.GlobalConfig & { selectProjects?: string[] }).selectProjects;
  if (process.env.SKIP_SERVERS === '1' || (only && only.length > 0 && only.every((p) => p === 'unit'))) return;

  execFileSync('bash', [path.join(__dirname, '..', '..', 'tools', 'build-all.sh')], { stdio: 'inherit' });
  const [mongoPort, temporalPort] = [await freePort(), await freePort()];
  process.stderr.write(`\n[test] starting FerretDB on ${mongoPort} and Temporal dev server on ${temporalPort}\n`);
  const servers = await Promise.all([
    startFerretDb({ port: mongoPort, dataDir: (globalThis.__TEST_DATA_DIR__ = mkdtempSync(path.join(os.tmpdir(), 'parking-test-db-'))) }),
    startTemporalDev({ port: temporalPort, uiPort: null, dbFile: null }),
  ]);
  globalThis.__TEST_SERVERS__ = servers;
  process.env.TEST_MONGODB_BASE = `mongodb://127.0.0.1:${mongoPort}`;
  process.env.TEST_TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
}
