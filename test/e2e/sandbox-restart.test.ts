/**
 * The provider sandbox remembers, like the providers it stands for: the sandbox runs as its own process
 * (sandbox/main.ts, as `npm run start:sandbox` and docker compose run it), is SIGKILLed and started
 * again on the same state directory. After the restart a Vipps agreement still exists and can be charged
 * (what ops bill-now asks Vipps for), a Netopia payment taken before can be refunded, and a camera exit for a car
 * that entered before ends its parking and calls our API back with the parking's reference.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { freePort, ROOT } from '../../src/platform/local-servers';
import { createProviderClients, type ProviderClients } from '../../src/providers/clients';
import { http } from '../helpers/stack';

const TSX_LOADER = require.resolve('tsx');
const ENTRY = path.join(ROOT, 'sandbox', 'main.ts');

let dir = '';
let config: Config;
let env: NodeJS.ProcessEnv;
let child: ChildProcess | null = null;
let output = '';
let api: Server;
/** What the sandboxes sent to "our API" (a stand-in that answers 200 to everything). */
const callbacks: Array<{ path: string; body: any }> = [];

async function startSandbox(): Promise<void> {
  const c = spawn(process.execPath, ['--import', TSX_LOADER, ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child = c;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (c.exitCode !== null) throw new Error(`sandbox exited during start-up:\n${output}`);
    if (await fetch(`${config.SANDBOX_BASE_URL}/netopia/public-key.pem`).then((r) => r.ok).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`sandbox not ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGKILL: no clean shutdown, so nothing is saved on the way out; what was answered must already be on disk. */
async function killSandbox(): Promise<void> {
  const c = child;
  child = null;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  process.kill(-c.pid!, 'SIGKILL');
  await gone;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-restart-'));
  const [apiPort, sandboxPort] = [await freePort(), await freePort()];
  env = {
    ...process.env,
    NODE_ENV: 'test',
    APP_MODE: 'sandbox',
    PORT: String(apiPort),
    SANDBOX_PORT: String(sandboxPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    SANDBOX_BASE_URL: `http://127.0.0.1:${sandboxPort}`,
    SANDBOX_STATE_DIR: path.join(dir, 'sandbox'),
  };
  config = loadConfig(env);
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON: kept as text
      }
      callbacks.push({ path: req.url ?? '', body: parsed });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  await new Promise<void>((resolve) => api.listen(apiPort, '127.0.0.1', resolve));
  await startSandbox();
}, 120_000);

afterAll(async () => {
  await killSandbox();
  await new Promise<void>((resolve) => api?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('a Vipps agreement, a Netopia payment and a camera parking survive a sandbox restart', async () => {
  const clients: ProviderClients = createProviderClients(config);
  const run = `${process.pid}-${Date.now()}`;

  // Before: an ACTIVE Vipps agreement, a paid Netopia order, a car the camera saw enter and our app claimed.
  const { agreementId } = await clients.vipps.draftAgreement({
    productName: 'Parking',
    suggestedMaxAmountMinor: 200_000,
    currency: 'NOK',
    merchantRedirectUrl: `${config.PUBLIC_BASE_URL}/vipps/agreement-return`,
    merchantAgreementUrl: `${config.PUBLIC_BASE_URL}/vipps/agreements`,
    idempotencyKey: `draft-${run}`,
  });
  await clients.vipps.forceAcceptAgreement(agreementId, '4795550101', `accept-${run}`);

  const orderId = `restart-${run}`;
  const started = await clients.cardProviders.netopia.start({
    orderId,
    amount: '12.50',
    currency: 'RON',
    description: 'Parking before the restart',
    returnUrl: `${config.PUBLIC_BASE_URL}/api/payment/return/1`,
    notifyUrl: `${config.PUBLIC_BASE_URL}/api/providers/netopia/ipn`,
  });
  const paid = await http('POST', `${config.SANDBOX_BASE_URL}/netopia/_orders/${orderId}/pay`, { body: {} });
  expect(paid.status).toBe(200);
  expect((await clients.cardProviders.netopia.status(orderId, started.providerRef)).outcome).toBe('paid');
  const keyBefore = await (await fetch(`${config.SANDBOX_BASE_URL}/netopia/public-key.pem`)).text();

  const plate = `RS${String(Date.now()).slice(-5)}`;
  const entered = await http('POST', `${config.SANDBOX_BASE_URL}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR', offset_minutes: -90 } });
  expect(entered.status).toBe(201);
  const operatorId = Object.keys(config.autopayOperators)[0]!;
  await clients.autopay.connectParking(operatorId, { parking_area_code: 'area1', reference: '424242', vehicle_reg: plate, plate_issuer: 'NOR' });

  await killSandbox();
  await startSandbox();

  // The same Vipps agreement, and a charge on it (the clients' cached access tokens still work).
  const agreement = await clients.vipps.getAgreement(agreementId);
  expect(agreement.status).toBe('ACTIVE');
  const due = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const { chargeId } = await clients.vipps.createCharge(
    agreementId,
    { amountMinor: 4500, description: 'Parking after the restart', due, retryDays: 2, orderId: `charge-${run}`, transactionType: 'DIRECT_CAPTURE' },
    `charge-${run}`,
  );
  await http('POST', `${config.SANDBOX_BASE_URL}/vipps/_clock/set`, { body: { now: `${due}T08:00:00Z` } });
  expect((await clients.vipps.getCharge(agreementId, chargeId)).status).toBe('CHARGED');

  // A refund of the payment taken before the restart, signed IPNs with the same key.
  const refund = await clients.cardProviders.netopia.refund({ orderId, providerRef: started.providerRef, amount: '5.00', currency: 'RON', idempotencyKey: `refund-${run}` });
  expect(refund.refundRef).toBeTruthy();
  expect(await (await fetch(`${config.SANDBOX_BASE_URL}/netopia/public-key.pem`)).text()).toBe(keyBefore);

  // The car that entered before the restart leaves: its parking ends and our API hears of it by reference.
  const exit = await http('POST', `${config.SANDBOX_BASE_URL}/autopay/_camera/exit`, { body: { vehicle_reg: plate, wait: true } });
  expect(exit.status).toBe(200);
  expect(exit.body.parking).toMatchObject({ status: 'ended', reference: '424242', ended_by: 'camera' });
  const callback = callbacks.find((c) => c.path === '/api/providers/autopay/parking-ended' && c.body?.reference === '424242');
  expect(callback).toBeDefined();
}, 180_000);
