/**
 * `npm run bench:load` keeps working: a run with tiny numbers, on servers of its own, writes a report with every
 * section filled with numbers. Speed is not asserted (benchmarks are for speed, tests for behaviour).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../src/platform/local-servers';

const run = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-load-smoke-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

test('a tiny bench:load run reports throughput, step latencies (closed loop and at half load), CPU per process, history counts, worker RSS and lookups as numbers', async () => {
  const file = path.join(dir, 'load.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_CONCURRENCY: '1,2',
    BENCH_ROUNDS: '1',
    BENCH_HALF_LOAD_SESSIONS: '3',
    BENCH_OPEN_SESSIONS: '3,6',
    BENCH_WORKER_CACHE: '4',
    BENCH_LOOKUP_ROWS: '50,100',
    BENCH_LOOKUP_SAMPLES: '3',
    BENCH_RESULTS_FILE: file,
  };
  // Servers of its own: the jest dev server's workflow ids belong to the other test files.
  delete env.TEMPORAL_ADDRESS;
  delete env.MONGODB_URI;
  const { stdout, stderr } = await run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bench', 'load.ts')], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 });
  expect(stdout).toContain('sessions/s');
  const report = JSON.parse(readFileSync(file, 'utf8'));

  expect(report.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 2]);
  // A failed session names its cause in the bench's log: shown here, so a red run says why.
  const failures = `${stdout}\n${stderr}`.split('\n').filter((line) => line.includes('session failed'));
  expect(failures).toEqual([]);
  for (const level of report.levels) {
    expect(level.failed).toBe(0);
    for (const key of ['sessions', 'sessionsPerSec', 'noopPerSec', 'ratio']) expect(isNumber(level[key])).toBe(true);
    const steps = Object.values(level.steps) as Array<{ p50Ms: number; p99Ms: number }>;
    expect(steps.length).toBeGreaterThanOrEqual(10);
    for (const s of steps) expect([isNumber(s.p50Ms), isNumber(s.p99Ms)]).toEqual([true, true]);
    // On servers of its own every process is accounted for, and each run costs the bench process some CPU.
    for (const run of [level.cpu.fullStack, level.cpu.noop]) {
      expect(Object.keys(run.msPerSession).sort()).toEqual(['bench', 'ferretdb', 'temporal']);
      for (const ms of Object.values(run.msPerSession)) expect(isNumber(ms)).toBe(true);
      expect(run.msPerSession.bench).toBeGreaterThan(0);
      expect(run.machineBusy).toBeGreaterThan(0);
      expect(run.machineBusy).toBeLessThanOrEqual(1);
    }
  }
  // Open loop at half the best level's throughput: every arrival completes, with step latencies as numbers.
  const best = Math.max(...report.levels.map((l: { sessionsPerSec: number }) => l.sessionsPerSec));
  expect(report.halfLoad.basis.sessionsPerSec).toBe(best);
  expect(report.halfLoad.offeredPerSec).toBeCloseTo(best / 2, 1);
  expect([report.halfLoad.sessions, report.halfLoad.failed]).toEqual([3, 0]);
  expect(report.halfLoad.maxInFlight).toBeGreaterThanOrEqual(1);
  for (const s of Object.values(report.halfLoad.steps) as Array<{ p50Ms: number; p99Ms: number }>) expect([isNumber(s.p50Ms), isNumber(s.p99Ms)]).toEqual([true, true]);
  for (const counts of [report.perSession.session, report.perSession.noop]) {
    for (const key of ['events', 'activities', 'localActivities', 'workflowTasks']) expect(isNumber(counts[key])).toBe(true);
  }
  // The same shape: the no-op has as many activities and signals as the session (the event budget itself is
  // asserted in test/workflows/parking-session.test.ts, where no racing query can split a workflow task).
  expect(report.perSession.noop.activities).toBe(report.perSession.session.activities);
  expect(report.perSession.noop.signals).toBe(report.perSession.session.signals);
  expect(report.openSessions.map((p: { target: number; opened: number }) => [p.target, p.opened])).toEqual([
    [3, 3],
    [6, 6],
  ]);
  // The open sessions ran on the worker process of their own: each one's first projection is in the read model.
  expect(report.openSessions.map((p: { projected: number }) => p.projected)).toEqual([3, 6]);
  // A cache smaller than the sessions: the first ones are evicted, and the worker is sized from the bench's knob.
  expect([report.openSessionsWorker.maxCachedWorkflows, report.openSessionsWorker.maxConcurrentWorkflowTasks]).toEqual([4, 4]);
  for (const p of report.openSessions) {
    expect([isNumber(p.kibPerSession), p.rssBeforeMiB > 0, p.rssAfterMiB > 0, isNumber(p.workerCpuMsPerSession), isNumber(p.projectionsDeferred)]).toEqual([true, true, true, true, true]);
  }
  expect(report.lookups.map((l: { rows: number }) => l.rows)).toEqual([50, 100]);
  for (const l of report.lookups) expect([isNumber(l.byId.p50Ms), isNumber(l.byAccessCommand.p99Ms)]).toEqual([true, true]);
});
