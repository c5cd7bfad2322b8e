import fc from 'fast-check';
import { isPlateIssuer, normalisePlate } from '../../../src/domain/plate';

describe('normalisePlate', () => {
  it.each([
    ['ab 12-345', 'AB12345'],
    ['B 123 ABC', 'B123ABC'],
    ['b.123.abc', 'B123ABC'],
    ['  cj-01-xyz  ', 'CJ01XYZ'],
    ['el 12345', 'EL12345'],
    ['øl 1234', 'ØL1234'],
    ['äöü 1', 'ÄÖÜ1'],
    ['\tAB\n12', 'AB12'],
    ['A', 'A'],
    ['ABCDEFGHIJ12', 'ABCDEFGHIJ12'], // 12 characters is the most
  ])('%j → %s', (raw, plate) => {
    expect(normalisePlate(raw)).toBe(plate);
  });

  it.each([[''], ['   '], ['- . -'], ['AB_12'], ['AB/12'], ['AB12345678901'], ['🚗'], ['Ω123']])('%j → null', (raw) => {
    expect(normalisePlate(raw)).toBeNull();
  });

  it('is idempotent, and its output is upper-case letters and digits only', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 14 })), (raw) => {
        const once = normalisePlate(raw);
        if (once === null) return;
        expect(once).toMatch(/^[A-Z0-9ÆØÅÄÖÜ]{1,12}$/);
        expect(normalisePlate(once)).toBe(once);
      }),
      { numRuns: 1_000 },
    );
  });

  it('ignores spaces, dashes and dots wherever they are inserted', () => {
    const plateArb = fc.string({ unit: fc.constantFrom(...'ABCXYZ0123456789'), minLength: 1, maxLength: 12 });
    const sepArb = fc.array(fc.constantFrom(' ', '-', '.', '\t'), { maxLength: 3 }).map((a) => a.join(''));
    fc.assert(
      fc.property(plateArb, fc.array(sepArb, { minLength: 13, maxLength: 13 }), fc.boolean(), (plate, seps, lower) => {
        const raw = [...plate].map((ch, i) => seps[i] + ch).join('') + seps[12];
        expect(normalisePlate(lower ? raw.toLowerCase() : raw)).toBe(plate);
      }),
    );
  });
});

describe('isPlateIssuer (ISO 3166-1 alpha-3)', () => {
  it.each(['ROU', 'NOR', 'SWE', 'DNK', 'FIN', 'DEU', 'GBR', 'USA', 'MDA', 'UKR', 'HUN', 'BGR', 'FRA', 'VAT', 'ALA', 'SJM'])(
    '%s is an issuer',
    (code) => expect(isPlateIssuer(code)).toBe(true),
  );

  it.each([
    ['RO', 'alpha-2'],
    ['N', 'international vehicle registration code'],
    ['UK', 'not ISO'],
    ['XKX', 'Kosovo: user-assigned, not officially assigned'],
    ['EUE', 'exceptionally reserved'],
    ['rou', 'lower case'],
    ['ROU ', 'trailing space'],
    ['', 'empty'],
    ['ZZZ', 'unassigned'],
  ])('%j is not (%s)', (code) => {
    expect(isPlateIssuer(code)).toBe(false);
  });

  it('accepts only three upper-case letters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), (code) => {
        if (isPlateIssuer(code)) expect(code).toMatch(/^[A-Z]{3}$/);
      }),
    );
  });
});
