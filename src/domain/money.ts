import Decimal from 'decimal.js';

/**
 * One Decimal configuration and one rounding rule for every amount in the product.
 * Half-up to 2 decimals (the rule VAT and prices use); floats never hold money.
 */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;

export type MoneyInput = Decimal.Value;

export function money(value: MoneyInput): Decimal {
  const d = new Money(value);
  if (!d.isFinite()) throw new RangeError(`not a finite amount: ${String(value)}`);
  return d;
}

/** Rounds half-up to the currency's 2 decimals. */
export function round2(value: MoneyInput): Decimal {
  return money(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** "10.00": the wire form of the car-driver API and of stored ledger amounts. */
export function toAmountString(value: MoneyInput): string {
  return round2(value).toFixed(2);
}

/** Minor units (øre, cents) for APIs that take integers, e.g. Vipps. Rejects amounts with sub-minor precision. */
export function toMinorUnits(value: MoneyInput): number {
  const d = money(value);
  const minor = d.times(100);
  if (!minor.isInteger()) throw new RangeError(`amount ${d.toString()} has more than 2 decimals`);
  return minor.toNumber();
}

export function fromMinorUnits(minor: number): Decimal {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`minor units must be an integer, got ${minor}`);
  return money(minor).dividedBy(100);
}

/** Parses a provider's decimal (number or string) exactly as written, e.g. 22.45 → "22.45", never 22.449999. */
export function parseProviderAmount(value: number | string): Decimal {
  return money(typeof value === 'number' ? value.toString() : value);
}

/** Whether a decimal has at most 2 fractional digits. */
export function hasAtMost2Decimals(value: MoneyInput): boolean {
  return money(value).decimalPlaces() <= 2;
}

export const CURRENCIES = ['RON', 'USD', 'EUR', 'NOK', 'SEK', 'DKK'] as const;
export type Currency = (typeof CURRENCIES)[number];

/**
 * The one accepted spelling of an amount on input: ASCII digits, at most 2 decimals, nothing else — no sign,
 * exponent, whitespace, "NaN"/"Infinity" or non-ASCII digits. At most 12 integer digits, so every accepted
 * amount is exact in Decimal and fits any provider.
 */
const AMOUNT_STRING = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/;

export function isAmountString(value: unknown): value is string {
  return typeof value === 'string' && AMOUNT_STRING.test(value);
}
