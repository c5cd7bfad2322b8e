import { AgreementModel, DriverModel, LedgerModel } from '../../src/db/models';
import { vippsBillingWorkflowId } from '../../src/temporal/ids';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

/**
 * A new driver's whole Vipps journey over loopback HTTP against the whole product (test/helpers/stack.ts):
 * QR → landing → Vipps Login → agreement accepted in the "app" → the app token shown on the return page →
 * two camera (ANPR) parkings that the product hands to Vipps daily billing → ops bill-now → Vipps' due date →
 * CHARGED → one receipt with both sessions. Browser redirects are followed by hand (redirect: 'manual') and
 * cookies carried by hand, like a browser would.
 */

const PHONE = '4795557777';
const PLATE = 'VJ2001';

let s: Stack;
let api = '';

beforeAll(async () => {
  s = await startStack('e2e_vipps_journey');
  api = s.api;
});
afterAll(() => s?.stop());

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

type OrderLine = { id: string; totalAmount: number; totalAmountExcludingTax: number; totalTaxAmount: number; taxRate?: number };
type VippsRecords = {
  charges: Array<{ id: string; agreementId: string; amount: number; due: string; status: string; transactionType: string }>;
  receipts: Array<{ orderId: string; paymentType?: string; receipt: { orderLines: OrderLine[] } }>;
};
const vippsRecords = async () => (await http('GET', `${s.sandboxUrl}/vipps/_records`)).body as VippsRecords;

/** QR → landing → login → accept; returns the new driver's app token (from the return page) and agreement id. */
async function onboard(): Promise<{ token: string; agreementId: string }> {
  // The QR image on the parking sign encodes Vipps' short link, which redirects the phone to our landing page.
  const qr = await http('GET', `${api}/vipps/qr`, { headers: { accept: 'application/json' } });
  expect(qr.status).toBe(200);
  expect(qr.body).toMatchObject({ id: 'parking-site', redirectUrl: `${api}/vipps/landing` });
  const image = await fetch(qr.body.url);
  expect(image.headers.get('content-type')).toContain('image/svg+xml');
  const shortLink = String(qr.body.url).replace(/\/qr\/v1\/images\/([^/]+)\.svg$/, '/qr/r/$1');
  const scanned = await fetch(shortLink, { redirect: 'manual' });
  expect(scanned.status).toBe(302);
  expect(scanned.headers.get('location')).toBe(`${api}/vipps/landing`);
  const landing = await fetch(`${api}/vipps/landing`);
  expect(await landing.text()).toContain('href="/vipps/login"');

  const login = await fetch(`${api}/vipps/login`, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const loginCookie = cookiesOf(login);
  expect(Object.keys(loginCookie)).toContain('vipps_login');
  const authorize = new URL(login.headers.get('location') ?? '');
  const vippsLogin = await fetch(authorize.origin + authorize.pathname, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), phone_number: PHONE, action: 'login' }),
    redirect: 'manual',
  });
  expect(vippsLogin.status).toBe(302);
  const callback = vippsLogin.headers.get('location') ?? '';
  expect(callback.startsWith(`${api}/vipps/login/callback?`)).toBe(true);
  const cb = await fetch(callback, { redirect: 'manual', headers: { cookie: `vipps_login=${loginCookie.vipps_login}` } });
  expect(cb.status).toBe(302);
  const tokenCookie = cookiesOf(cb).vipps_app_token;
  expect(tokenCookie).toBeTruthy();
  const confirmation = cb.headers.get('location') ?? '';

  // The user accepts in the "app"; Vipps redirects the browser to our return page.
  const accept = await fetch(confirmation, { method: 'POST', body: new URLSearchParams({ action: 'accept', phoneNumber: PHONE }), redirect: 'manual' });
  expect(accept.status).toBe(302);
  const returnUrl = accept.headers.get('location') ?? '';
  expect(returnUrl.startsWith(`${api}/vipps/agreement-return?`)).toBe(true);
  const ret = await fetch(returnUrl, { redirect: 'manual', headers: { cookie: `vipps_app_token=${tokenCookie}` } });
  expect(ret.status).toBe(200);
  const html = await ret.text();
  expect(html).toContain('<strong id="status">ACTIVE</strong>');
  const token = /<code id="token">([^<]+)<\/code>/.exec(html)?.[1] ?? '';
  expect(token).toBe(decodeURIComponent(tokenCookie));

  const driver = await DriverModel.findOne({ phoneNumber: PHONE }).lean();
  const agreement = await eventually(
    () => AgreementModel.findOne({ driverId: driver?.id }).lean(),
    (a) => a?.status === 'ACTIVE',
  );
  expect(driver?.id).toBeTruthy();
  return { token, agreementId: agreement!.agreementId };
}

/** One camera parking of about two hours, started in the app with the driver's token, ended by the exit camera. */
async function park(token: string): Promise<{ id: number; amount: { gross: string } }> {
  const enter = await http('POST', `${s.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR', offset_minutes: -120 } });
  expect(enter.status).toBeLessThan(300);
  const start = await http('POST', `${api}/api/car_driver/parking_sessions`, {
    token,
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR' } },
  });
  expect(start.status).toBe(201);
  expect(start.body.parking_session.state).toBe('active');
  const id = start.body.parking_session.id as number;
  const exit = await http('POST', `${s.sandboxUrl}/autopay/_camera/exit`, { body: { vehicle_reg: PLATE, wait: true } });
  expect(exit.status).toBeLessThan(300);
  const closed = await eventually(
    () => http('GET', `${api}/api/car_driver/parking_sessions/${id}`, { token }),
    (r) => r.body?.parking_session?.state === 'closed',
  );
  // An ACTIVE agreement: the session is handed to Vipps daily billing, no card payment.
  expect(closed.body.parking_session).toMatchObject({ payment_status: 'billed', paid_via: 'vipps', pay_url: null, currency: 'NOK' });
  return { id, amount: { gross: closed.body.parking_session.amount } };
}

test('QR → login → accept → park twice → bill now → CHARGED on the due date → receipt with both sessions', async () => {
  const { token, agreementId } = await onboard();
  const ops = { authorization: `Bearer ${s.config.OPS_API_TOKEN}` };
  const billingUrl = `${api}/api/ops/vipps/agreements/${agreementId}`;
  try {
    const first = await park(token);
    const second = await park(token);
    expect(second.id).not.toBe(first.id);
    const [a, b] = [first, second].map((p) => Math.round(Number(p.amount.gross) * 100));
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);

    // Both sessions are pending in the driver's billing workflow; nothing is charged before the day ends.
    const pending = await eventually(
      () => http('GET', billingUrl, { headers: ops }),
      (r) => r.status === 200 && r.body.pending.length === 2,
    );
    expect(pending.body.pending.map((l: { sessionId: string }) => l.sessionId)).toEqual([String(first.id), String(second.id)]);
    expect(Math.round(Number(pending.body.pendingTotal) * 100)).toBe(a + b);
    expect((await vippsRecords()).charges.filter((c) => c.agreementId === agreementId)).toHaveLength(0);

    const billNow = await http('POST', `${billingUrl}/bill-now`, { headers: ops });
    expect(billNow.status).toBe(202);
    const created = await eventually(
      () => http('GET', billingUrl, { headers: ops }),
      (r) => r.body.openCharges[0]?.status === 'CREATED',
    );
    const charges = (await vippsRecords()).charges.filter((c) => c.agreementId === agreementId);
    expect(charges).toHaveLength(1);
    const charge = charges[0];
    expect(charge).toMatchObject({ id: created.body.openCharges[0].chargeId, amount: a + b, transactionType: 'DIRECT_CAPTURE' });

    // Vipps' clock reaches the due date: the sandbox charges it and sends recurring.charge-captured.v1 to our API.
    const clock = await http('POST', `${s.sandboxUrl}/vipps/_clock/set`, { body: { now: `${charge.due}T08:00:00Z` } });
    expect(clock.status).toBe(200);
    const charged = await eventually(
      () => http('GET', billingUrl, { headers: ops }),
      (r) => r.status === 200 && r.body.settledCharges?.[0]?.receipt === 'sent',
      30_000,
    );
    expect(charged.body.settledCharges).toHaveLength(1);
    expect(charged.body.settledCharges[0]).toMatchObject({ chargeId: charge.id, outcome: 'charged', status: 'CHARGED' });
    expect(Math.round(Number(charged.body.settledCharges[0].amount) * 100)).toBe(a + b);
    expect(charged.body.openCharges).toHaveLength(0);
    expect(charged.body.pending).toHaveLength(0);

    const records = await vippsRecords();
    expect(records.charges.find((c) => c.id === charge.id)?.status).toBe('CHARGED');
    const receipts = records.receipts.filter((r) => r.orderId === charge.id);
    expect(receipts).toHaveLength(1);
    const lines = receipts[0].receipt.orderLines;
    expect(lines.map((l) => [l.id, l.totalAmount])).toEqual([
      [String(first.id), a],
      [String(second.id), b],
    ]);
    for (const l of lines) expect(l.totalAmountExcludingTax + l.totalTaxAmount).toBe(l.totalAmount);
    expect(lines.reduce((sum, l) => sum + l.totalAmount, 0)).toBe(charge.amount);

    const ledger = await LedgerModel.find({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId }).lean();
    expect(ledger).toHaveLength(1);
    expect(Math.round(Number(ledger[0].gross) * 100)).toBe(a + b);
  } finally {
    // The billing workflow waits for future usage on the shared dev server: end it with this file.
    await s.temporal.workflow.getHandle(vippsBillingWorkflowId(agreementId)).terminate('end of test').catch(() => undefined);
  }
});
