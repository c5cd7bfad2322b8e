import fc from 'fast-check';
import { TariffChangeRejected, tariffInForce, withTariffChange, type TariffTerms } from '../../../src/domain/tariff-versions';

const hourly: TariffTerms = { graceMinutes: 15, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: '40.00' };
const dearer: TariffTerms = { ...hourly, pricePerInterval: '6.00' };
const now = new Date('2026-12-01T10:00:00Z');

test("a new parking's first tariff prices every stay, whenever it started", () => {
  const versions = withTariffChange([], null, hourly, now, now);
  expect(versions).toEqual([{ ...hourly, effectiveFrom: new Date(0) }]);
  expect(tariffInForce(versions, new Date('2020-01-01T00:00:00Z'))).toMatchObject(hourly);
});

test('a change applies to stays that start after it; a stay that started before keeps the old tariff', () => {
  const v1 = withTariffChange([], null, hourly, now, now);
  const v2 = withTariffChange(v1, hourly, dearer, new Date('2026-12-02T00:00:00Z'), now);
  expect(v2).toHaveLength(2);
  expect(tariffInForce(v2, new Date('2026-12-01T23:59:59Z'))).toMatchObject(hourly);
  expect(tariffInForce(v2, new Date('2026-12-02T00:00:00Z'))).toMatchObject(dearer);
});

test('a parking from before versions keeps its tariff as the first version', () => {
  const v = withTariffChange([], hourly, dearer, now, now);
  expect(v.map((x) => x.pricePerInterval)).toEqual(['5.00', '6.00']);
  expect(v[0].effectiveFrom).toEqual(new Date(0));
});

test('unchanged terms add no version (the seed runs on every start)', () => {
  const v1 = withTariffChange([], null, hourly, now, now);
  expect(withTariffChange(v1, hourly, { ...hourly }, new Date(now.getTime() + 5000), now)).toEqual(v1);
});

test('a change in the past, or before the latest version, is refused', () => {
  const v1 = withTariffChange([], null, hourly, now, now);
  expect(() => withTariffChange(v1, hourly, dearer, new Date(now.getTime() - 3_600_000), now)).toThrow(TariffChangeRejected);
  const v2 = withTariffChange(v1, hourly, dearer, new Date('2026-12-10T00:00:00Z'), now);
  expect(() => withTariffChange(v2, dearer, hourly, new Date('2026-12-05T00:00:00Z'), now)).toThrow(/after the latest version/);
});

test('the version in force is the latest one not after the instant, in any order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 1_000_000 }), (starts, at) => {
      const versions = starts.map((ms) => ({ effectiveFrom: new Date(ms), id: ms }));
      const found = tariffInForce(versions, new Date(at));
      const eligible = starts.filter((ms) => ms <= at);
      if (eligible.length === 0) return found === null;
      return found !== null && found.effectiveFrom.getTime() === Math.max(...eligible);
    }),
  );
});
