/**
 * A Vipps-billed session's final outcome, written to its read-model row by the ledger activity from the billing
 * workflow's rows (the e2e path to `paid` is in test/api/reports.test.ts): CHARGED → paid; the money handed to ops
 * → failed with Attention; a charge carried to the next day changes nothing; a replay never flips an outcome.
 */
import { recordLedgerEntry } from '../../activities/ledger';
import type { LedgerEntryInput } from '../../activities/contracts';
import { withBillingOutcome } from '../../src/api/billing-outcome';
import { SessionModel, sessionRowId } from '../../src/db/models';
import type { SessionView } from '../../workflows/messages';
import { connectTestDb, dropTestDb } from '../helpers/db';

beforeAll(() => connectTestDb('vipps_session_outcome'));
afterAll(() => dropTestDb());

const billedRow = (sessionId: number) => ({
  _id: sessionRowId(sessionId),
  sessionId,
  driverId: 'd1',
  parkingId: 190,
  kind: 'anpr',
  state: 'closed',
  paymentStatus: 'billed',
  version: 5,
  view: { sessionId, state: 'closed', paymentStatus: 'billed', paidVia: 'vipps', attention: null, attentionCode: null },
});
const row = (kind: LedgerEntryInput['kind'], key: string, sessionIds: string, note?: string): LedgerEntryInput => ({
  idempotencyKey: key,
  kind,
  source: 'vipps',
  provider: 'vipps',
  sessionId: null,
  gross: '60.00',
  net: '48.00',
  vat: '12.00',
  currency: 'NOK',
  occurredAt: new Date().toISOString(),
  providerRefs: { agreementId: 'agr_1', chargeId: `chr-${key}`, sessionIds },
  ...(note ? { note } : {}),
});
const status = async (id: number) => (await SessionModel.findById(sessionRowId(id)).lean())?.view as Partial<SessionView>;

test('CHARGED → paid; ops debt → failed with Attention; a carried failure changes nothing; replays never flip', async () => {
  await SessionModel.insertMany([billedRow(1), billedRow(2), billedRow(3), billedRow(4)]);

  await recordLedgerEntry(row('vipps_charge', 'c1', '1,2'));
  expect((await status(1)).paymentStatus).toBe('paid');
  expect((await status(2)).paymentStatus).toBe('paid');

  // Carried to the next day's charge (the user can still fix it): still billed.
  await recordLedgerEntry(row('vipps_charge_failed', 'f1', '3', 'failureReason=user_action_required'));
  expect((await status(3)).paymentStatus).toBe('billed');

  await recordLedgerEntry(row('vipps_charge_failed', 'debt1', '3,4', 'ops_debt: max_failed_charge_days: user_action_required; sessions 3,4'));
  expect(await status(3)).toMatchObject({ paymentStatus: 'failed', attentionCode: 'vipps_charge_failed', attention: 'the Vipps charge failed (max_failed_charge_days: user_action_required): ops collect it' });
  expect((await SessionModel.findOne({ sessionId: 4 }).lean())?.paymentStatus).toBe('failed');

  // A replayed charge row (retried activity) does not turn a failed session paid, nor a paid one failed.
  await recordLedgerEntry(row('vipps_charge', 'c2', '3'));
  await recordLedgerEntry(row('vipps_charge_failed', 'debt2', '1', 'ops_debt: charge_failed: non_technical_error; sessions 1'));
  expect((await status(3)).paymentStatus).toBe('failed');
  expect((await status(1)).paymentStatus).toBe('paid');
});

test('an answer built from the workflow view (still `billed`) takes the outcome from the read model', async () => {
  await SessionModel.insertMany([billedRow(10), billedRow(11)]);
  await recordLedgerEntry(row('vipps_charge_failed', 'debt10', '10', 'ops_debt: charge_cancelled: cancelled; sessions 10'));
  const fromWorkflow = { sessionId: 10, paymentStatus: 'billed', attention: null, attentionCode: null } as unknown as SessionView;
  expect(await withBillingOutcome(fromWorkflow)).toMatchObject({ paymentStatus: 'failed', attentionCode: 'vipps_charge_failed' });
  const stillOpen = { sessionId: 11, paymentStatus: 'billed', attention: null } as unknown as SessionView;
  expect((await withBillingOutcome(stillOpen)).paymentStatus).toBe('billed');
});
