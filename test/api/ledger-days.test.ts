/**
 * Ledger days are the parking's local days: a Bucharest capture at 00:30 local time belongs to that local day, not
 * to the UTC day before; the daily report reads each parking's day, or one zone's day when asked.
 */
import { recordLedgerEntry } from '../../activities/ledger';
import { LedgerModel } from '../../src/db/models';
import { DRIVER_TOKEN } from '../helpers/card-flow';
import { http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('ledger_days');
});
afterAll(() => s?.stop());

const row = (key: string, sessionId: string | null, occurredAt: string, extra: Record<string, string> = {}) => ({
  idempotencyKey: key,
  kind: 'capture' as const,
  source: 'barrier' as const,
  provider: 'netopia' as const,
  sessionId,
  gross: '5.00',
  net: '4.13',
  vat: '0.87',
  currency: 'RON',
  occurredAt,
  ...extra,
});

test("each row's day is its parking's local day; the report reads those days, or one zone's day when asked", async () => {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  const id = String(start.body.parking_session.id);
  // 22:30 UTC on 30 November is 00:30 on 1 December in Bucharest (UTC+2).
  await recordLedgerEntry(row('tz-bucharest', id, '2026-11-30T22:30:00Z'));
  // No parking (an EasyPark fleet row): the UTC day.
  await recordLedgerEntry({ ...row('tz-fleet', 'easypark-77', '2026-11-30T22:30:00Z'), kind: 'fleet_transaction', source: 'easypark', provider: 'easypark' });
  // Vipps billing gives its merchant zone with the row: 23:30 UTC is 00:30 the next day in Oslo (UTC+1).
  await recordLedgerEntry({ ...row('tz-vipps', null, '2026-11-30T23:30:00Z'), kind: 'vipps_charge', source: 'vipps', provider: 'vipps', currency: 'NOK', timeZone: 'Europe/Oslo' });

  const days = Object.fromEntries((await LedgerModel.find({ idempotencyKey: /^tz-/ }).lean()).map((r) => [r.idempotencyKey, r.day]));
  expect(days).toEqual({ 'tz-bucharest': '2026-12-01', 'tz-fleet': '2026-11-30', 'tz-vipps': '2026-12-01' });
  expect(await LedgerModel.findOne({ idempotencyKey: 'tz-vipps' }).lean()).not.toHaveProperty('timeZone');

  const ops = { token: s.config.OPS_API_TOKEN };
  const sources = (r: { body: { groups: Array<{ source: string }> } }) => r.body.groups.map((g) => g.source).sort();
  expect(sources(await http('GET', `${s.api}/api/ops/reports/daily?date=2026-12-01`, ops))).toEqual(['barrier', 'vipps']);
  expect(sources(await http('GET', `${s.api}/api/ops/reports/daily?date=2026-11-30`, ops))).toEqual(['easypark']);
  // Read in UTC, all three happened on 30 November.
  expect(sources(await http('GET', `${s.api}/api/ops/reports/daily?date=2026-11-30&time_zone=UTC`, ops))).toEqual(['barrier', 'easypark', 'vipps']);
  const bad = await http('GET', `${s.api}/api/ops/reports/daily?date=2026-11-30&time_zone=Mars/Olympus`, ops);
  expect(bad.status).toBe(400);
});
