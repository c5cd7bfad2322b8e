/** The phone layout, the receipt table and the config that feeds them, without a server. */
import { ConfigError, loadConfig } from '../../src/config';
import { escapeHtml, formatMoney, layoutPage } from '../../src/api/pages-layout';
import { buildReceipt, formatDuration, receiptRefusal, receiptTableHtml } from '../../src/api/receipt';
import type { SessionView } from '../../workflows/messages';

const view = (over: Partial<SessionView> = {}): SessionView => ({
  sessionId: 42,
  driverId: 'd1',
  kind: 'barrier',
  parkingId: 189,
  state: 'closed',
  paymentStatus: 'paid',
  paidVia: 'card',
  createdAt: '2026-03-01T09:58:00.000Z',
  startTime: '2026-03-01T10:00:00.000Z',
  endTime: '2026-03-01T12:05:30.000Z',
  amount: { gross: '12.10', net: '10.00', vat: '2.10', vatPercent: '21', currency: 'RON' },
  entranceKey: { id: 1, direction: 'entrance', accessCommand: 'a', remainingTries: 2, startTime: '2026-03-01T09:58:00.000Z', endTime: null },
  exitKey: null,
  attempts: [
    { attempt: 1, orderId: 'o-1', provider: 'netopia', status: 'declined', providerRef: 'ntp-1', redirectUrl: null, reason: 'Expired card', reasonCode: '19', expiresAt: '2026-03-01T12:20:00.000Z' },
    { attempt: 2, orderId: 'o-2', provider: 'netopia', status: 'captured', providerRef: 'ntp-2', redirectUrl: null, reason: null, reasonCode: null, expiresAt: '2026-03-01T12:25:00.000Z' },
  ],
  plate: null,
  anpr: null,
  attention: null,
  closedReason: null,
  ...over,
});
const parking = { id: 189, name: 'Fast <demo> & "parking"', timeZone: 'Europe/Bucharest' };

test('the layout: viewport meta, favicon, escaped title, optional refresh', () => {
  const html = layoutPage('Paid <b>', '<p>x</p>', { refreshSeconds: 2 });
  expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(html).toMatch(/<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,[^"]+">/);
  expect(html).toContain('<title>Paid &#60;b&#62;</title>');
  expect(html).toContain('<h1>Paid &#60;b&#62;</h1>');
  expect(html).toContain('<meta http-equiv="refresh" content="2">');
  expect(layoutPage('T', '<h1>own</h1>', { heading: null })).not.toContain('<h1>T</h1>');
  expect(escapeHtml(`<a href="x" onclick='y'>&`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;');
});

test('money always carries its currency and two decimals, from the decimal string', () => {
  expect(formatMoney('2.5', 'USD')).toBe('2.50 USD');
  expect(formatMoney('0.10', 'RON')).toBe('0.10 RON');
  expect(formatMoney('1234567890.1', 'NOK')).toBe('1234567890.10 NOK');
  expect(formatMoney('n/a', 'SEK')).toBe('n/a SEK');
});

test('the receipt: the captured attempt, the priced stay, the deep link; the table escapes every value', () => {
  const r = buildReceipt(view(), parking, 'parkingapp://sessions/');
  expect(r).toMatchObject({
    parking_session_id: 42,
    entry_time: '2026-03-01T10:00:00+00:00',
    exit_time: '2026-03-01T12:05:30+00:00',
    duration_minutes: 125,
    net: '10.00',
    vat: '2.10',
    vat_percent: '21',
    gross: '12.10',
    provider: 'netopia',
    provider_reference: 'ntp-2',
    order_id: 'o-2',
    app_url: 'parkingapp://sessions/42',
  });
  const html = receiptTableHtml(r);
  expect(html).toContain('Fast &#60;demo&#62; &#38; &#34;parking&#34;');
  expect(html).toContain('<td data-field="duration">2 h 05 min</td>');
  expect(html).toContain('<td data-field="gross">12.10 RON</td>');
  expect(html).toContain('<th scope="row">VAT 21 %</th><td data-field="vat">2.10 RON</td>');
  expect(html).toContain('<td data-field="entry_time">1 Mar 2026, 12:00</td>'); // Bucharest, UTC+2
  expect(formatDuration(0)).toBe('under 1 min');
  expect(formatDuration(59)).toBe('59 min');
});

test('no receipt before the money is settled; billed to Vipps is settled', () => {
  expect(receiptRefusal(view({ state: 'exiting', paymentStatus: 'declined' }))).toMatch(/not paid \(state: exiting, payment_status: declined\)/);
  expect(receiptRefusal(view({ state: 'active', paymentStatus: 'none', amount: null }))).toMatch(/no price yet/);
  expect(receiptRefusal(view({ paymentStatus: 'billed', paidVia: 'vipps', attempts: [] }))).toBeNull();
  expect(buildReceipt(view({ paymentStatus: 'billed', paidVia: 'vipps', attempts: [] }), parking, 'x://').provider).toBe('vipps');
});

test('config: HOST is loopback unless set; APP_DEEP_LINK_BASE needs a scheme', () => {
  expect(loadConfig({}).HOST).toBe('127.0.0.1');
  expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  expect(loadConfig({}).APP_DEEP_LINK_BASE).toBe('parkingapp://sessions/');
  expect(loadConfig({ APP_DEEP_LINK_BASE: 'https://app.example/s/' }).APP_DEEP_LINK_BASE).toBe('https://app.example/s/');
  expect(() => loadConfig({ APP_DEEP_LINK_BASE: 'sessions/' })).toThrow(ConfigError);
});
