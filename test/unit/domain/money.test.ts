import fc from 'fast-check';
import {
  CURRENCIES,
  fromMinorUnits,
  hasAtMost2Decimals,
  money,
  parseProviderAmount,
  round2,
  toAmountString,
  toMinorUnits,
} from '../../../src/domain/money';

describe('money', () => {
  it('rejects non-finite amounts', () => {
    expect(() => money(NaN)).toThrow();
    expect(() => money(Infinity)).toThrow(RangeError);
    expect(() => money('abc')).toThrow();
  });

  it('rounds half-up to 2 decimals (away from zero at .5)', () => {
    expect(round2('1.005').toFixed(2)).toBe('1.01');
    expect(round2('1.004').toFixed(2)).toBe('1.00');
    expect(round2('2.675').toFixed(2)).toBe('2.68'); // 2.675 as a float would be 2.67
    expect(round2(2.675).toFixed(2)).toBe('2.68'); // numbers are read by their shortest decimal form
    expect(toAmountString(10)).toBe('10.00');
    expect(toAmountString('0.125')).toBe('0.13');
  });
});

describe('toMinorUnits / fromMinorUnits', () => {
  it('22.45 is exactly 2245 minor units, as number and as string', () => {
    expect(toMinorUnits(22.45)).toBe(2245);
    expect(toMinorUnits('22.45')).toBe(2245);
    expect(toMinorUnits('10')).toBe(1000);
    expect(toMinorUnits('0.30')).toBe(30);
    expect(fromMinorUnits(2245).toFixed(2)).toBe('22.45');
    expect(fromMinorUnits(5).toFixed(2)).toBe('0.05');
  });

  it('rejects sub-minor precision', () => {
    expect(() => toMinorUnits('1.005')).toThrow(RangeError);
    expect(() => toMinorUnits(1.005)).toThrow(RangeError);
    expect(() => toMinorUnits(0.1 + 0.2)).toThrow(RangeError); // 0.30000000000000004
  });

  it('rejects non-integer or unsafe minor units', () => {
    expect(() => fromMinorUnits(1.5)).toThrow(RangeError);
    expect(() => fromMinorUnits(NaN)).toThrow(RangeError);
    expect(() => fromMinorUnits(2 ** 53)).toThrow(RangeError);
  });

  it('round-trips every integer number of cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(toMinorUnits(fromMinorUnits(n))).toBe(n);
      }),
    );
  });

  it('a 2-decimal float (n / 100) converts to exactly n minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e13 }), (n) => {
        expect(toMinorUnits(n / 100)).toBe(n);
        expect(toMinorUnits(fromMinorUnits(n).toFixed(2))).toBe(n);
      }),
      { numRuns: 1_000 },
    );
  });

  it('rejects any amount with a nonzero third decimal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 9 }), (n, d) => {
        const s = `${Math.floor(n / 100)}.${(n % 100).toString().padStart(2, '0')}${d}`;
        expect(() => toMinorUnits(s)).toThrow(RangeError);
        expect(hasAtMost2Decimals(s)).toBe(false);
      }),
    );
  });
});

describe('parseProviderAmount', () => {
  it('reads a provider number exactly as written', () => {
    expect(parseProviderAmount(22.45).toString()).toBe('22.45');
    expect(parseProviderAmount(22.45).equals(money('22.45'))).toBe(true);
    expect(parseProviderAmount('22.45').toFixed(2)).toBe('22.45');
    expect(parseProviderAmount(12.3).toFixed(2)).toBe('12.30');
    expect(parseProviderAmount(0.07).times(100).toNumber()).toBe(7); // 0.07 * 100 = 7.000000000000001 in floats
    expect(parseProviderAmount(1e21).toFixed(0)).toBe('1000000000000000000000');
  });

  it('never introduces float noise for 2-decimal numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e13 }), (n) => {
        const expected = `${Math.floor(n / 100)}.${(n % 100).toString().padStart(2, '0')}`;
        expect(toAmountString(parseProviderAmount(n / 100))).toBe(expected);
        expect(hasAtMost2Decimals(parseProviderAmount(n / 100))).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  it('rejects what is not a number', () => {
    expect(() => parseProviderAmount('ten')).toThrow();
    expect(() => parseProviderAmount(Number.NaN)).toThrow();
  });
});

describe('CURRENCIES', () => {
  it('are ISO 4217 codes', () => {
    for (const c of CURRENCIES) expect(c).toMatch(/^[A-Z]{3}$/);
    expect(CURRENCIES).toEqual(expect.arrayContaining(['RON', 'NOK', 'EUR']));
  });
});
