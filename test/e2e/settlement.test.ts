/**
 * Settlement end to end: every card attempt ends on the provider's word (callback or status check), captures that
 * are not kept are booked and refunded by their own workflow, and money the provider reports after the session
 * ended still reaches the ledger. Each test ends with the money invariant (assertExactlyOnce) and the daily
 * report's reconciliation of its session.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { LedgerModel, SessionModel } from '../../src/db/models';
import { NetopiaClient } from '../../src/providers/netopia/client';
import { generateNetopiaKeyPair, signNetopiaIpnToken } from '../../src/providers/netopia/keys';
import type { NetopiaIpnRecord, NetopiaSandboxRecord } from '../../sandbox/netopia/sandbox';
import { lateCaptureWorkflowId, orderRefundWorkflowId, sessionWorkflowId } from '../../src/temporal/ids';
import { DRIVER_TOKEN, finalizedSession, payWithCard, sessionOf } from '../helpers/card-flow';
import { assertExactlyOnce } from '../helpers/exactly-once';
import { netopiaOrderEvent, netopiaPayOrder, records, setControls } from '../helpers/sandbox-controls';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';
import { withoutGrace } from '../helpers/demo-parking';

let s: Stack;
const keys = generateNetopiaKeyPair();
const NETOPIA_CARD = { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' };
const EPX_CARD = { card_number: '4000000000000002', exp_month: '12', exp_year: '2025', cvv: '' };

beforeAll(async () => {
  s = await startStack('settlement', {}, { netopiaKeyPair: keys });
  // Tariffs are read at finalize: without the grace period a short EPX stay costs one interval.
  await withoutGrace(188);
});
afterAll(() => s?.stop());

const ops = (method: string, path: string, body?: unknown) => http(method, `${s.api}${path}`, { token: s.config.OPS_API_TOKEN, body });
const opsSession = async (id: number) => (await ops('GET', `/api/ops/sessions/${id}`)).body.session;
const ledger = (id: number, kind: string, orderId?: string) =>
  LedgerModel.find({ sessionId: String(id), kind, ...(orderId ? { 'providerRefs.orderId': orderId } : {}) }).lean();
const netopiaRecords = () => records<NetopiaSandboxRecord[]>(s.sandboxUrl, 'netopia');
const netopiaSession = () => finalizedSession(s, 189, '76:86:BB:DE:65:01');

/** The daily report (today, UTC): its reconciliation issues about one session, ledger vs read model and vs provider. */
async function reportIssues(id: number) {
  const res = await ops('GET', `/api/ops/reports/daily?date=${new Date().toISOString().slice(0, 10)}`);
  expect(res.status).toBe(200);
  const mine = (issues: Array<{ sessionId: number }>) => issues.filter((i) => i.sessionId === id);
  return { sessions: mine(res.body.reconciliation.issues), provider: mine(res.body.reconciliation.provider.issues) };
}

async function settledCleanly(id: number) {
  const seen = await assertExactlyOnce({ sandboxUrl: s.sandboxUrl, sessionId: id });
  expect(await reportIssues(id)).toEqual({ sessions: [], provider: [] });
  return seen;
}

/** A signed IPN exactly as NETOPIA sends one (RS512 JWT over the raw body), for replays. */
function signedIpn(order: { orderId: string; ntpId: string; amount: number; status: number }) {
  const body = JSON.stringify({
    order: { orderID: order.orderId, ntpID: order.ntpId, amount: order.amount, currency: 'RON' },
    payment: { status: order.status, code: '00', message: 'Approved', amount: order.amount, currency: 'RON' },
  });
  const token = signNetopiaIpnToken({ rawBody: body, posSignature: s.config.NETOPIA_POS_SIGNATURE, privateKeyPem: keys.privateKeyPem });
  return http('POST', `${s.api}/api/providers/netopia/ipn`, { headers: { 'verification-token': token }, body });
}

const approvedNtpId = (orderId: string) => s.sandbox.netopia.charges().find((c) => c.orderId === orderId && c.approved)!.ntpId;

/** A late-capture workflow has finished with what it was told so far (its activities completed, nothing pending). */
async function lateCaptureIdle(orderId: string, activities: number) {
  const handle = s.temporal.workflow.getHandle(lateCaptureWorkflowId(orderId));
  await eventually(
    async () => (await handle.fetchHistory()).events?.filter((e) => e.activityTaskCompletedEventAttributes).length ?? 0,
    (n) => n >= activities,
    30_000,
  );
}

async function payAndExit(id: number, payUrl: string) {
  await payWithCard(payUrl, NETOPIA_CARD);
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status === 'paid');
  const exit = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: DRIVER_TOKEN, body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
  expect(exit.status).toBe(201);
  expect((await gateEvent(s, id, 189, 'exited')).status).toBe(202);
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.state === 'closed');
  // Closed and settled: the session workflow has ended, so later provider news finds no session to signal.
  await s.temporal.workflow.getHandle(sessionWorkflowId(id)).result();
}

test('EPX, the browser never comes back: the status check 30 s after the start finds the sale; one sale, one capture', async () => {
  const { id, fin } = await finalizedSession(s, 188, '76:86:BB:DE:64:01');
  expect(fin.currency).toBe('USD');
  await setControls(s.sandboxUrl, 'epx', { browserNeverReturns: 1 });
  const pay = await http('GET', fin.pay_url);
  expect(pay.status).toBe(303);
  const tac = new URL(pay.location!).searchParams.get('TAC')!;
  const submit = await http('POST', pay.location!.split('?')[0]!, { form: { TAC: tac, name: 'Demo', ...EPX_CARD } });
  expect(submit.status).toBe(200);
  expect(submit.text).toContain('You may close this page');
  expect((await sessionOf(s, id)).body.parking_session.payment_status).toBe('pending');

  const paid = await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.payment_status === 'paid', 75_000);
  expect(paid.body.parking_session.paid_via).toBe('card');
  const orderId = `${id}-1`;
  expect(s.sandbox.epx.charges().filter((c) => c.tranNbr.startsWith(`${id}-`))).toEqual([expect.objectContaining({ tranNbr: orderId, authResp: '00', amount: fin.amount })]);
  expect(await ledger(id, 'capture')).toEqual([expect.objectContaining({ gross: fin.amount, currency: 'USD', provider: 'epx' })]);
  const seen = await settledCleanly(id);
  expect(seen.charges.map((c) => c.orderId)).toEqual([orderId]);
}, 120_000);

test('ops cancel while an attempt is started: the order is voided, the open card page then refuses the card, no charge', async () => {
  const { id, fin } = await netopiaSession();
  const pay = await http('GET', fin.pay_url);
  expect(pay.status).toBe(303);
  const cardPage = pay.location!;
  expect((await http('GET', cardPage)).status).toBe(200);

  const cancel = await ops('POST', `/api/ops/sessions/${id}/cancel`, { reason: 'barrier broken' });
  expect(cancel.status).toBe(200);
  expect(cancel.body.session.state).toBe('cancelled');
  const orderId = `${id}-1`;
  await eventually(netopiaRecords, (rs) => rs.some((r) => r.kind === 'void' && r.orderId === orderId));

  const submit = await http('POST', cardPage, { form: { name: 'Demo Driver', ...NETOPIA_CARD } });
  expect(submit.status).toBe(410);
  expect(submit.text).toMatch(/cancelled/i);
  const ended = await s.temporal.workflow.getHandle(sessionWorkflowId(id)).result();
  expect(ended).toMatchObject({ state: 'cancelled', paymentStatus: 'expired' });
  expect(ended.attempts).toEqual([expect.objectContaining({ orderId, status: 'voided', reasonCode: 'attempt_voided' })]);
  expect(s.sandbox.netopia.charges().filter((c) => c.orderId === orderId)).toEqual([]);
  expect(await ledger(id, 'capture')).toEqual([]);
  expect((await settledCleanly(id)).charges).toEqual([]);
});

test('a capture on another order after the car left is booked and refunded by a late-capture workflow; a replayed IPN of the kept order changes nothing', async () => {
  const { id, fin } = await netopiaSession();
  await payAndExit(id, fin.pay_url);
  const kept = `${id}-1`;
  const late = `${id}-9`;

  // The provider really holds a second charge of this session: an order created and paid at the sandbox.
  const client = new NetopiaClient({ baseUrl: `${s.sandboxUrl}/netopia`, apiKey: s.config.NETOPIA_API_KEY, posSignature: s.config.NETOPIA_POS_SIGNATURE });
  await client.start({ orderId: late, amount: fin.amount, currency: 'RON', description: 'a second tab', returnUrl: `${s.api}/api/payment/return/${id}`, notifyUrl: `${s.api}/api/providers/netopia/ipn` });
  await netopiaPayOrder(s.sandboxUrl, late);
  // NETOPIA's own signed IPN: our route takes it (200, errorType 0), it is never a permanent refusal.
  const ipn = await eventually(
    async () => (await netopiaRecords()).find((r): r is NetopiaIpnRecord => r.kind === 'ipn' && r.orderId === late && r.status === 3),
    (r) => r?.done === true,
  );
  expect(ipn).toMatchObject({ delivered: true, tries: [expect.objectContaining({ httpStatus: 200, errorType: 0 })] });

  const refund = await eventually(() => ledger(id, 'refund', late), (rows) => rows.length > 0, 30_000);
  expect(refund).toEqual([expect.objectContaining({ gross: fin.amount, currency: 'RON', note: expect.stringContaining('late capture') })]);
  expect(await ledger(id, 'capture', late)).toEqual([expect.objectContaining({ gross: fin.amount, note: expect.stringContaining('late capture') })]);
  expect(s.sandbox.netopia.refunds().filter((r) => r.orderId === late)).toEqual([expect.objectContaining({ amount: fin.amount })]);
  expect(await client.status(late, approvedNtpId(late))).toMatchObject({ outcome: 'refunded' });

  // The kept order's IPN once more, after the close: its late-capture workflow finds the capture booked already.
  const replay = await signedIpn({ orderId: kept, ntpId: approvedNtpId(kept), amount: Number(fin.amount), status: 3 });
  expect(replay.status).toBe(200);
  expect(replay.body).toEqual({ errorType: 0, errorCode: null, errorMessage: '' });
  await lateCaptureIdle(kept, 1);
  expect(await ledger(id, 'capture', kept)).toHaveLength(1);
  expect(await ledger(id, 'refund', kept)).toEqual([]);
  await expect(s.temporal.workflow.getHandle(orderRefundWorkflowId(kept)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(s.sandbox.netopia.refunds().filter((r) => r.orderId === kept)).toEqual([]);

  const seen = await settledCleanly(id);
  expect(seen.charges.map((c) => c.orderId).sort()).toEqual([kept, late].sort());
  expect([...seen.refunded]).toEqual([late]);
});

test('a wrong-amount capture whose refund is refused waits for ops; retry refunds it; then the right amount pays once', async () => {
  const { id, fin } = await netopiaSession();
  const pay = await http('GET', fin.pay_url);
  expect(pay.status).toBe(303);
  const wrong = `${id}-1`;
  await setControls(s.sandboxUrl, 'netopia', { refuseNextRefunds: 1 });
  await netopiaPayOrder(s.sandboxUrl, wrong, { amount: '0.01' });

  const flagged = await eventually(() => opsSession(id), (v) => v.attentionCode === 'amount_mismatch');
  expect(flagged.paymentStatus).not.toBe('paid');
  expect(flagged.attempts[0]).toMatchObject({ orderId: wrong, status: 'captured', reasonCode: 'amount_mismatch', capture: { amount: '0.01', currency: 'RON' } });
  expect((await sessionOf(s, id)).body.parking_session.payment_status).toBe('declined');
  // The ops queue: the session is listed among those needing a person, by reason and by "any".
  for (const filter of ['amount_mismatch', 'any']) {
    const listed = await eventually(() => ops('GET', `/api/ops/sessions?attention=${filter}`), (r) => r.body.sessions.some((v: { sessionId: number }) => v.sessionId === id));
    expect(listed.body.sessions.every((v: { attentionCode?: string | null }) => (filter === 'any' ? !!v.attentionCode : v.attentionCode === filter))).toBe(true);
  }

  const url = `/api/ops/order-refunds/${wrong}`;
  const held = await eventually(() => ops('GET', url), (r) => r.status === 200 && r.body.order_refund.waiting_for_decision === true, 30_000);
  expect(held.body.order_refund).toMatchObject({ status: 'RUNNING', attention: 'refund_refused', phase: 'waiting_for_decision', refusal: { code: '52' }, amount: '0.01', session_id: id });
  expect(await ledger(id, 'refund_refused', wrong)).toEqual([expect.objectContaining({ gross: '0.01', note: expect.stringContaining('refused') })]);
  expect(await ledger(id, 'refund')).toEqual([]);
  expect((await s.temporal.workflow.getHandle(sessionWorkflowId(id)).describe()).status.name).toBe('RUNNING');

  // The ops API's edges: credentials, input, unknown refunds.
  expect((await http('GET', `${s.api}${url}`)).status).toBe(401);
  expect((await ops('GET', '/api/ops/order-refunds/not-an-order')).status).toBe(400);
  expect((await ops('GET', `/api/ops/order-refunds/${id}-7`)).status).toBe(404);
  expect((await ops('POST', `/api/ops/order-refunds/${id}-7/decision`, { action: 'retry', note: '' })).status).toBe(404);
  const bad = await ops('POST', `${url}/decision`, { action: 'refund' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([expect.objectContaining({ field: 'action' })]);
  expect((await ops('POST', `${url}/decision`, { action: 'resolve' })).body.error.details).toEqual([expect.objectContaining({ field: 'note' })]);

  const decided = await ops('POST', `${url}/decision`, { action: 'retry', note: 'processor fixed' });
  expect(decided.status).toBe(202);
  expect(decided.body.decision).toEqual({ action: 'retry', by: 'demo-ops', note: 'processor fixed' });
  const refunded = await eventually(() => ops('GET', url), (r) => r.body.order_refund.status === 'COMPLETED', 30_000);
  expect(refunded.body.order_refund).toMatchObject({ attention: null, waiting_for_decision: false, result: { status: 'refunded' } });
  expect(await ledger(id, 'refund', wrong)).toEqual([expect.objectContaining({ gross: '0.01' })]);
  expect(s.sandbox.netopia.refunds().filter((r) => r.orderId === wrong)).toEqual([expect.objectContaining({ amount: '0.01' })]);
  const late = await ops('POST', `${url}/decision`, { action: 'retry', note: 'again' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('not_waiting_for_decision');
  const audit = await ops('GET', `/api/ops/audit?target=order:${wrong}`);
  expect(audit.body.entries.map((e: { actor: string; details: { action: string; outcome: string } }) => [e.actor, e.details.action, e.details.outcome])).toEqual([
    ['demo-ops', 'retry', expect.stringContaining('failed')],
    ['demo-ops', 'retry', 'ok'],
  ]);

  // The driver pays the right amount on a new attempt: paid once; the refunded wrong capture is not kept.
  const again = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(again.status).toBe(201);
  await payWithCard(again.body.pay_url, NETOPIA_CARD);
  const paid = await eventually(() => opsSession(id), (v) => v.paymentStatus === 'paid');
  expect(paid.attempts.map((a: { orderId: string; status: string }) => [a.orderId, a.status])).toEqual([
    [wrong, 'captured'],
    [`${id}-2`, 'captured'],
  ]);
  expect(paid.attempts[1].reasonCode).toBeNull();
  const seen = await settledCleanly(id);
  expect(seen.charges.map((c) => [c.orderId, c.amount])).toEqual([
    [wrong, '0.01'],
    [`${id}-2`, fin.amount],
  ]);
  expect([...seen.refunded]).toEqual([wrong]);
});

test('a reversal after payment flags the open session once; a credit after the close books the provider refund once', async () => {
  // Reversal while the session is still open (paid, not exited yet).
  const open = await netopiaSession();
  await payWithCard(open.fin.pay_url, NETOPIA_CARD);
  await eventually(() => sessionOf(s, open.id), (r) => r.body.parking_session.payment_status === 'paid');
  const reversed = `${open.id}-1`;
  await netopiaOrderEvent(s.sandboxUrl, reversed, 'reversal');
  const flagged = await eventually(() => opsSession(open.id), (v) => v.attentionCode === 'reversal');
  expect(flagged.attempts[0].returned).toEqual([expect.objectContaining({ kind: 'reversal', amount: open.fin.amount })]);
  expect(await ledger(open.id, 'reversal')).toEqual([expect.objectContaining({ gross: open.fin.amount, currency: 'RON' })]);
  const version = async () => (await SessionModel.findOne({ sessionId: open.id }, { version: 1 }).lean())!.version as number;
  const seenVersion = await version();
  const replay = await signedIpn({ orderId: reversed, ntpId: approvedNtpId(reversed), amount: Number(open.fin.amount), status: 17 });
  expect(replay.status).toBe(200);
  expect(replay.body.errorType).toBe(0);
  // The session handles every provider result in its loop and then writes its read model: a newer version.
  await eventually(version, (v) => v > seenVersion);
  expect(await ledger(open.id, 'reversal')).toHaveLength(1);
  expect((await opsSession(open.id)).attempts[0].returned).toHaveLength(1);
  await assertExactlyOnce({ sandboxUrl: s.sandboxUrl, sessionId: open.id });

  // Credit at the provider after the session closed: the late-capture workflow books the refund it reports.
  const closed = await netopiaSession();
  await payAndExit(closed.id, closed.fin.pay_url);
  const credited = `${closed.id}-1`;
  await netopiaOrderEvent(s.sandboxUrl, credited, 'credit');
  const refund = await eventually(() => ledger(closed.id, 'refund', credited), (rows) => rows.length > 0, 30_000);
  expect(refund).toEqual([expect.objectContaining({ gross: closed.fin.amount, note: 'refund reported by the provider' })]);
  await lateCaptureIdle(credited, 1);
  expect(await ledger(closed.id, 'refund')).toHaveLength(1);
  const seen = await assertExactlyOnce({ sandboxUrl: s.sandboxUrl, sessionId: closed.id });
  expect([...seen.refunded]).toEqual([credited]);

  // Money given back after a kept capture has its own ledger rows: nothing unexplained on either side.
  for (const { id } of [open, closed]) expect(await reportIssues(id)).toEqual({ sessions: [], provider: [] });
});
