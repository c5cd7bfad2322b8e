/**
 * Worker memory per open session: N barrier sessions started straight through the client (opening them over HTTP
 * would measure the API, not the cache) wait for their car; the process's RSS before and after, divided by N.
 * The worker runs in this process, so the delta is the worker's (its workflow cache above all).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { SANDBOX_DEFAULTS, type Config } from '../src/config';
import { SessionModel } from '../src/db/models';
import { findParking, toParkingSnapshot } from '../src/db/parking-snapshot';
import { sessionWorkflowId } from '../src/temporal/ids';
import { sessionStartSearchAttributes } from '../src/temporal/session-search-attributes';
import type { ParkingSessionInput } from '../workflows/messages';
import { parkingSession } from '../workflows/parking-session';
import { pool } from './load-stats';

/** Far above any id the API allocates in a bench run. */
export const OPEN_ID_BASE = 700_000_000;

export interface RssPoint {
  target: number;
  opened: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  kibPerSession: number;
  seconds: number;
}

const rssMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
};

export async function measureOpenSessions(config: Config, temporal: Client, targets: number[], budgetMs: number): Promise<{ points: RssPoint[]; opened: number }> {
  const parking = await findParking(189);
  if (!parking) throw new Error('demo parking 189 is missing');
  const snapshot = toParkingSnapshot(parking);
  const before = rssMiB();
  const points: RssPoint[] = [];
  let opened = 0;
  for (const target of targets) {
    const started = Date.now();
    const deadline = started + budgetMs;
    const ids = Array.from({ length: Math.max(0, target - opened) }, (_, i) => OPEN_ID_BASE + opened + i);
    await pool(ids.length, 32, async (i) => {
      if (Date.now() > deadline) return;
      const sessionId = ids[i]!;
      const input: ParkingSessionInput = {
        sessionId,
        driverId: 'bench-open-sessions',
        kind: 'barrier',
        parking: snapshot,
        createdAt: new Date().toISOString(),
        entranceKeyId: randomUUID(),
        settings: { entryTimeoutMs: 24 * 3_600_000, paymentAttemptTtlMs: 15 * 60_000, smartKeyTries: 3 },
      };
      await temporal.workflow.start(parkingSession, {
        workflowId: sessionWorkflowId(sessionId),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [input],
        typedSearchAttributes: sessionStartSearchAttributes(input, SANDBOX_DEFAULTS.PLATE_HASH_KEY),
      });
      opened += 1;
    });
    // Each session has run its first task once its first projection is in the read model.
    const settleBy = Date.now() + Math.max(30_000, budgetMs / 4);
    while ((await SessionModel.countDocuments({ sessionId: { $gte: OPEN_ID_BASE } })) < opened && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const after = rssMiB();
    points.push({
      target,
      opened,
      rssBeforeMiB: before,
      rssAfterMiB: after,
      kibPerSession: opened ? ((after - before) * 1024) / opened : NaN,
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
