/** The printed form of a `npm run bench:load` report: one table per section. */
import type { CpuPerSession, LoadReport } from './load';
import { STEPS } from './load-sessions';
import { round } from './load-stats';

/** A section with no rows (its phase was skipped) is not printed. */
function table(head: string[], rows: (string | number)[][]): void {
  if (rows.length === 0) return;
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isFinite(c) ? String(c) : '-') : c)));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
  console.log('');
}

export function printReport(r: LoadReport): void {
  console.log(`\nbench:load, Node ${r.node}, ${r.seconds} s\n`);
  table(
    ['concurrency', 'sessions', 'failed', 'sessions/s', 'no-op/s', 'ratio'],
    r.levels.map((l) => [l.concurrency, l.sessions, l.failed, l.sessionsPerSec, l.noopPerSec, l.ratio]),
  );
  table(
    ['HTTP step p50/p99 ms', ...r.levels.map((l) => `c=${l.concurrency}`)],
    STEPS.map((s) => [s, ...r.levels.map((l) => `${l.steps[s]?.p50Ms}/${l.steps[s]?.p99Ms}`)]),
  );
  const h = r.halfLoad;
  if (h) {
    console.log(
      `half load, open loop: ${h.offeredPerSec} sessions/s offered (half of c=${h.basis.concurrency}'s ${h.basis.sessionsPerSec}), ` +
        `${h.completedPerSec} completed/s, ${h.sessions} sessions, ${h.failed} failed, at most ${h.maxInFlight} in progress, ${h.seconds} s\n`,
    );
    table(['HTTP step p50/p99 ms', 'half load'], STEPS.map((s) => [s, `${h.steps[s]?.p50Ms}/${h.steps[s]?.p99Ms}`]));
  }
  const c = r.perSession;
  if (c) {
    table(
      ['per session (history)', 'events', 'activities', 'local activities', 'workflow tasks', 'SA upserts', 'timers'],
      [
        ['card-paid barrier session', c.session.events, c.session.activities, c.session.localActivities, c.session.workflowTasks, c.session.searchAttributeUpserts, c.session.timers],
        ['no-op of the same shape', c.noop.events, c.noop.activities, c.noop.localActivities, c.noop.workflowTasks, c.noop.searchAttributeUpserts, c.noop.timers],
      ],
    );
  }
  const cpuRow = (label: string, c: CpuPerSession) => {
    const ms = c.msPerSession;
    const sum = round(Object.values(ms).filter(Number.isFinite).reduce((a, b) => a + b, 0), 1);
    return [label, ms.temporal!, ms.ferretdb!, ms.bench!, sum, c.elsewhereMsPerSession, `${Math.round(c.machineBusy * 100)}%`];
  };
  if (r.levels.length > 0) console.log(`CPU (utime + stime) per session by process; the bench process holds the API, worker, sandboxes and clients; ${r.cpus} CPUs\n`);
  table(
    ['CPU ms per session', 'temporal', 'ferretdb', 'bench process', 'sum', 'elsewhere', 'machine busy'],
    r.levels.flatMap((l) => [cpuRow(`c=${l.concurrency} full-stack`, l.cpu.fullStack), cpuRow(`c=${l.concurrency} no-op`, l.cpu.noop)]),
  );
  const w = r.openSessionsWorker;
  console.log(`open sessions on a worker process of their own: ${w.maxCachedWorkflows} cached workflows at most, ${w.maxConcurrentWorkflowTasks} concurrent workflow tasks\n`);
  table(
    ['open sessions', 'opened', 'projected', 'deferred', 'worker RSS before MiB', 'worker RSS after MiB', 'KiB/session', 'CPU ms/session worker/temporal/ferretdb/bench', 'machine busy', 'seconds'],
    r.openSessions.map((p) => {
      const s = p.serversCpuMsPerSession;
      const cpu = [p.workerCpuMsPerSession, s.temporal, s.ferretdb, s.bench].map((ms) => (Number.isFinite(ms) ? String(round(ms!, 1)) : '-')).join('/');
      return [p.target, p.opened, p.projected, p.projectionsDeferred, p.rssBeforeMiB, p.rssAfterMiB, p.kibPerSession, cpu, `${Math.round(p.machineBusy * 100)}%`, p.seconds];
    }),
  );
  const said = Object.entries(w.logCounts).sort((a, b) => b[1] - a[1]);
  if (said.length > 0) {
    console.log('the open sessions\' worker said (warnings and errors, by message):');
    for (const [msg, count] of said.slice(0, 8)) console.log(`  ${String(count).padStart(6)}  ${msg.slice(0, 140)}`);
    console.log('');
  }
  table(
    ['session rows', 'seeded', 'by id p50/p99 ms', 'by access command p50/p99 ms', 'samples'],
    r.lookups.map((l) => [l.rows, l.seeded, `${l.byId.p50Ms}/${l.byId.p99Ms}`, `${l.byAccessCommand.p50Ms}/${l.byAccessCommand.p99Ms}`, `${l.byId.samples}/${l.byAccessCommand.samples}`]),
  );
}
