import { reconcileProviderOrders, type OrderLedgerRow, type ProviderOrderFact } from '../../../src/domain/provider-reconciliation';

const order = (orderId: string, outcome: ProviderOrderFact['outcome'], amount: string | null = '10.00'): ProviderOrderFact => ({
  orderId,
  sessionId: Number(orderId.split('-')[0]),
  provider: 'netopia',
  providerRef: `ntp-${orderId}`,
  outcome,
  amount,
  currency: amount === null ? null : 'RON',
});
const row = (orderId: string, kind: string, gross = '10.00', currency = 'RON'): OrderLedgerRow => ({ orderId, kind, gross, currency });

test('an approved charge without a capture row, a capture the provider never took, and an amount difference are each found', () => {
  const issues = reconcileProviderOrders(
    [order('1-1', 'paid'), order('2-1', 'declined'), order('3-1', 'paid', '12.00'), order('4-1', 'paid')],
    [row('2-1', 'capture'), row('3-1', 'capture'), row('4-1', 'attempt'), row('4-1', 'capture')],
  );
  expect(issues.map((i) => [i.orderId, i.code])).toEqual([
    ['1-1', 'charge_without_capture'],
    ['2-1', 'capture_without_charge'],
    ['3-1', 'amount_difference'],
  ]);
});

test('money the provider later gave back still needs its capture row; a booked and refunded duplicate is in order', () => {
  expect(reconcileProviderOrders([order('5-1', 'refunded')], []).map((i) => i.code)).toEqual(['charge_without_capture']);
  expect(reconcileProviderOrders([order('5-2', 'refunded')], [row('5-2', 'capture'), row('5-2', 'refund')])).toEqual([]);
});

test('orders nobody paid need nothing; a capture the provider cannot confirm is reported', () => {
  expect(reconcileProviderOrders([order('6-1', 'voided'), order('6-2', 'pending'), order('6-3', 'expired')], [row('6-1', 'decline')])).toEqual([]);
  expect(reconcileProviderOrders([order('7-1', 'unknown', null)], [row('7-1', 'capture')]).map((i) => i.code)).toEqual(['provider_unreachable']);
});

test('a currency difference is an amount difference', () => {
  expect(reconcileProviderOrders([order('8-1', 'paid')], [row('8-1', 'capture', '10.00', 'EUR')]).map((i) => i.code)).toEqual(['amount_difference']);
});
