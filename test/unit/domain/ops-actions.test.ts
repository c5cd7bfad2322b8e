import { availableOpsActions, type OpsActionInput } from '../../../src/domain/ops-actions';

const base: OpsActionInput = { kind: 'barrier', state: 'exiting', paymentStatus: 'declined', paidVia: null, attentionCode: 'payment_unresolved', unsettledAttempts: 1, running: true };

test.each<[string, Partial<OpsActionInput>, string[]]>([
  ['an unsettled attempt can be retried or cancelled', {}, ['resolve', 'retry', 'cancel']],
  ['a card-paid session can be refunded, not cancelled', { paymentStatus: 'paid', paidVia: 'card', unsettledAttempts: 0 }, ['resolve', 'refund']],
  ['a Vipps-paid session is refunded by Vipps, not here', { paymentStatus: 'paid', paidVia: 'vipps', unsettledAttempts: 0 }, ['resolve']],
  ['an active camera parking can be stopped by hand', { kind: 'anpr', state: 'active', paymentStatus: 'none', unsettledAttempts: 0 }, ['resolve', 'cancel', 'manual_stop']],
  ['a closed workflow takes only a resolve (signals cannot reach it)', { state: 'closed', running: false }, ['resolve']],
])('%s', (_name, change, expected) => {
  expect(availableOpsActions({ ...base, ...change })).toEqual(expected);
});
