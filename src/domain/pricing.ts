import { hasAtMost2Decimals, money, round2 } from './money';

/**
 * A barrier-parking tariff: pay per started interval once the grace period is over, capped per
 * calendar day in the parking's time zone.
 */
export interface Tariff {
  /** Stays up to and including this many minutes are free. */
  graceMinutes: number;
  /** Length of one billed interval; every started interval is charged in full. */
  intervalMinutes: number;
  /** Decimal string in the parking's currency, e.g. "5.00". */
  pricePerInterval: string;
  /** Most that one calendar day (in timeZone) can cost; null for no cap. */
  dailyCap: string | null;
  /** IANA zone, e.g. "Europe/Bucharest": decides where a day ends. */
  timeZone: string;
}

export interface PriceBreakdown {
  amount: string;
  intervals: number;
  days: Array<{ date: string; intervals: number; amount: string; capped: boolean }>;
}

const MINUTE_MS = 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function localDate(epochMs: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f.format(new Date(epochMs));
}

/**
 * Prices a stay. Intervals are counted from the start of the stay and each belongs to the local day on
 * which it starts; a day's intervals are capped at dailyCap. This keeps the price monotonic in the
 * duration (more time never costs less) and never charges a split interval twice at midnight.
 */
export function priceStay(start: Date, end: Date, tariff: Tariff): PriceBreakdown {
  validateTariff(tariff);
  const durationMs = end.getTime() - start.getTime();
  if (!Number.isFinite(durationMs)) throw new RangeError('start and end must be valid dates');
  if (durationMs < 0) throw new RangeError('end must not be before start');
  if (durationMs <= tariff.graceMinutes * MINUTE_MS) return { amount: '0.00', intervals: 0, days: [] };

  const intervalMs = tariff.intervalMinutes * MINUTE_MS;
  const total = Math.ceil(durationMs / intervalMs);
  const price = money(tariff.pricePerInterval);
  const cap = tariff.dailyCap === null ? null : money(tariff.dailyCap);
  const startMs = start.getTime();
  const days: PriceBreakdown['days'] = [];

  // Walk day by day: the intervals of one local day are contiguous, so a binary search finds the last one.
  let k = 0;
  while (k < total) {
    const date = localDate(startMs + k * intervalMs, tariff.timeZone);
    let lo = k;
    let hi = total - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (localDate(startMs + mid * intervalMs, tariff.timeZone) === date) lo = mid;
      else hi = mid - 1;
    }
    const count = lo - k + 1;
    const raw = price.times(count);
    const capped = cap !== null && raw.greaterThan(cap);
    days.push({ date, intervals: count, amount: round2(capped ? cap : raw).toFixed(2), capped });
    k = lo + 1;
  }
  const amount = days.reduce((sum, d) => sum.plus(d.amount), money(0));
  return { amount: round2(amount).toFixed(2), intervals: total, days };
}

export function validateTariff(t: Tariff): void {
  if (!Number.isInteger(t.graceMinutes) || t.graceMinutes < 0) throw new RangeError('graceMinutes must be a non-negative integer');
  if (!Number.isInteger(t.intervalMinutes) || t.intervalMinutes <= 0) throw new RangeError('intervalMinutes must be a positive integer');
  // Sub-cent tariffs would round per day and could break the cap: prices are whole cents.
  if (money(t.pricePerInterval).isNegative() || !hasAtMost2Decimals(t.pricePerInterval)) {
    throw new RangeError('pricePerInterval must be a non-negative amount with at most 2 decimals');
  }
  if (t.dailyCap !== null && (money(t.dailyCap).isNegative() || !hasAtMost2Decimals(t.dailyCap))) {
    throw new RangeError('dailyCap must be a non-negative amount with at most 2 decimals');
  }
  localDate(0, t.timeZone); // throws RangeError on an unknown zone
}
