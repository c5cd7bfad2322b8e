import fc from 'fast-check';
import { addsUp, splitGross } from '../../../src/domain/vat';

const fmt = (c: bigint): string => `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${((c < 0n ? -c : c) % 100n).toString().padStart(2, '0')}`;
function cents(s: string): bigint {
  const m = /^(-?)(\d+)\.(\d{2})$/.exec(s);
  if (!m) throw new Error(`not a 2-decimal amount: ${s}`);
  const v = BigInt(m[2]) * 100n + BigInt(m[3]);
  return m[1] ? -v : v;
}

/**
 * Exact oracle with integers: gross G cents, VAT percent P/100 (two decimals).
 * vat = G·(P/100) / (100 + P/100) = G·P / (10000 + P) cents, rounded half-up.
 */
function oracleVatCents(grossCents: bigint, pctHundredths: bigint): bigint {
  const num = grossCents * pctHundredths;
  const den = 10_000n + pctHundredths;
  return (2n * num + den) / (2n * den);
}

const grossCentsArb = fc.oneof(fc.bigInt({ min: 0n, max: 100_000n }), fc.bigInt({ min: 0n, max: 10n ** 15n }));
const pctArb = fc.oneof(
  fc.constantFrom(0n, 500n, 600n, 900n, 1200n, 1900n, 2000n, 2100n, 2400n, 2500n, 2700n),
  fc.bigInt({ min: 0n, max: 10_000n }), // 0.00% .. 100.00%
);
const pctString = (p: bigint): string => fmt(p);

describe('splitGross: examples', () => {
  it.each([
    // gross, VAT %, net, vat — computed by hand: vat = gross × p / (100 + p), half-up.
    ['5.00', '21', '4.13', '0.87'], // 0.8677… → 0.87
    ['10.00', '21', '8.26', '1.74'], // 1.7355… → 1.74
    ['15.00', '21', '12.40', '2.60'], // 2.6033… → 2.60
    ['40.00', '21', '33.06', '6.94'], // 6.9421… → 6.94
    ['80.00', '21', '66.12', '13.88'], // 13.884… → 13.88
    ['0.01', '21', '0.01', '0.00'], // 0.0017… → 0.00
    ['0.00', '21', '0.00', '0.00'],
    ['100.00', '25', '80.00', '20.00'], // Norway: exactly 20
    ['10.00', '0', '10.00', '0.00'],
    ['1.19', '19', '1.00', '0.19'],
    ['12.50', '25', '10.00', '2.50'],
  ])('%s at %s%% → net %s + vat %s', (gross, pct, net, vat) => {
    expect(splitGross(gross, pct)).toEqual({ gross, net, vat, vatPercent: pct });
  });

  it('rounds a VAT of exactly half a cent up', () => {
    // At 100% VAT the share is gross / 2: 0.01 → 0.005 → 0.01 and 0.03 → 0.015 → 0.02.
    expect(splitGross('0.01', '100')).toEqual({ gross: '0.01', net: '0.00', vat: '0.01', vatPercent: '100' });
    expect(splitGross('0.03', '100').vat).toBe('0.02');
    // 10% of 0.55 gross: 0.55 × 10 / 110 = 0.05 exactly (no rounding needed).
    expect(splitGross('0.55', '10').vat).toBe('0.05');
  });

  it('accepts numbers and rounds a gross with more than 2 decimals half-up first', () => {
    expect(splitGross(10, 21)).toEqual({ gross: '10.00', net: '8.26', vat: '1.74', vatPercent: '21' });
    expect(splitGross('10.005', '21').gross).toBe('10.01');
  });

  it('rejects a negative VAT percent', () => {
    expect(() => splitGross('10.00', '-1')).toThrow(RangeError);
  });
});

describe('splitGross: properties', () => {
  it('net + vat = gross exactly; vat is the half-up rounded share; neither is negative', () => {
    fc.assert(
      fc.property(grossCentsArb, pctArb, (g, p) => {
        const s = splitGross(fmt(g), pctString(p));
        expect(s.gross).toBe(fmt(g));
        expect(cents(s.net) + cents(s.vat)).toBe(g);
        expect(cents(s.vat)).toBe(oracleVatCents(g, p));
        expect(cents(s.vat) >= 0n).toBe(true);
        expect(cents(s.net) >= 0n).toBe(true);
        expect(addsUp(s.net, s.vat, s.gross)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('vat never exceeds gross and is monotonic in the gross', () => {
    fc.assert(
      fc.property(grossCentsArb, grossCentsArb, pctArb, (a, b, p) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const vLo = cents(splitGross(fmt(lo), pctString(p)).vat);
        const vHi = cents(splitGross(fmt(hi), pctString(p)).vat);
        expect(vLo <= vHi).toBe(true);
        expect(vHi <= hi).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('the same split from a number gross (2 decimals) as from its string', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), pctArb, (c, p) => {
        expect(splitGross(c / 100, pctString(p))).toEqual(splitGross(fmt(BigInt(c)), pctString(p)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('addsUp', () => {
  it('compares exactly, to the cent', () => {
    expect(addsUp('8.26', '1.74', '10.00')).toBe(true);
    expect(addsUp('8.26', '1.74', '10')).toBe(true);
    expect(addsUp(8.26, 1.74, 10)).toBe(true);
    expect(addsUp('8.26', '1.73', '10.00')).toBe(false);
    expect(addsUp('0.1', '0.2', '0.3')).toBe(true); // no float error
  });
});
