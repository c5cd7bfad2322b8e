/**
 * One product process down at the moment a Netopia card payment of a barrier session at demo parking 189 (0.10 RON
 * per started minute) is being settled: the API while the IPN is due, Temporal while the driver pays, FerretDB while
 * the driver pays. Each process is SIGKILLed (no clean shutdown) and restarted; the session must end paid once,
 * booked once, with nothing for the daily reconciliation to explain.
 *
 * Payment attempts live one minute here (PAYMENT_ATTEMPT_TTL_MINUTES=1): the workflow's first status check comes
 * 30 s after the attempt started and the next one when it elapses, so a lost IPN is made up for within a minute.
 * The sandbox's IPN retries keep their real schedule (1 min, 5 min, ...): a retry that arrives after the status
 * check settled the attempt must change nothing.
 */
import { LedgerModel, SessionModel, WebhookInboxModel } from '../../src/db/models';
import { assertExactlyOnce } from '../helpers/exactly-once';
import { startFaultStack, withFaultLogs, type FaultStack } from '../helpers/fault-stack';
import { records, resetControls, setControls } from '../helpers/sandbox-controls';
import { eventually, gateEvent, http } from '../helpers/stack';

let s: FaultStack;
const PARKING = 189;
const ACCEPTED_CARD = { card_number: '9900004810225098', exp_month: '12', exp_year: String(new Date().getUTCFullYear() + 3), cvv: '111', name: 'Demo Driver' };
// Restarted processes reconnect, a killed worker's tasks time out, status checks run 30 s after the attempt started.
const RECOVERY_MS = 150_000;
const TEST_MS = 420_000;

beforeAll(async () => {
  s = await startFaultStack('processes', { PAYMENT_ATTEMPT_TTL_MINUTES: '1' });
}, 300_000);

afterAll(async () => {
  await s?.stopAll();
});

beforeEach(async () => {
  await resetControls(s.urls.sandbox, 'netopia');
});

type Res = Awaited<ReturnType<typeof http>>;
interface IpnRecord {
  kind: 'ipn';
  orderId: string;
  status: number;
  tries: Array<{ httpStatus: number; errorType?: number; error?: string }>;
  delivered: boolean;
  dropped: boolean;
  done: boolean;
}
interface ChargeRecord {
  kind: 'charge';
  orderId: string;
  amount: string;
  approved: boolean;
}

const driver = () => ({ token: s.config.DEMO_DRIVER_TOKEN });
const sessionPath = (id: number) => `${s.urls.api}/api/car_driver/parking_sessions/${id}`;
const session = (id: number) => http('GET', sessionPath(id), driver());
const sessionUntil = (id: number, ok: (v: any) => boolean) =>
  eventually(() => session(id).catch(() => null), (r): r is Res => r !== null && r.status === 200 && ok(r.body.parking_session), RECOVERY_MS) as Promise<Res>;
const finalize = (id: number) => http('PUT', `${sessionPath(id)}/finalize`, { ...driver(), body: { parking_session: { secured_parking_id: PARKING } } });

const netopiaRecords = async () => (await records<Array<{ kind: string; orderId: string }>>(s.urls.sandbox, 'netopia')) as Array<IpnRecord | ChargeRecord | { kind: string; orderId: string }>;
const ipnsOf = async (orderId: string) => (await netopiaRecords()).filter((r): r is IpnRecord => r.kind === 'ipn' && r.orderId === orderId);
const approvedChargesOf = async (id: number) =>
  (await netopiaRecords()).filter((r): r is ChargeRecord => r.kind === 'charge' && (r as ChargeRecord).approved && r.orderId.startsWith(`${id}-`));

/** Start, entrance key, the gate's "entered", finalize; then the WebView opens pay_url: the attempt is started. */
async function startedAttempt(): Promise<{ id: number; amount: string; payUrl: string; cardPage: string }> {
  const start = await http('POST', `${s.urls.api}/api/car_driver/parking_sessions`, { ...driver(), body: { parking_session: { secured_parking_id: PARKING } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const entrance = await http('POST', `${sessionPath(id)}/access_attempts`, { ...driver(), body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } });
  expect(entrance.status).toBe(201);
  expect((await gateEvent({ api: s.urls.api, config: s.config }, id, PARKING, 'entered')).status).toBe(202);
  await sessionUntil(id, (v) => v.state === 'active');
  const fin = await finalize(id);
  expect(fin.status).toBe(201);
  expect(fin.body).toMatchObject({ currency: 'RON', pay_url: expect.any(String) });
  expect(Number(fin.body.amount)).toBeGreaterThan(0);
  const pay = await http('GET', fin.body.pay_url);
  expect(pay.status).toBe(303);
  expect(pay.location!.startsWith(`${s.urls.sandbox}/netopia/`)).toBe(true);
  return { id, amount: fin.body.amount, payUrl: fin.body.pay_url, cardPage: pay.location! };
}

/** The driver submits the accepted card on the sandbox's card page; the sandbox charges it whatever our side does. */
async function payOnCardPage(cardPage: string): Promise<void> {
  const submitted = await http('POST', cardPage, { form: ACCEPTED_CARD });
  expect([302, 303]).toContain(submitted.status);
}

/**
 * NETOPIA sends the refused IPN again (1 min after the first try) and our side, whole again, accepts it: whether it
 * or the status check paid the session, the other one must book nothing more (checked by assertSettledOnce).
 */
async function ipnRetryAccepted(orderId: string): Promise<void> {
  const [ipn] = await eventually(() => ipnsOf(orderId), ([r]) => r?.delivered === true || r?.done === true, RECOVERY_MS);
  expect(ipn.delivered).toBe(true);
  expect(ipn.tries.length).toBeGreaterThan(1);
  expect(ipn.tries.at(-1)).toMatchObject({ httpStatus: 200, errorType: 0 });
}

/** Exit key, the gate's "exited": the session closes paid at the finalized amount. */
async function exitAndClose(id: number, amount: string): Promise<void> {
  const exit = await http('POST', `${sessionPath(id)}/access_attempts`, { ...driver(), body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
  expect(exit.status).toBe(201);
  expect((await gateEvent({ api: s.urls.api, config: s.config }, id, PARKING, 'exited')).status).toBe(202);
  const closed = await sessionUntil(id, (v) => v.state === 'closed');
  expect(closed.body.parking_session).toMatchObject({ state: 'closed', payment_status: 'paid', paid_via: 'card', amount });
}

/**
 * The issue's closing checks: Netopia approved one charge for the session, at its amount, and the ledger has exactly
 * one capture for it (assertExactlyOnce); the daily report's reconciliation (ours and the provider's) names nothing
 * of this session once the read model has caught up with the closed session.
 */
async function assertSettledOnce(id: number, amount: string): Promise<void> {
  const report = await assertExactlyOnce({ sandboxUrl: s.urls.sandbox, sessionId: id });
  expect(report.charges).toEqual([expect.objectContaining({ provider: 'netopia', sessionId: id, amount })]);
  expect(report.captures.get(report.charges[0].orderId)).toBe(1);
  const captures = await LedgerModel.find({ sessionId: String(id), kind: 'capture' }).lean();
  expect(captures).toEqual([expect.objectContaining({ provider: 'netopia', gross: amount, currency: 'RON' })]);

  await eventually(() => SessionModel.findOne({ sessionId: id }).lean(), (row) => row?.state === 'closed' && row.paymentStatus === 'paid', RECOVERY_MS);
  const today = new Date().toISOString().slice(0, 10);
  const daily = await http('GET', `${s.urls.api}/api/ops/reports/daily?date=${today}`, { token: s.config.OPS_API_TOKEN });
  expect(daily.status).toBe(200);
  const ofSession = (issues: Array<{ sessionId: number }>) => issues.filter((i) => i.sessionId === id);
  expect(ofSession(daily.body.reconciliation.issues)).toEqual([]);
  expect(ofSession(daily.body.reconciliation.provider.issues)).toEqual([]);
  expect(daily.body.reconciliation.provider.ordersChecked).toBeGreaterThan(0);
}

test(
  'API down while the IPN is due (and the IPN lost): the status check pays the session without any IPN; a second finalize charges nothing; closed, charged and booked once',
  () =>
    withFaultLogs(s, async () => {
      const { id, amount, payUrl, cardPage } = await startedAttempt();
      const orderId = `${id}-1`;
      await setControls(s.urls.sandbox, 'netopia', { dropCallbacks: 100 });
      await s.kill('api');
      await payOnCardPage(cardPage);
      // The sandbox charged the card and never sent the IPN: nothing but the workflow's own status check can tell us.
      expect(await approvedChargesOf(id)).toEqual([expect.objectContaining({ orderId, amount })]);
      expect(await ipnsOf(orderId)).toEqual([expect.objectContaining({ dropped: true, delivered: false, tries: [] })]);
      await s.start('api');

      const paid = await sessionUntil(id, (v) => v.payment_status === 'paid');
      expect(paid.body.parking_session).toMatchObject({ state: 'exiting', paid_via: 'card', amount });
      expect(await WebhookInboxModel.countDocuments({ dedupKey: { $regex: `^netopia:${orderId}:` } })).toBe(0);

      // The driver finalizes again (the app retries): same amount, no pay page, and the old pay link starts nothing.
      const again = await finalize(id);
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ pay_url: null, amount, currency: 'RON' });
      const reopened = await http('GET', payUrl);
      expect(reopened.status).toBe(303);
      expect(reopened.location!.startsWith(`${s.urls.api}/api/payment/return/${id}`)).toBe(true);
      expect(await approvedChargesOf(id)).toHaveLength(1);

      await exitAndClose(id, amount);
      await assertSettledOnce(id, amount);
    }),
  TEST_MS,
);

test.each([
  { down: 'temporal' as const, what: 'Temporal', back: 'Temporal is back' },
  { down: 'ferretdb' as const, what: 'FerretDB', back: 'the database is back' },
])(
  '$what down while the driver pays: the IPN is answered 503 errorType 1 (retry later); paid once after $back, the IPN retry books nothing more; closed, charged and booked once',
  ({ down }) =>
    withFaultLogs(s, async () => {
      const { id, amount, cardPage } = await startedAttempt();
      const orderId = `${id}-1`;
      await s.kill(down);
      await payOnCardPage(cardPage);
      // The sandbox sends the browser back only after the first IPN try: it is recorded by now.
      const [ipn] = await ipnsOf(orderId);
      expect(ipn).toMatchObject({ delivered: false, dropped: false });
      expect(ipn.tries[0]).toMatchObject({ httpStatus: 503, errorType: 1 });
      await s.start(down);

      const paid = await sessionUntil(id, (v) => v.payment_status === 'paid');
      expect(paid.body.parking_session).toMatchObject({ state: 'exiting', paid_via: 'card', amount });
      await ipnRetryAccepted(orderId);
      await exitAndClose(id, amount);
      expect(await approvedChargesOf(id)).toHaveLength(1);
      await assertSettledOnce(id, amount);
    }),
  TEST_MS,
);
