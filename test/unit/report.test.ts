import { renderReportCsv } from '../../src/domain/report-csv';
import { buildDailyReport, isCalendarDay, reconcileSessions, summariseLedger, type ReportLedgerRow, type ReportSessionRow } from '../../src/domain/report';

const row = (kind: string, source: string, provider: string, currency: string, gross: string, net: string, vat: string, extra: Partial<ReportLedgerRow> = {}): ReportLedgerRow => ({
  kind,
  source,
  provider,
  currency,
  gross,
  net,
  vat,
  fee: '0.00',
  sessionId: null,
  ...extra,
});

// A mixed day, every total below worked out by hand.
const day: ReportLedgerRow[] = [
  row('attempt', 'barrier', 'netopia', 'RON', '20.00', '16.53', '3.47', { sessionId: '1' }),
  row('capture', 'barrier', 'netopia', 'RON', '20.00', '16.53', '3.47', { sessionId: '1' }),
  row('capture', 'barrier', 'netopia', 'RON', '12.10', '10.00', '2.10', { sessionId: '2' }),
  row('refund', 'barrier', 'netopia', 'RON', '12.10', '10.00', '2.10', { sessionId: '2' }),
  row('decline', 'barrier', 'netopia', 'RON', '5.00', '4.13', '0.87', { sessionId: '3' }),
  row('capture', 'barrier', 'epx', 'USD', '7.50', '7.50', '0.00', { sessionId: '9' }),
  row('vipps_usage', 'autopay', 'vipps', 'NOK', '150.00', '120.00', '30.00'),
  row('vipps_charge', 'autopay', 'vipps', 'NOK', '150.00', '120.00', '30.00'),
  row('fleet_transaction', 'easypark', 'easypark', 'SEK', '22.45', '17.96', '4.49', { fee: '4.95' }),
  row('fleet_fee', 'easypark', 'easypark', 'SEK', '4.95', '3.96', '0.99'),
  row('fleet_transaction', 'easypark', 'easypark', 'SEK', '0.10', '0.08', '0.02', { fee: '0.20' }),
  row('fleet_fee', 'easypark', 'easypark', 'SEK', '0.20', '0.16', '0.04'),
  row('mystery', 'barrier', 'netopia', 'RON', '1.00', '1.00', '0.00'),
];

describe('summariseLedger', () => {
  const s = summariseLedger(day);

  test('groups per source, provider and currency: refunds negative, attempts/declines/usages counted, not summed', () => {
    expect(s.groups).toEqual([
      // the usage has no session id here: a usage, not a parking; the charge is one transaction
      { source: 'autopay', provider: 'vipps', currency: 'NOK', parkings: 0, transactions: 1, gross: '150.00', net: '120.00', vat: '30.00', fees: '0.00', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 1 },
      { source: 'barrier', provider: 'epx', currency: 'USD', parkings: 1, transactions: 1, gross: '7.50', net: '7.50', vat: '0.00', fees: '0.00', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 0 },
      // 20.00 + 12.10 - 12.10 = 20.00; net 16.53 + 10.00 - 10.00; vat 3.47 + 2.10 - 2.10. Sessions 1 and 2 paid; 3 declined.
      { source: 'barrier', provider: 'netopia', currency: 'RON', parkings: 2, transactions: 3, gross: '20.00', net: '16.53', vat: '3.47', fees: '0.00', refunds: 1, refunded: '12.10', attempts: 1, declines: 1, usages: 0 },
      // 22.45 + 4.95 + 0.10 + 0.20 = 27.70; net 17.96 + 3.96 + 0.08 + 0.16 = 22.16; vat 4.49 + 0.99 + 0.02 + 0.04 = 5.54; fees 4.95 + 0.20.
      // Two EasyPark transactions (each with its fee row): two parkings, two transactions.
      { source: 'easypark', provider: 'easypark', currency: 'SEK', parkings: 2, transactions: 2, gross: '27.70', net: '22.16', vat: '5.54', fees: '5.15', refunds: 0, refunded: '0.00', attempts: 0, declines: 0, usages: 0 },
    ]);
  });

  test('totals per currency, and unknown kinds are reported instead of summed', () => {
    expect(s.totalsByCurrency).toEqual([
      { currency: 'NOK', parkings: 0, transactions: 1, gross: '150.00', net: '120.00', vat: '30.00', fees: '0.00', refunds: 0, refunded: '0.00' },
      { currency: 'RON', parkings: 2, transactions: 3, gross: '20.00', net: '16.53', vat: '3.47', fees: '0.00', refunds: 1, refunded: '12.10' },
      { currency: 'SEK', parkings: 2, transactions: 2, gross: '27.70', net: '22.16', vat: '5.54', fees: '5.15', refunds: 0, refunded: '0.00' },
      { currency: 'USD', parkings: 1, transactions: 1, gross: '7.50', net: '7.50', vat: '0.00', fees: '0.00', refunds: 0, refunded: '0.00' },
    ]);
    expect(s.unknownKinds).toEqual([{ kind: 'mystery', count: 1 }]);
  });

  test('decimal sums do not drift where floats would (0.10 + 0.20)', () => {
    const r = summariseLedger([row('capture', 'barrier', 'netopia', 'RON', '0.10', '0.10', '0'), row('capture', 'barrier', 'netopia', 'RON', '0.20', '0.20', '0')]);
    expect(r.groups[0].gross).toBe('0.30');
  });

  test('an empty day has no groups', () => {
    expect(summariseLedger([])).toEqual({ groups: [], totalsByCurrency: [], unknownKinds: [] });
  });
});

describe('reconcileSessions', () => {
  const session = (sessionId: number, paymentStatus: string, amountGross: string | null, paidVia: ReportSessionRow['paidVia'], currency = 'RON', state = 'closed'): ReportSessionRow => ({
    sessionId,
    state,
    paymentStatus,
    amountGross,
    currency,
    paidVia,
  });
  const cap = (sessionId: number, gross: string, currency = 'RON', note: string | null = null) =>
    row('capture', 'barrier', 'netopia', currency, gross, gross, '0.00', { sessionId: String(sessionId), note });
  const ref = (sessionId: number, gross: string) => row('refund', 'barrier', 'netopia', 'RON', gross, gross, '0.00', { sessionId: String(sessionId) });

  test('flags each disagreement between the read model and the ledger, and nothing else', () => {
    const sessions = [
      session(1, 'paid', '20.00', 'card'), // matches its capture
      session(2, 'paid', '12.10', 'card'), // captured, then refunded by ops: the refund is its own row, not a mismatch
      session(3, 'paid', '5.00', 'card'), // no capture at all
      session(4, 'pending', '10.00', null, 'RON', 'exiting'), // capture but the session does not know
      session(5, 'paid', '30.00', 'vipps'), // paid through Vipps billing: no card capture expected
      session(6, 'paid', '10.00', 'card'), // captured 9.00
      session(7, 'paid', '10.00', 'card'), // captured in USD
      session(8, 'paid', '5.00', 'card'), // duplicate capture (booked with its note) refunded automatically
      session(9, 'paid', '5.00', 'card'), // two captures kept for one session
      session(10, 'none', null, null, 'RON', 'expired'), // nothing anywhere
    ];
    const ledger = [cap(1, '20.00'), cap(2, '12.10'), ref(2, '12.10'), cap(4, '10.00'), cap(6, '9.00'), cap(7, '10.00', 'USD'), cap(8, '5.00'), cap(8, '5.00', 'RON', 'duplicate capture'), ref(8, '5.00'), cap(9, '5.00'), cap(9, '5.00')];
    const issues = reconcileSessions(sessions, ledger);
    expect(issues.map((i) => [i.sessionId, i.code])).toEqual([
      [3, 'paid_without_capture'],
      [4, 'capture_but_not_paid'],
      [6, 'amount_mismatch'],
      [7, 'currency_mismatch'],
      [9, 'amount_mismatch'],
    ]);
    expect(issues.find((i) => i.sessionId === 6)?.message).toBe('captured 9.00 but the session amount is 10.00');
  });
});

test('buildDailyReport and its CSV: a header row and one row per group', () => {
  const provider = { ordersChecked: 2, issues: [{ orderId: '7-1', sessionId: 7, provider: 'netopia', code: 'charge_without_capture' as const, message: 'netopia captured 1.00 RON (paid), no capture' }] };
  const report = buildDailyReport('2025-12-04', day, [], [], provider);
  expect(report.reconciliation).toEqual({ sessionsChecked: 0, issues: [], provider });
  expect(renderReportCsv(report).split('\r\n')).toEqual([
    'date,source,provider,currency,parkings,transactions,gross,net,vat,fees,refunds,refunded,attempts,declines,usages',
    '2025-12-04,autopay,vipps,NOK,0,1,150.00,120.00,30.00,0.00,0,0.00,0,0,1',
    '2025-12-04,barrier,epx,USD,1,1,7.50,7.50,0.00,0.00,0,0.00,0,0,0',
    '2025-12-04,barrier,netopia,RON,2,3,20.00,16.53,3.47,0.00,1,12.10,1,1,0',
    '2025-12-04,easypark,easypark,SEK,2,2,27.70,22.16,5.54,5.15,0,0.00,0,0,0',
    '',
    'date,check,session_id,order_id,provider,code,message',
    '2025-12-04,ledger_vs_provider,7,7-1,netopia,charge_without_capture,"netopia captured 1.00 RON (paid), no capture"',
    '',
  ]);
});

test('a negative day total stays a plain number in CSV', () => {
  const report = buildDailyReport('2025-12-05', [row('refund', 'barrier', 'epx', 'USD', '7.50', '7.50', '0.00')], [], []);
  expect(renderReportCsv(report)).toContain(',-7.50,-7.50,0.00,');
});

test('isCalendarDay accepts real days only', () => {
  expect(isCalendarDay('2025-12-04')).toBe(true);
  expect(isCalendarDay('2024-02-29')).toBe(true);
  for (const bad of ['2025-02-30', '2025-13-01', '2025-1-01', '20251204', '', '2025-12-04T00:00:00Z']) expect(isCalendarDay(bad)).toBe(false);
});

test("an ops decision's ledger row is known and moves no money in the day's report", () => {
  const decision = { kind: 'ops_action', source: 'barrier', provider: 'none', sessionId: '7', gross: '0.00', net: '0.00', vat: '0.00', fee: '0.00', currency: 'RON', note: 'resolve by demo-ops' };
  const summary = summariseLedger([decision as unknown as ReportLedgerRow]);
  expect(summary).toEqual({ groups: [], totalsByCurrency: [], unknownKinds: [] });
});
