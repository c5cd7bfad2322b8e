/**
 * The sessions tools/export-histories.ts records: each drives the running product over HTTP the way the README's
 * walkthrough does and returns the workflow id whose history is worth replaying. Open workflows matter most: they
 * are the ones a new deploy must keep replaying.
 */
import { demoGateKey } from '../src/db/demo-data';
import { AgreementModel, DriverModel } from '../src/db/models';
import { easyParkWorkflowId, sessionWorkflowId, vippsBillingWorkflowId } from '../src/temporal/ids';
import { withoutGrace } from '../test/helpers/demo-parking';
import { eventually, http } from '../test/helpers/stack';
import { EPX_APPROVED, NETOPIA_ACCEPTED, NETOPIA_EXPIRED } from '../test/helpers/test-cards';

export interface ScenarioContext {
  api: string;
  sandboxUrl: string;
  driverToken: string;
  gateKey: string;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<string>;
}


const MACS: Record<number, { entrance: string; exit: string }> = {
  188: { entrance: '76:86:BB:DE:64:01', exit: '76:86:BB:DE:64:02' },
  189: { entrance: '76:86:BB:DE:65:01', exit: '76:86:BB:DE:65:02' },
};

function expectStatus(res: { status: number; text: string }, ok: number[], what: string): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
}

const session = (ctx: ScenarioContext, id: number) => http('GET', `${ctx.api}/api/car_driver/parking_sessions/${id}`, { token: ctx.driverToken });
/** The fields of the app's session view the scenarios wait on. */
type SessionSummary = { state: string; payment_status: string };
const until = (ctx: ScenarioContext, id: number, ok: (s: SessionSummary) => boolean) =>
  eventually(() => session(ctx, id), (r) => r.status === 200 && ok(r.body.parking_session as SessionSummary), 30_000);

/** The demo gate of the session's parking reports the car, with its own key and MAC address. */
async function gate(ctx: ScenarioContext, id: number, event: 'entered' | 'exited'): Promise<void> {
  const parkingId = Number((await session(ctx, id)).body.parking_session.secured_parking_id);
  const direction = event === 'entered' ? 'entrance' : 'exit';
  const res = await http('POST', `${ctx.api}/api/gates/events`, {
    headers: { 'x-api-key': demoGateKey({ DEMO_GATE_API_KEY: ctx.gateKey }, parkingId, direction) },
    body: { parking_session_id: id, event, mac_address: MACS[parkingId]![direction] },
  });
  expectStatus(res, [200, 202], `gate ${event}`);
}

/** README steps 1–2: start at a barrier parking, use the entrance key, the gate reports the car in. */
async function enteredSession(ctx: ScenarioContext, parkingId: number): Promise<number> {
  const start = await http('POST', `${ctx.api}/api/car_driver/parking_sessions`, { token: ctx.driverToken, body: { parking_session: { secured_parking_id: parkingId } } });
  expectStatus(start, [201], 'start session');
  const id: number = start.body.parking_session.id;
  const access = await http('POST', `${ctx.api}/api/car_driver/parking_sessions/${id}/access_attempts`, {
    token: ctx.driverToken,
    body: { direction: 'entrance', mac_address: MACS[parkingId].entrance },
  });
  expectStatus(access, [201], 'entrance access attempt');
  await gate(ctx, id, 'entered');
  await until(ctx, id, (s) => s.state === 'active');
  return id;
}

/** README step 3: finalize; returns the pay_url. */
async function finalize(ctx: ScenarioContext, id: number, parkingId: number): Promise<string> {
  const fin = await http('PUT', `${ctx.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: ctx.driverToken, body: { parking_session: { secured_parking_id: parkingId } } });
  expectStatus(fin, [201], 'finalize');
  return fin.body.pay_url;
}

/** README step 4: the WebView opens pay_url (which starts the provider attempt) and lands on the card page. */
async function openPayUrl(payUrl: string): Promise<string> {
  const pay = await http('GET', payUrl);
  expectStatus(pay, [303], 'open pay_url');
  return pay.location!;
}

async function submitCard(cardPage: string, card: Record<string, string>): Promise<string> {
  const [action, query] = cardPage.split('?');
  const extra = Object.fromEntries(new URLSearchParams(query ?? ''));
  const res = await http('POST', action, { form: { ...extra, ...card } });
  expectStatus(res, [302, 303], 'submit card');
  return res.location!;
}

/** README step 5: exit key, the gate reports the car out, the session closes. */
async function exitAndClose(ctx: ScenarioContext, id: number, parkingId: number): Promise<void> {
  const exit = await http('POST', `${ctx.api}/api/car_driver/parking_sessions/${id}/access_attempts`, {
    token: ctx.driverToken,
    body: { direction: 'exit', mac_address: MACS[parkingId].exit },
  });
  expectStatus(exit, [201], 'exit access attempt');
  await gate(ctx, id, 'exited');
  await until(ctx, id, (s) => s.state === 'closed');
}


/** `name=value` of each Set-Cookie header, by name. */
function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function location(res: Response, what: string): string {
  const to = res.headers.get('location');
  if (res.status !== 302 || !to) throw new Error(`${what}: expected a 302 redirect, got HTTP ${res.status}`);
  return to;
}

/** A new driver's Vipps onboarding (login, agreement accepted) as test/e2e/vipps-journey.test.ts does it by hand. */
async function vippsDriver(ctx: ScenarioContext, phone: string): Promise<{ token: string; agreementId: string }> {
  const login = await fetch(`${ctx.api}/vipps/login`, { redirect: 'manual' });
  const loginCookie = cookiesOf(login).vipps_login;
  const authorize = new URL(location(login, 'Vipps login'));
  const vippsLogin = await fetch(authorize.origin + authorize.pathname, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), phone_number: phone, action: 'login' }),
    redirect: 'manual',
  });
  const cb = await fetch(location(vippsLogin, 'Vipps authorize'), { redirect: 'manual', headers: { cookie: `vipps_login=${loginCookie}` } });
  const token = decodeURIComponent(cookiesOf(cb).vipps_app_token ?? '');
  const accept = await fetch(location(cb, 'login callback'), { method: 'POST', body: new URLSearchParams({ action: 'accept', phoneNumber: phone }), redirect: 'manual' });
  await fetch(location(accept, 'agreement accept'), { redirect: 'manual' });
  const driver = await DriverModel.findOne({ phoneNumber: phone }).lean();
  const agreement = await eventually(
    () => AgreementModel.findOne({ driverId: driver?.id ?? '' }).lean(),
    (a) => a?.status === 'ACTIVE',
    30_000,
  );
  if (!token || !agreement) throw new Error('Vipps onboarding did not produce an app token and an active agreement');
  return { token, agreementId: agreement.agreementId };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'barrier-exiting-card-attempt-started',
    async run(ctx) {
      const id = await enteredSession(ctx, 189);
      await openPayUrl(await finalize(ctx, id, 189));
      await until(ctx, id, (s) => s.state === 'exiting' && s.payment_status === 'pending');
      return sessionWorkflowId(id);
    },
  },
  {
    name: 'barrier-active',
    async run(ctx) {
      return sessionWorkflowId(await enteredSession(ctx, 189));
    },
  },
  {
    name: 'barrier-netopia-paid-closed',
    async run(ctx) {
      const id = await enteredSession(ctx, 189);
      await submitCard(await openPayUrl(await finalize(ctx, id, 189)), NETOPIA_ACCEPTED);
      await until(ctx, id, (s) => s.payment_status === 'paid');
      await exitAndClose(ctx, id, 189);
      return sessionWorkflowId(id);
    },
  },
  {
    // Paid, the car not out yet: open with the stale clock's timers pending (lean-v4 keeps a deadline's timer).
    name: 'barrier-paid-not-exited',
    async run(ctx) {
      const id = await enteredSession(ctx, 189);
      await submitCard(await openPayUrl(await finalize(ctx, id, 189)), NETOPIA_ACCEPTED);
      await until(ctx, id, (s) => s.payment_status === 'paid');
      return sessionWorkflowId(id);
    },
  },
  {
    name: 'barrier-declined-once-waiting',
    async run(ctx) {
      const id = await enteredSession(ctx, 189);
      await submitCard(await openPayUrl(await finalize(ctx, id, 189)), NETOPIA_EXPIRED);
      await until(ctx, id, (s) => s.state === 'exiting' && s.payment_status === 'declined');
      return sessionWorkflowId(id);
    },
  },
  {
    name: 'anpr-active',
    async run(ctx) {
      const enter = await http('POST', `${ctx.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: 'RP1001', plate_issuer: 'NOR', offset_minutes: -90 } });
      expectStatus(enter, [200, 201], 'camera enter');
      const start = await http('POST', `${ctx.api}/api/car_driver/parking_sessions`, {
        token: ctx.driverToken,
        body: { parking_session: { parking_area_code: 'area1', vehicle_reg: 'RP1001', plate_issuer: 'NOR' } },
      });
      expectStatus(start, [201], 'start ANPR session');
      const id: number = start.body.parking_session.id;
      await until(ctx, id, (s) => s.state === 'active');
      return sessionWorkflowId(id);
    },
  },
  {
    name: 'barrier-epx-paid-closed',
    async run(ctx) {
      // Without the grace period the short stay costs one interval (as in the e2e tests).
      await withoutGrace(188);
      const id = await enteredSession(ctx, 188);
      const back = await submitCard(await openPayUrl(await finalize(ctx, id, 188)), EPX_APPROVED);
      const confirmed = await http('GET', back); // the browser returns to our API, which confirms with EPX
      expectStatus(confirmed, [303], 'EPX browser return');
      await until(ctx, id, (s) => s.payment_status === 'paid');
      await exitAndClose(ctx, id, 188);
      return sessionWorkflowId(id);
    },
  },
  {
    name: 'fleet-session-booked',
    async run(ctx) {
      const sent = await http('POST', `${ctx.sandboxUrl}/easypark/_send`, { body: { generate: true } });
      expectStatus(sent, [200], 'EasyPark send');
      if (sent.body.outcome !== 'accepted') throw new Error(`EasyPark delivery not accepted: ${sent.text.slice(0, 300)}`);
      return easyParkWorkflowId(sent.body.payload.parkingId);
    },
  },
  {
    name: 'vipps-billing-usage-pending',
    async run(ctx) {
      const { token, agreementId } = await vippsDriver(ctx, '4795550001');
      const plate = 'RP2001';
      await http('POST', `${ctx.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR', offset_minutes: -120 } });
      const start = await http('POST', `${ctx.api}/api/car_driver/parking_sessions`, {
        token,
        body: { parking_session: { parking_area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR' } },
      });
      expectStatus(start, [201], 'start ANPR session (Vipps driver)');
      const id: number = start.body.parking_session.id;
      await http('POST', `${ctx.sandboxUrl}/autopay/_camera/exit`, { body: { vehicle_reg: plate, wait: true } });
      await eventually(
        () => http('GET', `${ctx.api}/api/car_driver/parking_sessions/${id}`, { token }),
        (r) => r.body?.parking_session?.payment_status === 'billed',
        30_000,
      );
      return vippsBillingWorkflowId(agreementId);
    },
  },
];
