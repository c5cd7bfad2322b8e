/**
 * Worker memory per open session: N barrier sessions started straight through the client (opening them over HTTP
 * would measure the API, not the cache) wait for their car, on the task queue of a worker process of their own
 * (bench/load-worker.ts); that process's RSS before and after, divided by N, and its CPU per opened session.
 * Each session's row is inserted first, as the API does before it starts a workflow (allocateSession): the
 * worker's first projection then updates it, as in production. Without it every first projection created the row
 * and took a slot in the one bench driver's session list, 10,000 of them racing for the same slots.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { SANDBOX_DEFAULTS } from '../src/config';
import { SessionModel, sessionRowId } from '../src/db/models';
import { findParking, toParkingSnapshot } from '../src/db/parking-snapshot';
import { sessionWorkflowId } from '../src/temporal/ids';
import { sessionStartSearchAttributes } from '../src/temporal/session-search-attributes';
import { SESSION_INPUT_REVISION, type ParkingSessionInput } from '../workflows/messages';
import { parkingSession } from '../workflows/parking-session';
import type { BenchWorker } from './load-worker';
import { pool } from './load-stats';
import { cpuMsOf, cpuSince, rssMiBOf, sampleCpu, type Processes } from './proc-stats';

/** Far above any id the API allocates in a bench run. */
export const OPEN_ID_BASE = 700_000_000;
const DRIVER_ID = 'bench-open-sessions';

export interface RssPoint {
  target: number;
  opened: number;
  /** Sessions whose first projection is in the read model: their first workflow task ran. */
  projected: number;
  /** First projections the worker reported as not written (the read model did not answer within its bound) so far. */
  projectionsDeferred: number;
  /** VmRSS of the worker process before the first session and with `opened` sessions open. */
  rssBeforeMiB: number;
  rssAfterMiB: number;
  kibPerSession: number;
  /** The worker's CPU (utime + stime) since the previous point, per session opened since then. */
  workerCpuMsPerSession: number;
  /** The same for the servers and the bench process (which starts the sessions), and the machine's busy share. */
  serversCpuMsPerSession: Record<string, number>;
  machineBusy: number;
  seconds: number;
}

export async function measureOpenSessions(worker: BenchWorker, processes: Processes, temporal: Client, targets: number[], budgetMs: number): Promise<{ points: RssPoint[]; opened: number }> {
  const parking = await findParking(189);
  if (!parking) throw new Error('demo parking 189 is missing');
  const snapshot = toParkingSnapshot(parking);
  const before = rssMiBOf(worker.pid);
  const points: RssPoint[] = [];
  let opened = 0;
  for (const target of targets) {
    // The rows first, outside the measured interval (the API's work, not the worker's).
    const ids = Array.from({ length: Math.max(0, target - opened) }, (_, i) => OPEN_ID_BASE + opened + i);
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = ids.slice(i, i + 1000).map((sessionId) => ({ _id: sessionRowId(sessionId), sessionId, driverId: DRIVER_ID, parkingId: snapshot.id, kind: 'barrier', state: 'entering', version: 0 }));
      await SessionModel.insertMany(rows, { ordered: false });
    }
    const started = Date.now();
    const [cpuBefore, serversBefore, openedBefore] = [cpuMsOf(worker.pid), sampleCpu(processes), opened];
    // One budget per target for opening and settling both, so a slow machine cannot stretch the phase: opening
    // stops at 80 % of it, the rest (10 s at least) waits for the first projections.
    const deadline = started + budgetMs * 0.8;
    await pool(ids.length, 32, async (i) => {
      if (Date.now() > deadline) return;
      const sessionId = ids[i]!;
      const input: ParkingSessionInput = {
        sessionId,
        driverId: DRIVER_ID,
        kind: 'barrier',
        parking: snapshot,
        createdAt: new Date().toISOString(),
        entranceKeyId: randomUUID(),
        settings: { entryTimeoutMs: 24 * 3_600_000, paymentAttemptTtlMs: 15 * 60_000, smartKeyTries: 3 },
        revision: SESSION_INPUT_REVISION, // as the API starts them
      };
      await temporal.workflow.start(parkingSession, {
        workflowId: sessionWorkflowId(sessionId),
        taskQueue: worker.taskQueue,
        args: [input],
        typedSearchAttributes: sessionStartSearchAttributes(input, SANDBOX_DEFAULTS.PLATE_HASH_KEY),
      });
      opened += 1;
    });
    // Each session has run its first task once its first projection is in the read model (version 1 on).
    const settleBy = Math.max(started + budgetMs, Date.now() + 10_000);
    // Bounded above: the lookups' seeded rows (bench/load-lookups.ts) have ids above these.
    const projectedCount = () => SessionModel.countDocuments({ sessionId: { $gte: OPEN_ID_BASE, $lt: OPEN_ID_BASE + opened }, version: { $gt: 0 } });
    let projected = await projectedCount();
    while (projected < opened && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 500));
      projected = await projectedCount();
    }
    const after = rssMiBOf(worker.pid);
    const servers = cpuSince(serversBefore, sampleCpu(processes));
    const perOpened = (ms: number) => (opened > openedBefore ? ms / (opened - openedBefore) : NaN);
    points.push({
      target,
      opened,
      projected,
      projectionsDeferred: Object.entries(worker.logCounts)
        .filter(([msg]) => msg.startsWith('session projection failed'))
        .reduce((n, [, count]) => n + count, 0),
      rssBeforeMiB: before,
      rssAfterMiB: after,
      kibPerSession: opened ? ((after - before) * 1024) / opened : NaN,
      workerCpuMsPerSession: perOpened(cpuMsOf(worker.pid) - cpuBefore),
      serversCpuMsPerSession: Object.fromEntries(Object.entries(servers.perProcessMs).map(([name, ms]) => [name, perOpened(ms)])),
      machineBusy: servers.machineBusy,
      seconds: (Date.now() - started) / 1000,
    });
    if (opened < target) break; // out of time: larger targets would only be slower
  }
  return { points, opened };
}

/** With a server of its own the bench throws everything away; on a shared one the open sessions are ended. */
export async function endOpenSessions(temporal: Client, opened: number): Promise<void> {
  await pool(opened, 32, async (i) => {
    await temporal.workflow
      .getHandle(sessionWorkflowId(OPEN_ID_BASE + i))
      .terminate('bench:load cleanup')
      .catch(() => undefined);
  });
}
