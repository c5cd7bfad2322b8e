/**
 * `npm run bench:load` (issue 12): complete card-paid barrier sessions over HTTP at several concurrencies, and a
 * no-op workflow of the same shape on the same server in the same run; then sessions arriving open-loop at half
 * the best throughput, for latencies at half load; events and activities per session from
 * the histories; CPU time per session of each process (Temporal, FerretDB, this one) for both; the RSS of a worker
 * process of its own per open session; hot-lookup latency as session rows grow. Prints a table and writes the same
 * data as JSON to bench/results/. Numbers only: nothing here passes or fails on speed.
 *
 * Knobs (env): BENCH_CONCURRENCY=1,4,16,32  BENCH_ROUNDS=3 (sessions per lane per level, at least 4 sessions)
 *   BENCH_HALF_LOAD_SESSIONS=60 (open-loop arrivals at half the best level's sessions/s)
 *   BENCH_OPEN_SESSIONS=1000,10000  BENCH_OPEN_BUDGET_S=150 (per target, opening and settling)  BENCH_WORKER_CACHE=<max cached workflows of the open
 *   sessions' worker; default WORKER_MAX_CACHED_WORKFLOWS or the product's>  BENCH_LOOKUP_ROWS=10000,100000  BENCH_LOOKUP_SAMPLES=50
 *   BENCH_SEED_BUDGET_S=120  BENCH_LOOKUP_BUDGET_S=15  BENCH_RESULTS_FILE=<path>  TEMPORAL_ADDRESS / MONGODB_URI
 * A list knob set to nothing skips its phase (BENCH_CONCURRENCY= BENCH_LOOKUP_ROWS= measures the open sessions only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../src/platform/local-servers';
import type { HistoryCounts } from '../src/temporal/history-counts';
import { measureLookups, type LookupPoint } from './load-lookups';
import { endOpenSessions, measureOpenSessions, type RssPoint } from './load-memory';
import { cardPaidSession, countsOf, noopSessionRun, sessionWorkflow, type StepTimes } from './load-sessions';
import { startLoadStack } from './load-stack';
import { measureHalfLoad, stepPercentiles, type HalfLoadResult } from './load-half';
import { intList, mean, pool, round } from './load-stats';
import { startBenchWorker } from './load-worker';
import { printReport } from './load-report';
import { cpuSince, sampleCpu, type CpuSample } from './proc-stats';

export interface LevelResult {
  concurrency: number;
  sessions: number;
  failed: number;
  sessionsPerSec: number;
  noopPerSec: number;
  ratio: number;
  steps: Record<string, { p50Ms: number; p99Ms: number }>;
  cpu: { fullStack: CpuPerSession; noop: CpuPerSession };
}

/** Where the CPU of one run went, per session; NaN for a server the bench did not start. */
export interface CpuPerSession {
  /** utime + stime per session: temporal (dev server), ferretdb, bench (API, worker, sandboxes and the bench's clients). */
  msPerSession: Record<string, number>;
  /** Busy CPU of the machine outside those processes, per session (other jobs on the machine). */
  elsewhereMsPerSession: number;
  /** Busy share of all CPUs together during the run, 0..1. */
  machineBusy: number;
}

export interface OpenSessionsWorker {
  taskQueue: string;
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTasks: number;
  /** The worker's warnings and errors during the phase, by message. */
  logCounts: Record<string, number>;
}

export interface LoadReport {
  startedAt: string;
  node: string;
  levels: LevelResult[];
  /** Open-loop arrivals at half the best closed-loop throughput (null without a level that had no failure). */
  halfLoad: HalfLoadResult | null;
  /** Null when no concurrency level ran. */
  perSession: { session: HistoryCounts; noop: HistoryCounts } | null;
  cpus: number;
  openSessionsWorker: OpenSessionsWorker;
  openSessions: RssPoint[];
  lookups: LookupPoint[];
  seconds: number;
}

const env = process.env;
const num = (name: string, fallback: number) => {
  const v = Number(env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

function cpuPerSession(before: CpuSample, after: CpuSample, sessions: number): CpuPerSession {
  const spent = cpuSince(before, after);
  return {
    msPerSession: Object.fromEntries(Object.entries(spent.perProcessMs).map(([name, ms]) => [name, round(ms / sessions, 1)])),
    elsewhereMsPerSession: round(spent.elsewhereMs / sessions, 1),
    machineBusy: round(spent.machineBusy),
  };
}

function averageCounts(list: HistoryCounts[]): HistoryCounts {
  const keys = Object.keys(list[0]!) as (keyof HistoryCounts)[];
  return Object.fromEntries(keys.map((k) => [k, round(mean(list.map((c) => c[k])), 1)])) as unknown as HistoryCounts;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const concurrencies = intList(env.BENCH_CONCURRENCY, [1, 4, 16, 32]);
  const rounds = num('BENCH_ROUNDS', 3);
  const stack = await startLoadStack();
  try {
    const { config, temporal, processes } = stack;
    const log = (m: string) => process.stderr.write(`[bench:load] ${m}\n`);
    // Warm-up: the first session pays for bundles, connections and JIT.
    if (concurrencies.length > 0) {
      await cardPaidSession(config);
      await noopSessionRun(temporal);
    }

    const levels: LevelResult[] = [];
    const sessionIds: number[] = [];
    const noopIds: string[] = [];
    for (const concurrency of concurrencies) {
      const total = Math.max(4, concurrency * rounds);
      const times: StepTimes[] = [];
      let failed = 0;
      const fullCpu = sampleCpu(processes);
      const fullStart = performance.now();
      await pool(total, concurrency, async () => {
        try {
          const { id, times: t } = await cardPaidSession(config);
          times.push(t);
          sessionIds.push(id);
        } catch (err) {
          failed += 1;
          log(`session failed: ${(err as Error).message}`);
        }
      });
      const fullSeconds = (performance.now() - fullStart) / 1000;
      const noopCpu = sampleCpu(processes);
      const noopStart = performance.now();
      await pool(total, concurrency, async () => void noopIds.push(await noopSessionRun(temporal)));
      const noopSeconds = (performance.now() - noopStart) / 1000;
      const cpu = { fullStack: cpuPerSession(fullCpu, noopCpu, total), noop: cpuPerSession(noopCpu, sampleCpu(processes), total) };
      const steps = stepPercentiles(times);
      const sessionsPerSec = (total - failed) / fullSeconds;
      const noopPerSec = total / noopSeconds;
      levels.push({ concurrency, sessions: total, failed, sessionsPerSec: round(sessionsPerSec), noopPerSec: round(noopPerSec), ratio: round(sessionsPerSec / noopPerSec), steps, cpu });
      log(`concurrency ${concurrency}: ${round(sessionsPerSec)} sessions/s, no-op ${round(noopPerSec)}/s`);
    }

    // Half of the best throughput a level sustained (no failures), offered open-loop.
    const sustained = levels.filter((l) => l.failed === 0).sort((a, b) => b.sessionsPerSec - a.sessionsPerSec)[0];
    let halfLoad: HalfLoadResult | null = null;
    if (sustained) {
      log(`half load: ${round(sustained.sessionsPerSec / 2)} sessions/s offered (half of c=${sustained.concurrency})`);
      halfLoad = await measureHalfLoad(config, { concurrency: sustained.concurrency, sessionsPerSec: sustained.sessionsPerSec }, num('BENCH_HALF_LOAD_SESSIONS', 60), (err) =>
        log(`session failed: ${err.message}`),
      );
    }

    const sample = <T>(list: T[]) => list.slice(-5);
    const perSession = sessionIds.length === 0 ? null : {
      session: averageCounts(await Promise.all(sample(sessionIds).map((id) => countsOf(temporal, sessionWorkflow(id))))),
      noop: averageCounts(await Promise.all(sample(noopIds).map((id) => countsOf(temporal, id)))),
    };

    // Before the open sessions: their first tasks and projections would still be writing while the lookups are timed.
    log('seeding session rows (hot lookups)');
    const lookups = await measureLookups(
      intList(env.BENCH_LOOKUP_ROWS, [10_000, 100_000]),
      num('BENCH_LOOKUP_SAMPLES', 50),
      num('BENCH_SEED_BUDGET_S', 120) * 1000,
      num('BENCH_LOOKUP_BUDGET_S', 15) * 1000,
    );

    log('starting a worker process for the open sessions');
    const worker = await startBenchWorker(config, temporal, {
      taskQueue: `bench-open-${process.pid}`,
      cachedWorkflows: env.BENCH_WORKER_CACHE === undefined ? undefined : Math.floor(num('BENCH_WORKER_CACHE', 1)),
      log,
    });
    let open: Awaited<ReturnType<typeof measureOpenSessions>>;
    try {
      log(`opening sessions that wait (worker pid ${worker.pid}, ${worker.sizing.maxCachedWorkflows} cached workflows at most)`);
      open = await measureOpenSessions(worker, processes, temporal, intList(env.BENCH_OPEN_SESSIONS, [1000, 10000]), num('BENCH_OPEN_BUDGET_S', 150) * 1000);
    } finally {
      await worker.stop();
    }
    if (env.TEMPORAL_ADDRESS) await endOpenSessions(temporal, open.opened);

    const report: LoadReport = {
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      node: process.version,
      levels,
      halfLoad,
      perSession,
      cpus: os.cpus().length,
      openSessionsWorker: { taskQueue: worker.taskQueue, maxCachedWorkflows: worker.sizing.maxCachedWorkflows, maxConcurrentWorkflowTasks: worker.sizing.maxConcurrentWorkflowTaskExecutions, logCounts: worker.logCounts },
      openSessions: open.points.map((p) => ({
        ...p,
        rssBeforeMiB: round(p.rssBeforeMiB, 1),
        rssAfterMiB: round(p.rssAfterMiB, 1),
        kibPerSession: round(p.kibPerSession, 1),
        workerCpuMsPerSession: round(p.workerCpuMsPerSession, 2),
        serversCpuMsPerSession: Object.fromEntries(Object.entries(p.serversCpuMsPerSession).map(([name, ms]) => [name, round(ms, 2)])),
        machineBusy: round(p.machineBusy),
        seconds: round(p.seconds, 1),
      })),
      lookups: lookups.map((l) => ({ ...l, seedSeconds: round(l.seedSeconds, 1), byId: roundTimes(l.byId), byAccessCommand: roundTimes(l.byAccessCommand) })),
      seconds: round((performance.now() - t0) / 1000, 1),
    };
    printReport(report);
    const file = env.BENCH_RESULTS_FILE ?? path.join(ROOT, 'bench', 'results', `load-${report.startedAt.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  } finally {
    await stack.stop();
  }
}

const roundTimes = (t: { samples: number; p50Ms: number; p99Ms: number }) => ({ samples: t.samples, p50Ms: round(t.p50Ms, 2), p99Ms: round(t.p99Ms, 2) });

main().then(
  () => process.exit(0),
  (err) => {
    console.error('[bench:load] failed:', err);
    process.exit(1);
  },
);
