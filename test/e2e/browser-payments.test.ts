/**
 * The pay_url in a real browser at phone size (390×844, the app's WebView): Debian's Chromium driven by
 * playwright-core opens the link the app would open, types the sandbox test cards into the provider's card page and
 * reads our result page and its receipt. Every page a phone shows is checked for the phone layout (viewport meta, no
 * horizontal overflow, favicon) and screenshotted into test-artifacts/screenshots/ (git-ignored) for a person to
 * look at. tools/install-chromium.sh installs Chromium when /usr/bin/chromium is missing (apt-get, as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'demo-driver-token-0001';
const NETOPIA_ACCEPTED = '9900004810225098';
const NETOPIA_EXPIRED = '9900541631437790';
const EPX_CARD = '4000000000000002';
const PHONE = { width: 390, height: 844 };
const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

let s: Stack;
let browser: BrowserContext;
let profileDir: string;
const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });

beforeAll(async () => {
  execFileSync('bash', [join(__dirname, '../../tools/install-chromium.sh')], { stdio: 'inherit', timeout: 15 * 60_000 });
  profileDir = mkdtempSync(join(tmpdir(), 'chromium-e2e-'));
  // launchPersistentContext is how playwright takes a --user-data-dir: a fresh temporary profile per run.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  s = await startStack('browser');
}, 20 * 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await s?.stop();
});

/** Start, enter and finalize a session at a parking, as the app does; returns its id and the finalize body. */
async function finalizedSession(parkingId: number, entranceMac: string) {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'entrance', mac_address: entranceMac } });
  await gateEvent(s, id, parkingId, 'entered');
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active');
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  expect(fin.status).toBe(201);
  expect(fin.body.pay_url).toBeTruthy();
  return { id, fin: fin.body };
}

/**
 * The page on screen is a phone page: viewport meta, the shared favicon, nothing wider than the phone (no sideways
 * scrolling), the system font; then a full-page screenshot named after it.
 */
async function phonePage(page: Page, name: string): Promise<string> {
  // A string: this project compiles without the DOM library; the expression runs in the page.
  const facts = (await page.evaluate(`({
    viewport: document.querySelector('meta[name="viewport"]')?.getAttribute('content') ?? null,
    favicon: document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? null,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    font: getComputedStyle(document.body).fontFamily,
  })`)) as { viewport: string | null; favicon: string | null; scrollWidth: number; innerWidth: number; font: string };
  expect(facts.viewport).toMatch(/width=device-width/);
  expect(facts.favicon).toMatch(/^data:image\/svg\+xml,/);
  expect(facts.innerWidth).toBe(PHONE.width);
  expect(facts.scrollWidth).toBeLessThanOrEqual(PHONE.width);
  expect(facts.font).toMatch(/system-ui/);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  return page.locator('body').innerText();
}

/** Every button a thumb must hit is at least 44 px tall (Apple's and Google's minimum touch target). */
async function bigButtons(page: Page) {
  const heights = await page.locator('a.button, button').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  expect(heights.length).toBeGreaterThan(0);
  for (const h of heights) expect(h).toBeGreaterThanOrEqual(44);
}

/** The receipt table on a result or "already paid" page, as field → text. */
async function receiptFields(page: Page): Promise<Record<string, string>> {
  return page.locator('table.receipt td[data-field]').evaluateAll((tds) =>
    Object.fromEntries(tds.map((td) => [td.getAttribute('data-field') ?? '', (td.textContent ?? '').trim()])),
  );
}

/** The provider's card page is open: type the card like a person would and press Pay. */
async function typeCard(page: Page, card: { number: string; month: string; year: string; cvv: string; name?: string }) {
  expect(page.url().startsWith(s.sandboxUrl)).toBe(true);
  await page.locator('input[name="card_number"]').fill(card.number);
  await page.locator('input[name="exp_month"]').fill(card.month);
  await page.locator('input[name="exp_year"]').fill(card.year);
  await page.locator('input[name="cvv"]').fill(card.cvv);
  await page.locator('input[name="name"]').fill(card.name ?? 'Demo Driver');
  await page.locator('button[type="submit"]').click();
}

/** Our result page refreshes itself every 2 s while the outcome is pending: wait for the final heading. */
async function resultHeading(page: Page, text: string): Promise<string> {
  const heading = page.locator('h1', { hasText: text });
  await heading.waitFor({ state: 'visible', timeout: 30_000 });
  expect(new URL(page.url()).pathname).toMatch(/^\/api\/payment\/return\/\d+$/);
  return page.locator('body').innerText();
}

test('Netopia in Chromium: the accepted card pays the session; the result page shows the receipt; the pay link later says "Already paid"', async () => {
  const { id, fin } = await finalizedSession(189, '76:86:BB:DE:65:01');
  expect(fin.amount).toBe('0.10');
  // Before any card: the result page waits and refreshes itself (the app's Bearer token opens it like a signed link).
  const waiting = await browser.newPage();
  try {
    await waiting.setExtraHTTPHeaders({ authorization: `Bearer ${TOKEN}` });
    await waiting.goto(`${s.api}/api/payment/return/${id}`);
    expect(await waiting.locator('h1').innerText()).toMatch(/^Waiting for the payment result/);
    expect(await phonePage(waiting, 'result-waiting')).toContain('0.10 RON');
  } finally {
    await waiting.close();
  }
  const page = await browser.newPage();
  try {
    await page.goto(fin.pay_url);
    expect(await page.locator('input[name="card_number"]').count()).toBe(1);
    expect(await phonePage(page, 'netopia-card-page')).toContain('0.10 RON');
    await bigButtons(page);
    await typeCard(page, { number: NETOPIA_ACCEPTED, month: '12', year: '2030', cvv: '111' });
    const text = await resultHeading(page, 'Payment received');
    expect(text).toContain('0.10 RON');
    expect(await phonePage(page, 'result-paid-receipt')).toContain('Back to the app');
    await bigButtons(page);
    const fields = await receiptFields(page);
    expect(fields).toMatchObject({ parking: 'Fast demo parking', net: '0.08 RON', vat: '0.02 RON', gross: '0.10 RON', parking_session_id: `#${id}` });
    expect(fields.entry_time).toMatch(/\d{2}:\d{2}/);
    expect(fields.exit_time).toMatch(/\d{2}:\d{2}/);
    expect(fields.duration).toMatch(/^(\d+|under 1) min$/);
    expect(fields.provider_reference).toMatch(/^NETOPIA \S+/);
    expect(await page.locator('th', { hasText: 'VAT 21 %' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Back to the app' }).getAttribute('href')).toBe(`parkingapp://sessions/${id}`);
    const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
    expect(paid.body.parking_session.paid_via).toBe('card');

    // The JSON receipt says the same.
    const receipt = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}/receipt`, { token: TOKEN });
    expect(receipt.status).toBe(200);
    expect(receipt.body.receipt).toMatchObject({ parking_session_id: id, net: '0.08', vat: '0.02', vat_percent: '21', gross: '0.10', currency: 'RON' });
    expect(fields.provider_reference).toBe(`NETOPIA ${receipt.body.receipt.provider_reference}`);

    // The car leaves; the WebView (or a shared link) opens the old pay link: an HTML page, not a JSON error.
    await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
    await gateEvent(s, id, 189, 'exited');
    await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');
    const response = await page.goto(fin.pay_url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.locator('h1').innerText()).toBe('Already paid');
    expect(await phonePage(page, 'pay-link-already-paid')).toContain('0.10 RON');
    expect((await receiptFields(page)).gross).toBe('0.10 RON');
  } finally {
    await page.close();
  }
});

test('Netopia in Chromium: the expired card shows the decline, the session stays payable, "Try again" opens a fresh card page', async () => {
  const { id, fin } = await finalizedSession(189, '76:86:BB:DE:65:01');
  const page = await browser.newPage();
  try {
    await page.goto(fin.pay_url);
    const firstCardPage = page.url();
    await typeCard(page, { number: NETOPIA_EXPIRED, month: '12', year: '2030', cvv: '111' });
    const text = await resultHeading(page, 'Payment not completed');
    expect(text).toMatch(/expired/i);
    expect(text).toContain('0.10 RON');
    await phonePage(page, 'result-declined');
    await bigButtons(page);
    const tryAgain = page.getByRole('link', { name: /Try again/ });
    expect(await tryAgain.count()).toBe(1);

    // The provider's word, the same in the app, ops and the PaymentStatus search attribute.
    const declined = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'declined');
    expect(declined.body.parking_session.state).toBe('exiting');
    expect(declined.body.parking_session.last_payment_error).toMatch(/expired/i);
    const again = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
    expect(again.status).toBe(201);
    expect(again.body.amount).toBe(fin.amount);

    await tryAgain.click();
    await page.locator('input[name="card_number"]').waitFor({ state: 'visible' });
    expect(page.url().startsWith(s.sandboxUrl)).toBe(true);
    expect(page.url()).not.toBe(firstCardPage);
    expect(await page.locator('input[name="card_number"]').inputValue()).toBe('');
    expect((await session(id)).body.parking_session.payment_status).not.toBe('paid');
  } finally {
    await page.close();
  }
});

test('EPX in Chromium: the approved test card pays the zero-grace EPX parking; the card page shows USD', async () => {
  const { id, fin } = await finalizedSession(191, '76:86:BB:DE:66:01');
  expect(fin).toMatchObject({ amount: '0.25', currency: 'USD' });
  const page = await browser.newPage();
  try {
    await page.goto(fin.pay_url);
    expect(await phonePage(page, 'epx-card-page')).toContain('0.25 USD');
    await bigButtons(page);
    await typeCard(page, { number: EPX_CARD, month: '12', year: '2030', cvv: '' });
    const text = await resultHeading(page, 'Payment received');
    expect(text).toContain('0.25 USD');
    await phonePage(page, 'result-paid-epx');
    expect(await receiptFields(page)).toMatchObject({ parking: 'Fast EPX demo parking', gross: '0.25 USD', vat: '0.00 USD' });
    const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
    expect(paid.body.parking_session.paid_via).toBe('card');
  } finally {
    await page.close();
  }
});

test('Vipps in Chromium: landing, sandbox login and consent, and the return page are phone pages', async () => {
  const phone = `479${String(Date.now()).slice(-7)}`; // a fresh Vipps user, never the demo driver
  const page = await browser.newPage();
  try {
    await page.goto(`${s.api}/vipps/landing`);
    expect(await phonePage(page, 'vipps-landing')).toContain('Pay for parking with Vipps');
    await bigButtons(page);
    await page.getByRole('link', { name: 'Pay for parking with Vipps' }).click();
    await page.locator('input[name="phone_number"]').waitFor({ state: 'visible' });
    await phonePage(page, 'vipps-sandbox-login');
    await bigButtons(page);
    await page.locator('input[name="phone_number"]').fill(phone);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Accept' }).waitFor({ state: 'visible' });
    expect(await phonePage(page, 'vipps-sandbox-consent')).toMatch(/Suggested daily limit: 2000\.00 NOK/);
    await bigButtons(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.locator('#status').waitFor({ state: 'visible' });
    expect(await page.locator('#status').innerText()).toBe('ACTIVE');
    expect(await phonePage(page, 'vipps-agreement-return')).toMatch(/daily limit 2000\.00 NOK/);
    await page.goto(`${s.api}/vipps/agreements`);
    await phonePage(page, 'vipps-agreements');
  } finally {
    await page.close();
  }
});
