/**
 * The pay_url in a real browser: Debian's Chromium driven by playwright-core opens the link the app's WebView
 * would open, types the sandbox test cards into the provider's card page and reads our result page.
 * tools/install-chromium.sh installs Chromium when /usr/bin/chromium is missing (apt-get, as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ParkingModel } from '../../src/db/models';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'demo-driver-token-0001';
const NETOPIA_ACCEPTED = '9900004810225098';
const NETOPIA_EXPIRED = '9900541631437790';
const EPX_CARD = '4000000000000002';

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

test('Netopia in Chromium: the accepted card pays the session', async () => {
  const { id, fin } = await finalizedSession(189, '76:86:BB:DE:65:01');
  expect(fin.amount).toBe('0.10');
  const page = await browser.newPage();
  try {
    await page.goto(fin.pay_url);
    expect(await page.locator('input[name="card_number"]').count()).toBe(1);
    await typeCard(page, { number: NETOPIA_ACCEPTED, month: '12', year: '2030', cvv: '111' });
    const text = await resultHeading(page, 'Payment received');
    expect(text).toContain('0.10 RON');
    const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
    expect(paid.body.parking_session.paid_via).toBe('card');
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

test('EPX in Chromium: the seed card with an empty CVV pays the EPX parking', async () => {
  // Tariffs are read at finalize: without the grace period the short test stay costs one interval.
  await ParkingModel.updateOne({ id: 188 }, { $set: { 'tariff.graceMinutes': 0 } });
  const { id, fin } = await finalizedSession(188, '76:86:BB:DE:64:01');
  expect(fin.currency).toBe('USD');
  const page = await browser.newPage();
  try {
    await page.goto(fin.pay_url);
    await typeCard(page, { number: EPX_CARD, month: '12', year: '2025', cvv: '' });
    const text = await resultHeading(page, 'Payment received');
    expect(text).toContain(`${fin.amount} USD`);
    const paid = await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
    expect(paid.body.parking_session.paid_via).toBe('card');
  } finally {
    await page.close();
  }
});
