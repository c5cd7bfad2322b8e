/**
 * Half load, open loop: sessions start at a fixed rate (half the best closed-loop throughput of the same run)
 * whether or not earlier ones have finished, as drivers arrive. The closed-loop levels keep every lane busy, so
 * their latencies are those of a saturated machine; this phase gives the latencies at half the load the stack
 * sustains, which is what issue 12's "finalize p99 at half of the maximum sustainable load" asks for.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../src/config';
import { cardPaidSession, STEPS, type StepTimes } from './load-sessions';
import { percentile, round } from './load-stats';

export interface HalfLoadResult {
  /** The closed-loop level it halves: its concurrency and sessions/s. */
  basis: { concurrency: number; sessionsPerSec: number };
  offeredPerSec: number;
  sessions: number;
  failed: number;
  /** Sessions completed per second over the phase (start of the first to end of the last). */
  completedPerSec: number;
  /** Most sessions in progress at once. */
  maxInFlight: number;
  steps: Record<string, { p50Ms: number; p99Ms: number }>;
  seconds: number;
}

export function stepPercentiles(times: StepTimes[]): Record<string, { p50Ms: number; p99Ms: number }> {
  return Object.fromEntries(
    STEPS.map((step) => {
      const values = times.map((t) => t[step]).filter((v): v is number => v !== undefined);
      return [step, { p50Ms: round(percentile(values, 50), 1), p99Ms: round(percentile(values, 99), 1) }];
    }),
  );
}

export async function measureHalfLoad(
  config: Config,
  basis: { concurrency: number; sessionsPerSec: number },
  sessions: number,
  onFailure: (err: Error) => void,
): Promise<HalfLoadResult> {
  const offeredPerSec = basis.sessionsPerSec / 2;
  const intervalMs = 1000 / offeredPerSec;
  const times: StepTimes[] = [];
  let failed = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  const runs: Promise<void>[] = [];
  for (let i = 0; i < sessions; i += 1) {
    // Scheduled against the phase's start, so a late timer does not push every later arrival back.
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    runs.push(
      cardPaidSession(config)
        .then((r) => void times.push(r.times))
        .catch((err: Error) => {
          failed += 1;
          onFailure(err);
        })
        .finally(() => {
          inFlight -= 1;
        }),
    );
  }
  await Promise.all(runs);
  const seconds = (performance.now() - t0) / 1000;
  return {
    basis,
    offeredPerSec: round(offeredPerSec),
    sessions,
    failed,
    completedPerSec: round((sessions - failed) / seconds),
    maxInFlight,
    steps: stepPercentiles(times),
    seconds: round(seconds, 1),
  };
}
