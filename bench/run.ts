/**
 * `npm run bench`: throughput and latency of the hot pure functions. Prints numbers, asserts nothing.
 * Timer resolution is ~0.1 µs, so sub-microsecond percentiles are approximate; ops/s is the better figure there.
 */
import { priceStay, type Tariff } from '../src/domain/pricing';
import { splitGross } from '../src/domain/vat';
import { signVippsWebhook, verifyVippsWebhook } from '../src/providers/vipps/webhook-signature';
import { verifyNetopiaIpn } from '../src/providers/netopia/inbound';
import { generateNetopiaKeyPair, signNetopiaIpnToken } from '../src/providers/netopia/keys';
import { bench, printTable, type BenchResult } from './harness';

const budgetMs = Number(process.env.BENCH_MS ?? 1000);
const results: BenchResult[] = [];
const run = (name: string, fn: () => unknown) => {
  const r = bench(name, fn, { budgetMs });
  results.push(r);
  process.stderr.write(`  ${name}: done\n`);
};

// ---- pricing ------------------------------------------------------------------------------------------

const HOUR = 3_600_000;
const perMinute: Tariff = { graceMinutes: 15, intervalMinutes: 1, pricePerInterval: '0.10', dailyCap: '40.00', timeZone: 'Europe/Bucharest' };
const demo: Tariff = { graceMinutes: 15, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: '40.00', timeZone: 'Europe/Bucharest' };
// Starts on the spring DST change, so the 3- and 30-day stays include a 23-hour day.
const start = new Date('2026-03-28T20:17:00Z');
const after = (ms: number) => new Date(start.getTime() + ms);
const end1h = after(HOUR);
const end3d = after(3 * 24 * HOUR);
const end30d = after(30 * 24 * HOUR);

process.stderr.write('benchmarks:\n');
run('priceStay per-minute, 1 h (60 intervals)', () => priceStay(start, end1h, perMinute));
run('priceStay per-minute, 3 days (4,320 intervals)', () => priceStay(start, end3d, perMinute));
run('priceStay per-minute, 30 days (43,200 intervals)', () => priceStay(start, end30d, perMinute));
run('priceStay demo hourly, 30 days', () => priceStay(start, end30d, demo));

// ---- VAT ----------------------------------------------------------------------------------------------

run('splitGross 40.00 @ 21%', () => splitGross('40.00', '21'));
run('splitGross 1234.56 @ 19.5%', () => splitGross('1234.56', '19.5'));

// ---- Vipps webhook HMAC -------------------------------------------------------------------------------

const vippsSecret = 'sandbox-vipps-webhook-secret';
const vippsBody = Buffer.from(
  JSON.stringify({
    msn: '123456',
    reference: 'parking-session-000187-0001',
    pspReference: '7686f7788898767977',
    name: 'AUTHORIZED',
    amount: { currency: 'NOK', value: 12300 },
    timestamp: '2026-03-29T08:38:32.000Z',
    idempotencyKey: 'c1d2e3f4-0000-4000-8000-000000000001',
    success: true,
  }),
);
const vippsTarget = { pathAndQuery: '/api/providers/vipps/webhooks', host: 'parking.example.com' };
const vippsHeaders = signVippsWebhook({ secret: vippsSecret, ...vippsTarget, date: new Date('2026-03-29T08:38:32Z'), rawBody: vippsBody });
const vippsHeaderBag: Record<string, string> = { ...vippsHeaders };
const vippsOk = verifyVippsWebhook({ secret: vippsSecret, ...vippsTarget, headers: vippsHeaderBag, rawBody: vippsBody });
if (!vippsOk.ok) throw new Error(`bench setup: Vipps signature does not verify (${vippsOk.reason})`);
run(`verifyVippsWebhook (${vippsBody.length} B body)`, () =>
  verifyVippsWebhook({ secret: vippsSecret, ...vippsTarget, headers: vippsHeaderBag, rawBody: vippsBody }),
);

// ---- NETOPIA IPN (RS512 JWT) --------------------------------------------------------------------------

const keys = generateNetopiaKeyPair();
const posSignature = 'XXXX-XXXX-XXXX-XXXX-XXXX';
const ipnBody = Buffer.from(
  JSON.stringify({
    order: { orderID: 'ps-187-1', ntpID: '1234567', amount: 12.3, currency: 'RON' },
    payment: { ntpID: '1234567', status: 3, amount: 12.3, currency: 'RON', code: '00', message: 'Approved', instrument: { panMasked: '9****5098' } },
  }),
);
const token = signNetopiaIpnToken({ rawBody: ipnBody, posSignature, privateKeyPem: keys.privateKeyPem });
const ipnInput = { rawBody: ipnBody, verificationToken: token, publicKeyPem: keys.publicKeyPem, posSignature };
const ipn = verifyNetopiaIpn(ipnInput);
if (ipn.amount !== '12.30') throw new Error(`bench setup: unexpected IPN ${JSON.stringify(ipn)}`);
run(`verifyNetopiaIpn (RSA-2048 RS512, ${ipnBody.length} B body)`, () => verifyNetopiaIpn(ipnInput));
run('signNetopiaIpnToken (sandbox side, RSA-2048)', () => signNetopiaIpnToken({ rawBody: ipnBody, posSignature, privateKeyPem: keys.privateKeyPem }));

console.log(`\nNode ${process.version}, ${process.platform}/${process.arch}, ${budgetMs} ms per benchmark\n`);
printTable(results);
