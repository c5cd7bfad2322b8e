/**
 * Hot lookups as the number of session rows grows: rows are seeded straight into the read model, then the
 * lookups the gate and the app make on every request are timed with the API's own mongoose model.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SessionKeyModel, SessionModel, sessionRowId } from '../src/db/models';
import { percentile } from './load-stats';

/** Above the open-session range: seeded rows never meet a workflow. */
const SEED_ID_BASE = 800_000_000;
const BATCH = 1_000;

export interface LookupPoint {
  rows: number;
  seeded: number;
  seedSeconds: number;
  byId: { samples: number; p50Ms: number; p99Ms: number };
  byAccessCommand: { samples: number; p50Ms: number; p99Ms: number };
}

async function timeLookups(samples: number, budgetMs: number, lookup: (i: number) => Promise<unknown>) {
  const times: number[] = [];
  const deadline = Date.now() + budgetMs;
  for (let i = 0; i < samples && (i === 0 || Date.now() < deadline); i++) {
    const t0 = performance.now();
    await lookup(i);
    times.push(performance.now() - t0);
  }
  return { samples: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

export async function measureLookups(targets: number[], samples: number, seedBudgetMs: number, lookupBudgetMs: number): Promise<LookupPoint[]> {
  const points: LookupPoint[] = [];
  const commands: string[] = [];
  const existing = await SessionModel.countDocuments({});
  for (const target of targets) {
    const started = Date.now();
    const want = Math.max(0, target - existing - commands.length);
    while (commands.length < target - existing && Date.now() - started < seedBudgetMs && want > 0) {
      const rows = Array.from({ length: Math.min(BATCH, target - existing - commands.length) }, () => {
        const sessionId = SEED_ID_BASE + commands.length;
        const entranceAccessCommand = randomUUID().replace(/-/g, '');
        commands.push(entranceAccessCommand);
        return { _id: sessionRowId(sessionId), sessionId, driverId: 'bench-seeded', parkingId: 189, kind: 'barrier', state: 'closed', entranceAccessCommand, version: 1 };
      });
      await SessionModel.insertMany(rows, { ordered: false });
      await SessionKeyModel.insertMany(rows.map((r) => ({ _id: r.entranceAccessCommand, sessionId: r.sessionId })), { ordered: false });
    }
    const rows = existing + commands.length;
    const seedSeconds = (Date.now() - started) / 1000;
    // Spread over the whole range: a lookup of the newest row only would flatter a scan that stops early.
    const pick = (i: number) => Math.floor(((i * 7919) % Math.max(1, commands.length)));
    const byId = await timeLookups(samples, lookupBudgetMs, (i) => SessionModel.findById(sessionRowId(SEED_ID_BASE + pick(i))).lean());
    const byAccessCommand = await timeLookups(samples, lookupBudgetMs, (i) =>
      SessionKeyModel.findById(commands[pick(i)] ?? 'none').lean(),
    );
    points.push({ rows: target, seeded: rows, seedSeconds, byId, byAccessCommand });
    if (rows < target) break; // out of seeding time
  }
  return points;
}
