/**
 * Ops refunds keep Stripe's idempotency contract: a request_id replays its first outcome (a refund or a
 * refusal), another amount under the same request_id is a 409, and refusals are business outcomes —
 * answered at once as 4xx, with a COMPLETED (not FAILED) refund workflow.
 */
import { recordLedgerEntry } from '../../activities/ledger';
import { LedgerModel } from '../../src/db/models';
import { generateNetopiaKeyPair } from '../../src/providers/netopia/keys';
import { refundWorkflowId } from '../../src/temporal/ids';
import type { RefundOutcome } from '../../activities/refunds';
import { finalizedSession, payWithCard, sessionOf } from '../helpers/card-flow';
import { eventually, http, startStack, type Stack } from '../helpers/stack';
import { sessionRefund } from '../../workflows/session-refund';

let s: Stack;
let paidId: number;

beforeAll(async () => {
  s = await startStack('refunds', {}, { netopiaKeyPair: generateNetopiaKeyPair() });
  const { id, fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  await payWithCard(fin.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status === 'paid');
  await eventually(() => LedgerModel.countDocuments({ sessionId: String(id), kind: 'capture' }), (n) => n === 1);
  paidId = id;
});
afterAll(() => s?.stop());

const refund = (id: number, body: unknown) => http('POST', `${s.api}/api/ops/sessions/${id}/refunds`, { token: s.config.OPS_API_TOKEN, body });

test('the same request_id and amount replays the first refund; another amount is 409 idempotency_conflict', async () => {
  const first = await refund(paidId, { amount: '0.03', request_id: 'same-1' });
  expect(first.status).toBe(201);
  const again = await refund(paidId, { amount: '0.03', request_id: 'same-1' });
  expect(again.status).toBe(201);
  expect(again.body.refund).toEqual(first.body.refund);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  for (const amount of ['0.04', undefined]) {
    const other = await refund(paidId, { amount, request_id: 'same-1' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect(other.body.error.message).toContain('same-1');
    expect(other.body.error.details).toMatchObject({ first_amount: '0.03' });
  }
  expect(await LedgerModel.countDocuments({ sessionId: String(paidId), kind: 'refund' })).toBe(1);
});

test('a refusal is replayed as the same 4xx, never a 500, and its workflow completed', async () => {
  const over = await refund(paidId, { amount: '5.00', request_id: 'over-1' });
  expect(over.status).toBe(422);
  expect(over.body.error.code).toBe('exceeds_refundable');
  expect(over.body.error.message).toMatch(/exceeds the refundable \d+\.\d\d RON/);
  const replay = await refund(paidId, { amount: '5.00', request_id: 'over-1' });
  expect(replay.status).toBe(422);
  expect(replay.body.error).toEqual(over.body.error);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect((await refund(paidId, { amount: '0.01', request_id: 'over-1' })).status).toBe(409);
  const described = await s.temporal.workflow.getHandle(refundWorkflowId(paidId, 'over-1')).describe();
  expect(described.status.name).toBe('COMPLETED');
});

test("a provider's not found is a refusal answered at once, not minutes of retries", async () => {
  // A capture whose EPX transaction the provider never saw (e.g. made in another environment).
  const sessionId = String(paidId * 10 + 7);
  await recordLedgerEntry({
    idempotencyKey: `capture-${sessionId}-ghost`,
    kind: 'capture',
    source: 'barrier',
    provider: 'epx',
    sessionId,
    gross: '1.00',
    net: '0.81',
    vat: '0.19',
    currency: 'USD',
    occurredAt: new Date().toISOString(),
    providerRefs: { orderId: `${sessionId}-1`, providerRef: 'no-such-bric' },
  });
  const handle = await s.temporal.workflow.start(sessionRefund, {
    workflowId: refundWorkflowId(sessionId, 'ghost-1'),
    taskQueue: s.config.TEMPORAL_TASK_QUEUE,
    args: [{ sessionId: Number(sessionId), requestId: 'ghost-1', amount: '0.50', reason: 'test' }],
  });
  const outcome = (await handle.result()) as RefundOutcome;
  expect(outcome).toMatchObject({ outcome: 'refused', code: 'provider_refused' });
  const history = await handle.fetchHistory();
  const attempts = history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt;
  expect(attempts).toBe(1);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
});
