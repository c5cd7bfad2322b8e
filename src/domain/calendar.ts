/**
 * Calendar days in a named time zone, as pure functions of an epoch instant. Used by the Vipps billing
 * workflow (deterministic: it passes workflow time in) to bucket usage per merchant-local day and to
 * sleep until the local midnight. Intl does the zone rules, so DST days (23 h / 25 h) come out right.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA with hourCycle h23 gives numeric parts; we read them by type, never by position.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for a zone name Intl does not know (fail at start-up, not at midnight). */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

function wallClock(instantMs: number, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { y: parts.year, m: parts.month, d: parts.day, h: parts.hour % 24, min: parts.minute, s: parts.second };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The local calendar day (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDay(instantMs: number, timeZone: string): string {
  const w = wallClock(instantMs, timeZone);
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}`;
}

/** Offset of `timeZone` from UTC at an instant, in ms (Oslo summer: +2 h). */
function offsetMs(instantMs: number, timeZone: string): number {
  const w = wallClock(instantMs, timeZone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** The instant local midnight starts `day` in `timeZone` (checked twice: the offset may differ across a DST change). */
export function startOfLocalDay(day: string, timeZone: string): number {
  const [y, m, d] = parseDay(day);
  const guess = Date.UTC(y, m - 1, d);
  let instant = guess - offsetMs(guess, timeZone);
  const corrected = guess - offsetMs(instant, timeZone);
  if (corrected !== instant) instant = corrected;
  return instant;
}

/** The instant the local day containing `instantMs` ends (= the next local midnight). */
export function endOfLocalDay(instantMs: number, timeZone: string): number {
  return startOfLocalDay(addDays(localDay(instantMs, timeZone), 1), timeZone);
}

function parseDay(day: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Calendar arithmetic on YYYY-MM-DD (no zone involved). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = parseDay(day);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** "2025-08-07" → "20250807" (for ids). */
export function compactDay(day: string): string {
  parseDay(day);
  return day.replace(/-/g, '');
}
