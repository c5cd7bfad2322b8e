/**
 * Tariff versions of a parking. A stay is priced with the tariff in force when the session started: the driver
 * entered under it (it is what the sign at the gate said), and a change made by ops while the car is inside must
 * not reprice the stay. Versions are append-only; a change may take effect now or later, never in the past.
 */
export interface TariffTerms {
  graceMinutes: number;
  intervalMinutes: number;
  pricePerInterval: string;
  dailyCap: string | null;
}

export interface TariffVersion extends TariffTerms {
  effectiveFrom: Date;
}

export class TariffChangeRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TariffChangeRejected';
  }
}

/** The version in force at `at`: the latest one whose effectiveFrom is not after it; null before the first. */
export function tariffInForce<T extends { effectiveFrom: Date }>(versions: readonly T[], at: Date): T | null {
  let found: T | null = null;
  for (const v of versions) {
    if (v.effectiveFrom.getTime() <= at.getTime() && (!found || v.effectiveFrom.getTime() >= found.effectiveFrom.getTime())) found = v;
  }
  return found;
}

export const sameTerms = (a: TariffTerms, b: TariffTerms): boolean =>
  a.graceMinutes === b.graceMinutes &&
  a.intervalMinutes === b.intervalMinutes &&
  a.pricePerInterval === b.pricePerInterval &&
  (a.dailyCap ?? null) === (b.dailyCap ?? null);

/**
 * The version list after ops set `next` to take effect at `effectiveFrom`. Unchanged terms add nothing.
 * `current` is the tariff a parking had before versions existed: it becomes the first version, in force since
 * the epoch, so sessions that started under it keep it. A new parking's first tariff is in force since the epoch.
 */
export function withTariffChange(
  versions: readonly TariffVersion[],
  current: TariffTerms | null,
  next: TariffTerms,
  effectiveFrom: Date,
  now: Date,
): TariffVersion[] {
  // A parking's first tariff applies since the epoch: there is no stay before it to price otherwise.
  if (versions.length === 0 && !current) return [{ ...next, effectiveFrom: new Date(0) }];
  const list: TariffVersion[] = versions.length === 0 && current ? [{ ...current, effectiveFrom: new Date(0) }] : [...versions];
  const latest = list.reduce<TariffVersion | null>((a, v) => (!a || v.effectiveFrom > a.effectiveFrom ? v : a), null);
  if (latest && sameTerms(latest, next)) return list;
  // A minute of slack for clock differences between the ops console and the API.
  if (effectiveFrom.getTime() < now.getTime() - 60_000) {
    throw new TariffChangeRejected('a tariff change cannot take effect in the past: sessions already running would be repriced');
  }
  if (latest && effectiveFrom.getTime() <= latest.effectiveFrom.getTime()) {
    throw new TariffChangeRejected(`a tariff change must take effect after the latest version (${latest.effectiveFrom.toISOString()})`);
  }
  return [...list, { ...next, effectiveFrom }];
}
