import fc from 'fast-check';
import { priceStay, validateTariff, type PriceBreakdown, type Tariff } from '../../../src/domain/pricing';

/** The demo tariff: 15 free minutes, then 5.00 per started hour, capped at 40.00 per Bucharest day. */
const DEMO: Tariff = { graceMinutes: 15, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: '40.00', timeZone: 'Europe/Bucharest' };

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string): Date => new Date(iso);
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms);
const price = (start: Date, ms: number, t: Tariff = DEMO): PriceBreakdown => priceStay(start, plus(start, ms), t);

// ---- independent oracle ------------------------------------------------------------------------------

const oracleFormatters = new Map<string, Intl.DateTimeFormat>();
/** The local calendar date, computed through formatToParts (a different code path from the product's format()). */
function oracleDate(ms: number, timeZone: string): string {
  let f = oracleFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hourCycle: 'h23' });
    oracleFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month.padStart(2, '0')}-${parts.day.padStart(2, '0')}`;
}

/** Cents as BigInt from a 2-decimal string. */
function cents(s: string): bigint {
  const m = /^(\d+)\.(\d{2})$/.exec(s);
  if (!m) throw new Error(`not a 2-decimal amount: ${s}`);
  return BigInt(m[1]) * 100n + BigInt(m[2]);
}
const fmt = (c: bigint): string => `${c / 100n}.${(c % 100n).toString().padStart(2, '0')}`;

/** Prices a stay by enumerating every interval: slow and obviously right (only for a few thousand intervals). */
function oraclePrice(startMs: number, endMs: number, t: Tariff): PriceBreakdown {
  const duration = endMs - startMs;
  if (duration <= t.graceMinutes * MIN) return { amount: '0.00', intervals: 0, days: [] };
  const intervalMs = t.intervalMinutes * MIN;
  const total = Math.ceil(duration / intervalMs);
  const counts = new Map<string, number>();
  for (let k = 0; k < total; k++) {
    const date = oracleDate(startMs + k * intervalMs, t.timeZone);
    counts.set(date, (counts.get(date) ?? 0) + 1);
  }
  const p = cents(t.pricePerInterval);
  const cap = t.dailyCap === null ? null : cents(t.dailyCap);
  let sum = 0n;
  const days = [...counts].map(([date, n]) => {
    const raw = p * BigInt(n);
    const capped = cap !== null && raw > cap;
    const amount = capped ? cap : raw;
    sum += amount;
    return { date, intervals: n, amount: fmt(amount), capped };
  });
  return { amount: fmt(sum), intervals: total, days };
}

/** Every local date that [start, end] touches (each local day lasts at least 23 h, so hourly steps find them all). */
function localDaysTouched(startMs: number, endMs: number, timeZone: string): Set<string> {
  const days = new Set<string>();
  for (let ms = startMs; ms < endMs; ms += 30 * MIN) days.add(oracleDate(ms, timeZone));
  days.add(oracleDate(endMs, timeZone));
  return days;
}

// ---- generators --------------------------------------------------------------------------------------

const ZONES = ['Europe/Bucharest', 'Europe/Oslo', 'UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns'];
const amount2 = (maxCents: number) => fc.integer({ min: 0, max: maxCents }).map((c) => fmt(BigInt(c)));

const tariffArb: fc.Arbitrary<Tariff> = fc.record({
  graceMinutes: fc.integer({ min: 0, max: 60 }),
  intervalMinutes: fc.constantFrom(1, 5, 15, 20, 30, 45, 60, 90, 120, 1440),
  pricePerInterval: amount2(2_000),
  dailyCap: fc.option(amount2(20_000), { nil: null }),
  timeZone: fc.constantFrom(...ZONES),
});

// 2025-01-01 .. 2027-12-31, millisecond precision, so every DST change of three years is in range.
const startArb = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }).map((ms) => new Date(ms));
// Up to 10 days, with seconds and milliseconds.
const durationArb = fc.oneof(
  fc.integer({ min: 0, max: 4 * HOUR }),
  fc.integer({ min: 0, max: 10 * 24 * HOUR }),
  fc.integer({ min: 0, max: 120 }).map((m) => m * MIN),
);

/** Starts near the Bucharest DST changes of 2026 (and the days around them). */
const dstStartArb = fc
  .tuple(fc.constantFrom(Date.UTC(2026, 2, 28, 22), Date.UTC(2026, 9, 24, 21)), fc.integer({ min: -36 * HOUR, max: 36 * HOUR }))
  .map(([base, off]) => new Date(base + off));

// ---- examples, by hand ------------------------------------------------------------------------------

describe('priceStay: the demo tariff, by hand', () => {
  const noon = at('2026-01-12T10:00:00Z'); // 12:00 in Bucharest (UTC+2 in winter)

  it.each([
    [0, '0.00', 0],
    [1, '0.00', 0],
    [15, '0.00', 0], // grace is inclusive
    [16, '5.00', 1], // the first started hour counts from entry, grace included
    [60, '5.00', 1],
    [61, '10.00', 2],
    [180, '15.00', 3], // 3 h → 3 started hours
    [181, '20.00', 4],
    [8 * 60, '40.00', 8], // exactly the cap: not "capped"
    [8 * 60 + 1, '40.00', 9],
    [11 * 60 + 59, '40.00', 12], // 12:00 → 23:59 stays on one day
  ])('%i minutes from 12:00 → %s (%i intervals)', (minutes, amount, intervals) => {
    const p = price(noon, minutes * MIN);
    expect(p.amount).toBe(amount);
    expect(p.intervals).toBe(intervals);
  });

  it('15 minutes and 1 ms is no longer free', () => {
    expect(price(noon, 15 * MIN + 1).amount).toBe('5.00');
  });

  it('marks a day capped only when its raw price exceeds the cap', () => {
    expect(price(noon, 8 * HOUR).days).toEqual([{ date: '2026-01-12', intervals: 8, amount: '40.00', capped: false }]);
    expect(price(noon, 9 * HOUR).days).toEqual([{ date: '2026-01-12', intervals: 9, amount: '40.00', capped: true }]);
  });

  it('26 hours from 10:00 local: 14 hours on day one and 12 on day two, each capped at 40.00', () => {
    const p = price(at('2026-01-12T08:00:00Z'), 26 * HOUR);
    expect(p).toEqual({
      amount: '80.00',
      intervals: 26,
      days: [
        { date: '2026-01-12', intervals: 14, amount: '40.00', capped: true },
        { date: '2026-01-13', intervals: 12, amount: '40.00', capped: true },
      ],
    });
  });

  it('an interval belongs to the day it starts on: 22:30 → 00:45 is 3 hours, all 3 on day one', () => {
    // 22:30, 23:30 start on the 12th; 00:30 starts on the 13th.
    const p = price(at('2026-01-12T20:30:00Z'), 2 * HOUR + 15 * MIN);
    expect(p.days).toEqual([
      { date: '2026-01-12', intervals: 2, amount: '10.00', capped: false },
      { date: '2026-01-13', intervals: 1, amount: '5.00', capped: false },
    ]);
    expect(p.amount).toBe('15.00');
  });

  it('20:00 → 01:00 local crosses midnight without reaching the cap: 4 + 1 hours', () => {
    const p = price(at('2026-01-12T18:00:00Z'), 5 * HOUR);
    expect(p.amount).toBe('25.00');
    expect(p.days.map((d) => [d.date, d.intervals])).toEqual([
      ['2026-01-12', 4],
      ['2026-01-13', 1],
    ]);
  });

  it('a full week from midnight costs 7 × 40.00', () => {
    const p = price(at('2026-01-11T22:00:00Z'), 7 * 24 * HOUR);
    expect(p.amount).toBe('280.00');
    expect(p.days).toHaveLength(7);
    expect(p.days.every((d) => d.intervals === 24 && d.capped)).toBe(true);
  });

  it('uses the local (Bucharest) day, not the UTC day', () => {
    // 23:30 UTC on the 11th is 01:30 on the 12th in Bucharest.
    expect(price(at('2026-01-11T23:30:00Z'), HOUR).days[0].date).toBe('2026-01-12');
  });

  it('no cap: 30 days at 5.00/hour', () => {
    expect(price(at('2026-01-01T00:00:00Z'), 30 * 24 * HOUR, { ...DEMO, dailyCap: null }).amount).toBe('3600.00');
  });
});

describe('priceStay: DST in Europe/Bucharest', () => {
  const hourly: Tariff = { ...DEMO, graceMinutes: 0, pricePerInterval: '1.00', dailyCap: null };

  it('2026-03-29 has 23 hours', () => {
    const midnight = at('2026-03-28T22:00:00Z'); // 00:00 EET
    const p = price(midnight, 48 * HOUR, hourly);
    expect(p.days).toEqual([
      { date: '2026-03-29', intervals: 23, amount: '23.00', capped: false },
      { date: '2026-03-30', intervals: 24, amount: '24.00', capped: false },
      { date: '2026-03-31', intervals: 1, amount: '1.00', capped: false },
    ]);
    expect(p.amount).toBe('48.00');
  });

  it('2026-10-25 has 25 hours', () => {
    const midnight = at('2026-10-24T21:00:00Z'); // 00:00 EEST
    expect(price(midnight, 25 * HOUR, hourly).days).toEqual([{ date: '2026-10-25', intervals: 25, amount: '25.00', capped: false }]);
    expect(price(midnight, 26 * HOUR, hourly).days.map((d) => [d.date, d.intervals])).toEqual([
      ['2026-10-25', 25],
      ['2026-10-26', 1],
    ]);
  });

  it('per-minute tariff: 1380 minutes on 2026-03-29, 1500 on 2026-10-25', () => {
    const perMinute: Tariff = { ...hourly, intervalMinutes: 1, pricePerInterval: '0.01' };
    expect(priceStay(at('2026-03-28T22:00:00Z'), at('2026-03-29T21:00:00Z'), perMinute).days).toEqual([
      { date: '2026-03-29', intervals: 1380, amount: '13.80', capped: false },
    ]);
    expect(priceStay(at('2026-10-24T21:00:00Z'), at('2026-10-25T22:00:00Z'), perMinute).days).toEqual([
      { date: '2026-10-25', intervals: 1500, amount: '15.00', capped: false },
    ]);
  });

  it('the demo cap still applies once on the short and the long day', () => {
    expect(price(at('2026-03-28T22:00:00Z'), 23 * HOUR).days).toEqual([{ date: '2026-03-29', intervals: 23, amount: '40.00', capped: true }]);
    expect(price(at('2026-10-24T21:00:00Z'), 25 * HOUR).days).toEqual([{ date: '2026-10-25', intervals: 25, amount: '40.00', capped: true }]);
  });

  it('a stay over the skipped hour (02:30 → 04:30 local on 2026-03-29) is 1 real hour', () => {
    // 02:30 EET = 00:30Z; 04:30 EEST = 01:30Z.
    expect(priceStay(at('2026-03-29T00:30:00Z'), at('2026-03-29T01:30:00Z'), hourly).intervals).toBe(1);
  });

  it('a stay over the repeated hour (03:30 EEST → 03:30 EET on 2026-10-25) is 1 real hour', () => {
    expect(priceStay(at('2026-10-25T00:30:00Z'), at('2026-10-25T01:30:00Z'), hourly).intervals).toBe(1);
  });
});

describe('priceStay: input validation', () => {
  const t0 = at('2026-01-12T10:00:00Z');
  it('rejects end before start and invalid dates', () => {
    expect(() => priceStay(t0, plus(t0, -1), DEMO)).toThrow(RangeError);
    expect(() => priceStay(new Date('nope'), t0, DEMO)).toThrow(RangeError);
  });
  it('rejects bad tariffs', () => {
    expect(() => validateTariff({ ...DEMO, graceMinutes: -1 })).toThrow(RangeError);
    expect(() => validateTariff({ ...DEMO, graceMinutes: 1.5 })).toThrow(RangeError);
    expect(() => validateTariff({ ...DEMO, intervalMinutes: 0 })).toThrow(RangeError);
    expect(() => validateTariff({ ...DEMO, pricePerInterval: '-1.00' })).toThrow(RangeError);
    expect(() => validateTariff({ ...DEMO, dailyCap: '-0.01' })).toThrow(RangeError);
    expect(() => validateTariff({ ...DEMO, timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(() => validateTariff(DEMO)).not.toThrow();
  });
  it('a zero-length stay is free', () => {
    expect(priceStay(t0, t0, { ...DEMO, graceMinutes: 0 })).toEqual({ amount: '0.00', intervals: 0, days: [] });
  });
});

// ---- properties -------------------------------------------------------------------------------------

describe('priceStay: properties', () => {
  it('is never negative, and is the sum of its days', () => {
    fc.assert(
      fc.property(startArb, durationArb, tariffArb, (start, ms, t) => {
        const p = price(start, ms, t);
        expect(cents(p.amount) >= 0n).toBe(true);
        expect(p.days.reduce((s, d) => s + cents(d.amount), 0n)).toBe(cents(p.amount));
        expect(p.days.reduce((s, d) => s + d.intervals, 0)).toBe(p.intervals);
      }),
      { numRuns: 300 },
    );
  });

  it('is monotonic in the duration: a longer stay never costs less', () => {
    fc.assert(
      fc.property(startArb, durationArb, durationArb, tariffArb, (start, a, b, t) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        expect(cents(price(start, short, t).amount) <= cents(price(start, long, t).amount)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is monotonic in the duration around the DST changes too', () => {
    fc.assert(
      fc.property(dstStartArb, durationArb, durationArb, tariffArb, (start, a, b, t) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        const tz = { ...t, timeZone: 'Europe/Bucharest' };
        expect(cents(price(start, short, tz).amount) <= cents(price(start, long, tz).amount)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('one more interval costs at most one interval price more', () => {
    fc.assert(
      fc.property(startArb, durationArb, tariffArb, (start, ms, t) => {
        const a = price(start, ms, t);
        const b = price(start, ms + t.intervalMinutes * MIN, t);
        const diff = cents(b.amount) - cents(a.amount);
        if (a.intervals > 0) expect(diff <= cents(t.pricePerInterval)).toBe(true);
        expect(diff >= 0n).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('each day ≤ dailyCap, and the total ≤ dailyCap × local days touched', () => {
    fc.assert(
      fc.property(fc.oneof(startArb, dstStartArb), durationArb, tariffArb, (start, ms, t) => {
        fc.pre(t.dailyCap !== null);
        const cap = cents(t.dailyCap!);
        const p = price(start, ms, t);
        for (const d of p.days) expect(cents(d.amount) <= cap).toBe(true);
        const touched = localDaysTouched(start.getTime(), start.getTime() + ms, t.timeZone);
        for (const d of p.days) expect(touched.has(d.date)).toBe(true);
        expect(cents(p.amount) <= cap * BigInt(touched.size)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('stays within grace cost nothing', () => {
    fc.assert(
      fc.property(startArb, tariffArb, fc.double({ min: 0, max: 1, noNaN: true }), (start, t, f) => {
        const ms = Math.floor(f * t.graceMinutes * MIN);
        expect(price(start, ms, t)).toEqual({ amount: '0.00', intervals: 0, days: [] });
      }),
    );
  });

  it('days are distinct, in calendar order, each with at least one interval', () => {
    fc.assert(
      fc.property(fc.oneof(startArb, dstStartArb), durationArb, tariffArb, (start, ms, t) => {
        const dates = price(start, ms, t).days.map((d) => d.date);
        expect([...dates].sort()).toEqual(dates);
        expect(new Set(dates).size).toBe(dates.length);
        expect(price(start, ms, t).days.every((d) => d.intervals >= 1)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('matches an interval-by-interval oracle (multi-day, every zone, DST included)', () => {
    // Keep the oracle's enumeration small: at most ~5000 intervals.
    const arb = fc
      .tuple(fc.oneof(startArb, dstStartArb), tariffArb, fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 59_999 }))
      .map(([start, t, n, extra]) => ({ start, t, ms: Math.min(n * t.intervalMinutes * MIN + extra, 12 * 24 * HOUR) }));
    fc.assert(
      fc.property(arb, ({ start, t, ms }) => {
        expect(price(start, ms, t)).toEqual(oraclePrice(start.getTime(), start.getTime() + ms, t));
      }),
      { numRuns: 300 },
    );
  });

  it('multi-day stays under the demo tariff cost 40.00 for every fully covered local day', () => {
    fc.assert(
      fc.property(startArb, fc.integer({ min: 2, max: 20 }), (start, nDays) => {
        const p = price(start, nDays * 24 * HOUR, DEMO);
        // Every day except possibly the first and the last is whole; a whole day has ≥ 23 intervals ≥ 8.
        for (const d of p.days.slice(1, -1)) expect(d).toMatchObject({ amount: '40.00', capped: true });
        expect(p.days.length === nDays || p.days.length === nDays + 1).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
