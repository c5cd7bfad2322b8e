/**
 * How the sandbox clock moves. `running` (the demo, `npm start`): real time plus an offset. `frozen` (tests that own
 * time, e.g. on Temporal's time-skipping server): sandbox time moves only when set or advanced, so it is exactly what
 * the test set, however long the test takes in wall time.
 */
export type SandboxClockMode = 'running' | 'frozen';

/**
 * The Vipps sandbox's own clock. Charges are due on calendar dates and drafts expire after 10 minutes,
 * so tests and demos must move time without waiting: POST /_clock/advance and /_clock/set move it. Dates are UTC
 * calendar days (a documented sandbox simplification: real Vipps batches run on Norwegian local time).
 */
export class SandboxClock {
  private offsetMs = 0;
  /** Frozen mode only: sandbox time itself, which nothing but set/advance changes. */
  private frozenAtMs: number | undefined;

  constructor(
    private readonly realNow: () => number = Date.now,
    readonly mode: SandboxClockMode = 'running',
  ) {
    // A frozen clock starts at the moment it is made, as a running one would read then.
    if (mode === 'frozen') this.frozenAtMs = realNow();
  }

  now(): Date {
    return new Date(this.frozenAtMs ?? this.realNow() + this.offsetMs);
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  /** Sandbox "today" as YYYY-MM-DD (UTC). */
  today(): string {
    return isoDay(this.now());
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the sandbox clock only moves forward');
    if (this.frozenAtMs !== undefined) this.frozenAtMs += ms;
    else this.offsetMs += ms;
  }

  /**
   * How far sandbox time is ahead of real time (saved across restarts, so a demo's days stay where they were).
   * A frozen clock reports the same distance as of now; restored, it is frozen again at real time plus that.
   */
  get offset(): number {
    return this.frozenAtMs === undefined ? this.offsetMs : this.frozenAtMs - this.realNow();
  }

  restoreOffset(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.frozenAtMs !== undefined) this.frozenAtMs = this.realNow() + ms;
    else this.offsetMs = ms;
  }

  set(at: Date): void {
    if (Number.isNaN(at.getTime())) throw new RangeError('invalid date');
    if (this.frozenAtMs !== undefined) this.frozenAtMs = at.getTime();
    else this.offsetMs = at.getTime() - this.realNow();
  }
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Calendar arithmetic on YYYY-MM-DD strings (UTC, so no DST surprises). */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDay(d);
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
