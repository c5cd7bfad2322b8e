/**
 * The worker dies (SIGKILL, no clean shutdown) and comes back at every step of a Netopia card payment of a barrier
 * session at demo parking 189 (the README walkthrough): after the start, after finalize, right after the card is
 * submitted (the IPN is being applied: ledger write, projection) and before the exit. Temporal hands the work to the
 * restarted worker; the driver is charged once, the ledger books it once, and the session closes paid.
 */
import { LedgerModel } from '../../src/db/models';
import { assertExactlyOnce } from '../helpers/exactly-once';
import { startFaultStack, withFaultLogs, type FaultStack } from '../helpers/fault-stack';
import { eventually, gateEvent, http } from '../helpers/stack';

let s: FaultStack;
const PARKING = 189;
const ACCEPTED_CARD = { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111', name: 'Demo Driver' };
// A killed worker's sticky queue and in-flight activities time out before another worker takes them over.
const RECOVERY_MS = 120_000;

beforeAll(async () => {
  s = await startFaultStack('worker-kill');
}, 300_000);

afterAll(async () => {
  await s?.stopAll();
});

const driver = () => ({ token: s.config.DEMO_DRIVER_TOKEN });
const session = (id: number) => http('GET', `${s.urls.api}/api/car_driver/parking_sessions/${id}`, driver());
const sessionUntil = (id: number, ok: (v: any) => boolean) =>
  eventually(() => session(id), (r) => r.status === 200 && ok(r.body.parking_session), RECOVERY_MS);
const gate = (id: number, event: 'entered' | 'exited') => gateEvent({ api: s.urls.api, config: s.config }, id, 189, event);

/** Retries a request the API answers with 5xx while the workflow has no worker (an update waits, then times out). */
async function untilAccepted(what: string, send: () => ReturnType<typeof http>, ok: number[]): Promise<Awaited<ReturnType<typeof http>>> {
  const res = await eventually(send, (r) => ok.includes(r.status) || (r.status >= 400 && r.status < 500), RECOVERY_MS);
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

test('SIGKILL of the worker at every step of a Netopia card payment: paid once, booked once, closed', () =>
  withFaultLogs(s, async () => {
    // 1. start; the worker dies right after.
    const start = await http('POST', `${s.urls.api}/api/car_driver/parking_sessions`, { ...driver(), body: { parking_session: { secured_parking_id: PARKING } } });
    expect(start.status).toBe(201);
    const id: number = start.body.parking_session.id;
    await s.restart('worker');

    // 2. entrance key and the gate's "entered".
    await untilAccepted(
      'entrance access attempt',
      () => http('POST', `${s.urls.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { ...driver(), body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } }),
      [201],
    );
    expect((await gate(id, 'entered')).status).toBe(202);
    await sessionUntil(id, (v) => v.state === 'active');

    // 3. finalize; the worker dies right after.
    const fin = await untilAccepted(
      'finalize',
      () => http('PUT', `${s.urls.api}/api/car_driver/parking_sessions/${id}/finalize`, { ...driver(), body: { parking_session: { secured_parking_id: PARKING } } }),
      [201],
    );
    expect(fin.body).toMatchObject({ currency: 'RON' });
    await s.restart('worker');

    // 4. the WebView opens pay_url and submits the accepted card; the worker dies while the IPN is being applied.
    const pay = await untilAccepted('open pay_url', () => http('GET', fin.body.pay_url), [303]);
    const submitted = await http('POST', pay.location!, { form: ACCEPTED_CARD });
    expect([302, 303]).toContain(submitted.status);
    await s.kill('worker');
    await s.start('worker');
    const paid = await sessionUntil(id, (v) => v.payment_status === 'paid');
    expect(paid.body.parking_session).toMatchObject({ state: 'exiting', paid_via: 'card' });

    // 5. the worker dies before the exit; then exit key, the gate's "exited".
    await s.restart('worker');
    await untilAccepted(
      'exit access attempt',
      () => http('POST', `${s.urls.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { ...driver(), body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } }),
      [201],
    );
    expect((await gate(id, 'exited')).status).toBe(202);
    const closed = await sessionUntil(id, (v) => v.state === 'closed');
    expect(closed.body.parking_session).toMatchObject({ state: 'closed', payment_status: 'paid', amount: fin.body.amount });

    // Netopia charged the session's orders once; the ledger has one capture for the session, for that charge.
    const records = (await http('GET', `${s.urls.sandbox}/netopia/_records`)).body as { kind: string; orderId: string; approved?: boolean }[];
    const approved = records.filter((r) => r.kind === 'charge' && r.approved && r.orderId.startsWith(`${id}-`));
    expect(approved).toHaveLength(1);
    const captures = await eventually(() => LedgerModel.find({ sessionId: String(id), kind: 'capture' }).lean(), (rows) => rows.length > 0, RECOVERY_MS);
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ provider: 'netopia', gross: fin.body.amount, currency: 'RON', providerRefs: expect.objectContaining({ orderId: approved[0].orderId }) });
    const report = await assertExactlyOnce({ sandboxUrl: s.urls.sandbox, sessionId: id });
    expect(report.charges.map((c) => c.orderId)).toEqual([approved[0].orderId]);
    await expect(assertExactlyOnce({ sandboxUrl: s.urls.sandbox })).resolves.toBeDefined();

    // The check is not vacuous: a second capture row for the charge, as a non-idempotent retry would write, fails it.
    const { _id, createdAt: _created, updatedAt: _updated, ...row } = captures[0];
    await LedgerModel.create({ ...row, _id: `${row.idempotencyKey}-retried`, idempotencyKey: `${row.idempotencyKey}-retried` });
    await expect(assertExactlyOnce({ sandboxUrl: s.urls.sandbox, sessionId: id })).rejects.toThrow(`but the ledger has 2 capture rows for it`);
    await LedgerModel.deleteOne({ idempotencyKey: `${row.idempotencyKey}-retried` });
  }));
