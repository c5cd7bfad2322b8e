import { endOfLocalDay, localDay, startOfLocalDay } from '../../../src/domain/calendar';
import { capAtLimit, vippsChargeKey, type BillingLine } from '../../../src/domain/vipps-billing';

const TZ = 'Europe/Oslo';

describe('pure rules the Vipps billing workflow uses', () => {
  test('local days and midnights follow the zone, including DST days of 23 and 25 hours', () => {
    expect(localDay(Date.parse('2025-08-06T22:30:00Z'), TZ)).toBe('2025-08-07'); // 00:30 in Oslo (UTC+2)
    expect(new Date(startOfLocalDay('2025-08-07', TZ)).toISOString()).toBe('2025-08-06T22:00:00.000Z');
    expect(startOfLocalDay('2025-03-31', TZ) - startOfLocalDay('2025-03-30', TZ)).toBe(23 * 3600_000);
    expect(startOfLocalDay('2025-10-27', TZ) - startOfLocalDay('2025-10-26', TZ)).toBe(25 * 3600_000);
    expect(new Date(endOfLocalDay(Date.parse('2025-01-15T12:00:00Z'), TZ)).toISOString()).toBe('2025-01-15T23:00:00.000Z');
  });

  test('charge keys are stable, ≤ 40 chars of [a-zA-Z0-9-], and distinct per agreement, day and sequence', () => {
    expect(vippsChargeKey('agr-5kSeqz', '2025-08-07')).toBe('agr-5kSeqz-20250807');
    expect(vippsChargeKey('agr-5kSeqz', '2025-08-07', 2)).toBe('agr-5kSeqz-20250807-2');
    const odd = ['agr_5kSeqz', 'agr-5kSeqz_', 'x'.repeat(64), 'a/b?c#d'];
    const keys = odd.flatMap((id) => [vippsChargeKey(id, '2025-08-07'), vippsChargeKey(id, '2025-08-07', 12)]);
    for (const k of keys) expect(k).toMatch(/^[a-zA-Z0-9-]{1,40}$/);
    expect(new Set(keys).size).toBe(keys.length);
    expect(vippsChargeKey('agr_5kSeqz', '2025-08-07')).toBe(vippsChargeKey('agr_5kSeqz', '2025-08-07'));
  });

  test('capping keeps net + vat = gross on both parts of a split line', () => {
    const line = (sessionId: string, gross: string, net: string, vat: string): BillingLine => ({
      sessionId, description: '', gross, net, vat, vatPercent: '25', currency: 'NOK', occurredAt: '', billableAfterDay: '', failedCharges: 0,
    });
    const { charged, carried } = capAtLimit([line('a', '10.01', '8.01', '2.00'), line('b', '33.33', '26.66', '6.67'), line('c', '5.00', '4.00', '1.00')], '20.00');
    expect(charged.map((l) => [l.sessionId, l.gross, l.net, l.vat])).toEqual([['a', '10.01', '8.01', '2.00'], ['b', '9.99', '7.99', '2.00']]);
    expect(carried.map((l) => [l.sessionId, l.gross, l.net, l.vat])).toEqual([['b', '23.34', '18.67', '4.67'], ['c', '5.00', '4.00', '1.00']]);
  });
});
