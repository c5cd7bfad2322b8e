/**
 * The Vipps sandbox's own clock. Charges are due on calendar dates and drafts expire after 10 minutes,
 * so tests and demos must move time without waiting: the clock runs with real time plus an offset
 * that POST /_clock/advance and /_clock/set change. Dates are UTC calendar days (a documented sandbox
 * simplification: real Vipps batches run on Norwegian local time).
 */
export class SandboxClock {
  private offsetMs = 0;

  constructor(private readonly realNow: () => number = Date.now) {}

  now(): Date {
    return new Date(this.realNow() + this.offsetMs);
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
    this.offsetMs += ms;
  }

  /** How far sandbox time is ahead of real time (saved across restarts, so a demo's days stay where they were). */
  get offset(): number {
    return this.offsetMs;
  }

  restoreOffset(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.offsetMs = ms;
  }

  set(at: Date): void {
    if (Number.isNaN(at.getTime())) throw new RangeError('invalid date');
    this.offsetMs = at.getTime() - this.realNow();
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
