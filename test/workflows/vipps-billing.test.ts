import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../src/config';
import { AgreementModel, LedgerModel } from '../../src/db/models';
import { addDays, endOfLocalDay, localDay } from '../../src/domain/calendar';
import { vippsChargeKey } from '../../src/domain/vipps-billing';
import { freePort } from '../../src/platform/local-servers';
import { createProviderClients, type ProviderClients } from '../../src/providers/clients';
import { createSandboxApp } from '../../sandbox/app';
import type { VippsClient } from '../../src/providers/vipps/client';
import { parseVippsWebhookEvent } from '../../src/providers/vipps/inbound';
import type { VippsSandbox } from '../../sandbox/vipps/sandbox';
import { verifyVippsWebhook } from '../../src/providers/vipps/webhook-signature';
import { vippsBillingWorkflowId } from '../../src/temporal/ids';
import { createWorker } from '../../workers/create-worker';
import { activityDeps } from '../../workers/run-worker';
import { addVippsUsageSignal, type VippsUsage } from '../../workflows/messages';
import {
  agreementStatusSignal,
  billingStateQuery,
  billNowSignal,
  chargeEventSignal,
  type VippsAgreementStatusSignal,
  type VippsBillingState,
} from '../../workflows/vipps-billing-messages';
import { connectTestDb, dropTestDb } from '../helpers/db';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { testDataConverter } from '../helpers/data-converter';
import { vippsBilling } from '../../workflows/vipps-billing';

/**
 * The billing workflow on the time-skipping server, against the real Vipps sandbox over loopback HTTP
 * and real FerretDB. Two clocks: Temporal's (skipped with env.sleep) and the sandbox's, frozen (vippsClock: 'frozen'):
 * it moves only when the test sets it, so sandbox time is exactly what the test set, never wall time. The test sets it
 * from Temporal's time and moves it to a charge's due date itself, the way the passing days would in production, so
 * the sandbox's own charge processing decides CHARGED / FAILED. Its webhooks
 * reach a small verifying receiver that forwards charge events as 'chargeEvent' signals (the API does not run in
 * workflow tests). All provider sandboxes (createSandboxApp) serve on a free loopback port; the worker runs every
 * workflow (workflows/index.ts) and every activity, built with the real provider clients (createProviderClients).
 * Not test/helpers/workflow-world.ts: this file needs its own retry/limit settings, the webhook receiver as the
 * sandbox's API, and one deliberately lossy createVippsCharge (a response lost after Vipps got the request).
 */

/** As src/api/routes/vipps.ts maps agreement webhooks to the 'agreementStatus' signal. */
const AGREEMENT_STATUS: Record<string, VippsAgreementStatusSignal['status']> = {
  'recurring.agreement-activated.v1': 'ACTIVE',
  'recurring.agreement-rejected.v1': 'STOPPED',
  'recurring.agreement-stopped.v1': 'STOPPED',
  'recurring.agreement-expired.v1': 'EXPIRED',
};

const TZ = 'Europe/Oslo';
const CREDS = { clientId: 'wf-vipps-client', clientSecret: 'wf-vipps-secret', subscriptionKey: 'wf-sub-key', merchantSerialNumber: '123456' };
const WEBHOOK_SECRET = 'wf-vipps-webhook-secret';
const WEBHOOK_PATH = '/api/providers/vipps/webhooks';
const taskQueue = 'ts-vipps-billing';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let sandbox: VippsSandbox;
let closeSandboxes: (() => void) | undefined;
/** The current test's client, for the webhook receiver; undefined between tests. */
let liveClient: Client | undefined;
let workerConfig: Config;
let providerClients: ProviderClients;
let vipps: VippsClient;
const servers: Server[] = [];
/** Keys each createVippsCharge attempt was called with; `loseNextResponse` simulates a lost HTTP response. */
const createCalls: string[] = [];
let loseNextResponse = false;

async function listen(app: Express): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    servers.push(server);
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


beforeAll(async () => {
  await connectTestDb('wf_vipps_billing');

  // Our webhook receiver: verify first, then a charge event becomes a prompt to the billing workflow, and an agreement
  // event updates AgreementModel and becomes the 'agreementStatus' signal (as the API's webhook route does).
  const receiver = express();
  let receiverUrl = '';
  receiver.post(WEBHOOK_PATH, express.raw({ type: '*/*' }), async (req, res) => {
    const url = new URL(receiverUrl + WEBHOOK_PATH);
    const ok = verifyVippsWebhook({ secret: WEBHOOK_SECRET, pathAndQuery: url.pathname, host: url.host, headers: req.headers, rawBody: req.body as Buffer });
    if (!ok.ok) return void res.status(401).json({ error: ok.reason });
    const event = parseVippsWebhookEvent(JSON.parse((req.body as Buffer).toString('utf8')));
    // Between tests no Temporal server runs: the sandbox retries the delivery later, as it would against a down API.
    const client = liveClient;
    if (!client) return void res.status(503).end();
    if (event.kind === 'charge') {
      await client.workflow
        .getHandle(vippsBillingWorkflowId(event.agreementId))
        .signal(chargeEventSignal, { chargeId: event.chargeId, eventType: event.eventType, occurred: event.occurred })
        .catch(() => undefined);
    } else if (event.kind === 'agreement') {
      const status = AGREEMENT_STATUS[event.eventType];
      await AgreementModel.updateOne({ agreementId: event.agreementId }, { $set: { status } });
      await client.workflow
        .getHandle(vippsBillingWorkflowId(event.agreementId))
        .signal(agreementStatusSignal, { status, eventType: event.eventType, occurred: event.occurred })
        .catch(() => undefined);
    }
    res.status(200).end();
  });
  receiverUrl = await listen(receiver);

  const sandboxPort = await freePort();
  const config = loadConfig({
    SANDBOX_PORT: String(sandboxPort),
    // The sandboxes' "API" is the receiver: Vipps webhooks go to `${PUBLIC_BASE_URL}${WEBHOOK_PATH}`.
    PUBLIC_BASE_URL: receiverUrl,
    TEMPORAL_TASK_QUEUE: taskQueue,
    VIPPS_CLIENT_ID: CREDS.clientId,
    VIPPS_CLIENT_SECRET: CREDS.clientSecret,
    VIPPS_SUBSCRIPTION_KEY: CREDS.subscriptionKey,
    VIPPS_MSN: CREDS.merchantSerialNumber,
    VIPPS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    VIPPS_BILLING_TIME_ZONE: TZ,
    VIPPS_CHARGE_RETRY_DAYS: '0',
    VIPPS_MAX_FAILED_CHARGE_DAYS: '2',
  });
  const sandboxes = createSandboxApp(config, undefined, { vippsClock: 'frozen' });
  closeSandboxes = sandboxes.close;
  servers.push(
    await new Promise<Server>((resolve) => {
      const srv = sandboxes.app.listen(sandboxPort, '127.0.0.1', () => resolve(srv));
    }),
  );
  sandbox = sandboxes.vipps;
  const providers = createProviderClients(config);
  vipps = providers.vipps;

  workerConfig = config;
  providerClients = providers;
});

afterAll(async () => {
  closeSandboxes?.();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await dropTestDb();
});

/**
 * A fresh time-skipping server and worker for every test. The test server keeps a time-skipping lock it handed out
 * for a workflow or activity task when the workflow ends while the task runs (seen when a test ended its workflows
 * with terminate): every later skip on that server then passes in real time. A server per test confines any such
 * leak to the test that caused it, and no test has to end another test's workflows.
 */
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  liveClient = env.client;
  const all = createActivities(activityDeps(workerConfig, providerClients, env.client, taskQueue));
  const activities: typeof all = {
    ...all,
    async createVippsCharge(req) {
      createCalls.push(req.idempotencyKey);
      const result = await all.createVippsCharge(req);
      if (loseNextResponse) {
        loseNextResponse = false;
        throw new Error('connection reset after the request was sent (simulated)');
      }
      return result;
    },
  };
  worker = await createWorker({ dataConverter: testDataConverter, connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, activities });
  running = worker.run();
  // Each test starts with the sandbox clock at Temporal's (skipped) time.
  await sandbox.clock.set(new Date(await env.currentTimeMs()));
});

afterEach(async () => {
  liveClient = undefined;
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** An ACTIVE agreement in the sandbox (user accepted), mirrored in AgreementModel as onboarding leaves it. */
async function activeAgreement(opts: { suggestedKr?: number; userMaxKr?: number } = {}): Promise<string> {
  const suggested = (opts.suggestedKr ?? 2000) * 100;
  const draft = await vipps.draftAgreement({
    productName: 'Parking pay-as-you-go',
    suggestedMaxAmountMinor: suggested,
    currency: 'NOK',
    merchantRedirectUrl: 'https://example.com/return',
    merchantAgreementUrl: 'https://example.com/agreements',
    idempotencyKey: `draft-${Math.random().toString(36).slice(2)}`,
  });
  await vipps.forceAcceptAgreement(draft.agreementId, '4791234567', `accept-${draft.agreementId}`.replace(/_/g, '-'));
  if (opts.userMaxKr !== undefined) {
    const res = await fetch(`${sandbox.baseUrl}/_agreements/${draft.agreementId}/max-amount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxAmount: opts.userMaxKr * 100 }),
    });
    expect(res.status).toBe(200);
  }
  await AgreementModel.create({
    agreementId: draft.agreementId,
    driverId: `driver-${draft.agreementId}`,
    status: 'ACTIVE',
    currency: 'NOK',
    suggestedMaxAmountMinor: suggested,
  });
  return draft.agreementId;
}

function usage(sessionId: string, gross: string, net: string, vat: string, at: number): VippsUsage {
  return { sessionId, source: 'autopay', occurredAt: new Date(at).toISOString(), gross, net, vat, vatPercent: '25', currency: 'NOK', description: `Parking session ${sessionId}` };
}

async function addUsage(agreementId: string, u: VippsUsage): Promise<void> {
  await env.client.workflow.signalWithStart(vippsBilling, {
    workflowId: vippsBillingWorkflowId(agreementId),
    taskQueue,
    args: [{ agreementId }],
    signal: addVippsUsageSignal,
    signalArgs: [u],
  });
}

/**
 * The billing state, by query. A query that reaches the test server as the run continues as new can be held there
 * for a minute (seen as the worker's "Task not found when completing ... already completed", then a 60-90 s query),
 * so each query gets a deadline and is asked again: the next one reaches the new run. Real servers answer it at once.
 */
async function stateOf(agreementId: string): Promise<VippsBillingState> {
  const handle = env.client.workflow.getHandle(vippsBillingWorkflowId(agreementId));
  for (let attempt = 1; ; attempt++) {
    try {
      return await env.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(billingStateQuery));
    } catch (err) {
      if (attempt >= 5 || !deadlineExceeded(err)) throw err;
    }
  }
}

const QUERY_DEADLINE_MS = 5_000;
const GRPC_DEADLINE_EXCEEDED = 4;
function deadlineExceeded(err: unknown): boolean {
  const codeOf = (e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined);
  return codeOf(err) === GRPC_DEADLINE_EXCEEDED || (err instanceof Error && codeOf(err.cause) === GRPC_DEADLINE_EXCEEDED);
}

/**
 * The billing state once the run current at `fromRunId` has continued as new, waited for without queries. The test
 * server hands a query to the worker as a workflow task; one that arrives as the run completes is refused to the
 * worker ("Task not found when completing ... already completed"), and the server keeps that task's time-skipping
 * lock: every later skip then passes in real time (the four-day test stalled on its next midnight, with the
 * workflow idle). A describe is answered by the server alone.
 */
async function afterContinueAsNew(agreementId: string, fromRunId: string, what: string): Promise<VippsBillingState> {
  await waitFor(async () => (await currentRunId(agreementId)) !== fromRunId, `${what}: continued as new`);
  return stateOf(agreementId);
}

async function currentRunId(agreementId: string): Promise<string> {
  const handle = env.client.workflow.getHandle(vippsBillingWorkflowId(agreementId));
  return (await env.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.describe())).runId;
}

/**
 * Skips Temporal time to one second after the next local midnight: the workflow bills the closed day. Kept short
 * because the part of a skip after the billing activities start can pass in real time on the test server.
 */
async function skipPastMidnight(agreementId: string): Promise<void> {
  // Time only skips while no activity runs: a skip that lands during an activity would pass in real time, and a
  // timer set after it would aim at the following midnight. Wait until the workflow is idle on its timer.
  const handle = env.client.workflow.getHandle(vippsBillingWorkflowId(agreementId));
  await waitFor(async () => {
    const d = await handle.describe();
    return (d.raw.pendingActivities ?? []).length === 0 && d.raw.pendingWorkflowTask == null;
  }, 'billing workflow idle');
  const now = await env.currentTimeMs();
  await env.sleep(endOfLocalDay(now, TZ) - now + 1_000);
}

const chargesOf = (agreementId: string) => sandbox.records().charges.filter((c) => c.agreementId === agreementId);

test('two sessions on one day: one charge with the total after midnight, receipt with two lines, ledger exact; duplicate usage counted once', async () => {
  const agreementId = await activeAgreement();
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-101', '37.50', '30.00', '7.50', t0));
  await addUsage(agreementId, usage('s-102', '12.35', '9.88', '2.47', t0));
  await addUsage(agreementId, usage('s-101', '37.50', '30.00', '7.50', t0)); // redelivered
  const before = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.pending.length === 2 && s;
  }, 'two pending lines');
  expect(before.pendingTotal).toBe('49.85');
  expect(chargesOf(agreementId)).toHaveLength(0); // nothing is charged before the day ends

  await skipPastMidnight(agreementId);
  const [charge] = await waitFor(async () => chargesOf(agreementId).length > 0 && chargesOf(agreementId), 'the charge');
  const billingDay = localDay(t0, TZ);
  expect(charge.id).toBe(vippsChargeKey(agreementId, billingDay));
  expect(charge.amount).toBe(4985);
  expect(charge.retryDays).toBe(0);
  expect(charge.transactionType).toBe('DIRECT_CAPTURE');
  expect(charge.due > billingDay).toBe(true);

  // The due date arrives at Vipps: the sandbox charges it and sends recurring.charge-captured.v1.
  const firstRun = await currentRunId(agreementId);
  await sandbox.clock.set(`${charge.due}T08:00:00Z`);
  // continue-as-new follows the settled charge right away; the new run answers
  const after = await afterContinueAsNew(agreementId, firstRun, 'charged and receipt sent');
  expect(after.settledCharges[0]?.receipt).toBe('sent');
  expect(after.settledCharges).toHaveLength(1);
  expect(after.settledCharges[0]).toMatchObject({ outcome: 'charged', amount: '49.85', net: '39.88', vat: '9.97', status: 'CHARGED' });
  expect(after.pending).toHaveLength(0);
  expect(after.runs).toBeGreaterThan(1); // continued as new after the settled charge, state carried
  expect(chargesOf(agreementId)).toHaveLength(1);

  const receipts = sandbox.records().receipts.filter((r) => r.orderId === charge.id);
  expect(receipts).toHaveLength(1);
  const lines = receipts[0].receipt.orderLines;
  expect(lines.map((l) => [l.id, l.totalAmount, l.totalAmountExcludingTax, l.totalTaxAmount, l.taxRate])).toEqual([
    ['s-101', 3750, 3000, 750, 2500],
    ['s-102', 1235, 988, 247, 2500],
  ]);
  expect(lines.reduce((sum, l) => sum + l.totalTaxAmount, 0)).toBe(997);
  expect(lines.reduce((sum, l) => sum + l.totalAmount, 0)).toBe(charge.amount);

  const ledger = await LedgerModel.find({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId }).lean();
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ source: 'vipps', provider: 'vipps', gross: '49.85', net: '39.88', vat: '9.97', currency: 'NOK' });

  // A late duplicate of an already billed session is still ignored (dedupe survives continue-as-new).
  await addUsage(agreementId, usage('s-102', '12.35', '9.88', '2.47', await env.currentTimeMs()));
  const later = await stateOf(agreementId);
  expect(later.pending).toHaveLength(0);
});

test('above the user maxAmount: FAILED charge_amount_too_high, carried to the next day, then handed to ops after the limit', async () => {
  const agreementId = await activeAgreement({ suggestedKr: 2000, userMaxKr: 50 });
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-201', '120.00', '96.00', '24.00', t0));
  await waitFor(async () => (await stateOf(agreementId)).pending.length === 1, 'pending usage');

  await skipPastMidnight(agreementId);
  const first = await waitFor(async () => chargesOf(agreementId)[0], 'first charge');
  expect(first.amount).toBe(12000); // within suggestedMaxAmount, so Vipps accepts it; the user's limit decides
  await sandbox.clock.set(`${first.due}T08:00:00Z`);
  const carried = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.settledCharges.length === 1 && s.pending.length === 1 && s;
  }, 'first failure carried');
  expect(carried.settledCharges[0]).toMatchObject({ outcome: 'failed', failureReason: 'charge_amount_too_high' });
  expect(carried.pending[0]).toMatchObject({ sessionId: 's-201', gross: '120.00', failedCharges: 1 });
  expect(carried.opsDebts).toHaveLength(0);

  await skipPastMidnight(agreementId);
  const second = await waitFor(async () => chargesOf(agreementId)[1], 'second charge');
  expect(second.id).not.toBe(first.id);
  expect(second.amount).toBe(12000);
  await sandbox.clock.set(`${second.due}T08:00:00Z`);
  const final = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.opsDebts.length === 1 && s;
  }, 'ops debt');
  expect(final.opsDebts[0]).toMatchObject({ reason: 'max_failed_charge_days: charge_amount_too_high', amount: '120.00', sessionIds: ['s-201'] });
  expect(final.pending).toHaveLength(0);
  expect(final.settledCharges.map((c) => c.outcome)).toEqual(['failed', 'failed']);

  const failed = await LedgerModel.find({ kind: 'vipps_charge_failed', 'providerRefs.agreementId': agreementId }).sort({ createdAt: 1 }).lean();
  expect(failed.map((e) => e.note)).toEqual([
    'failureReason=charge_amount_too_high',
    'failureReason=charge_amount_too_high',
    'ops_debt: max_failed_charge_days: charge_amount_too_high; sessions s-201',
  ]);
  expect(await LedgerModel.countDocuments({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId })).toBe(0);
});

test('bill-now after a lost create response: the retry sends the same Idempotency-Key, Vipps holds one charge', async () => {
  const agreementId = await activeAgreement();
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-301', '25.00', '20.00', '5.00', t0));
  await waitFor(async () => (await stateOf(agreementId)).pending.length === 1, 'pending usage');

  createCalls.length = 0;
  loseNextResponse = true;
  await env.client.workflow.getHandle(vippsBillingWorkflowId(agreementId)).signal(billNowSignal, { requestedBy: 'test' });
  const state = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.openCharges[0]?.status === 'CREATED' && s;
  }, 'charge created');
  const key = vippsChargeKey(agreementId, localDay(t0, TZ));
  expect(createCalls).toEqual([key, key]);
  expect(state.openCharges[0].chargeId).toBe(key);
  const charges = chargesOf(agreementId);
  expect(charges).toHaveLength(1);
  expect(charges[0].history.filter((h) => h.event === 'CREATE').map((h) => h.idempotencyKey)).toEqual([key]);
});

test("a day's total above the agreement limit is charged up to the limit; the rest (VAT split exactly) waits for the next day", async () => {
  const agreementId = await activeAgreement({ suggestedKr: 100 });
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-401', '80.00', '64.00', '16.00', t0));
  await addUsage(agreementId, usage('s-402', '50.00', '40.00', '10.00', t0));
  await waitFor(async () => (await stateOf(agreementId)).pending.length === 2, 'pending usage');

  await skipPastMidnight(agreementId);
  const state = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.openCharges[0]?.status === 'CREATED' && s;
  }, 'capped charge');
  expect(state.openCharges[0]).toMatchObject({ amount: '100.00', net: '80.00', vat: '20.00' });
  expect(state.openCharges[0].lines.map((l) => [l.sessionId, l.gross, l.net, l.vat])).toEqual([
    ['s-401', '80.00', '64.00', '16.00'],
    ['s-402', '20.00', '16.00', '4.00'],
  ]);
  expect(state.pending.map((l) => [l.sessionId, l.gross, l.net, l.vat, l.part])).toEqual([['s-402', '30.00', '24.00', '6.00', 2]]);
  expect(chargesOf(agreementId)[0].amount).toBe(10000);
});

test('three sessions on one day: one charge with the exact total, a three-line receipt whose VAT adds up to the charge VAT to the øre', async () => {
  const agreementId = await activeAgreement();
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-501', '19.99', '15.99', '4.00', t0));
  await addUsage(agreementId, usage('s-502', '7.45', '5.96', '1.49', t0));
  await addUsage(agreementId, usage('s-503', '123.40', '98.72', '24.68', t0));
  const before = await waitFor(async () => {
    const s = await stateOf(agreementId);
    return s.pending.length === 3 && s;
  }, 'three pending lines');
  expect(before.pendingTotal).toBe('150.84');

  await skipPastMidnight(agreementId);
  const [charge] = await waitFor(async () => chargesOf(agreementId).length > 0 && chargesOf(agreementId), 'the charge');
  expect(charge.id).toBe(vippsChargeKey(agreementId, localDay(t0, TZ)));
  expect(charge.amount).toBe(15084);
  expect(charge.transactionType).toBe('DIRECT_CAPTURE');

  const firstRun = await currentRunId(agreementId);
  await sandbox.clock.set(`${charge.due}T08:00:00Z`);
  const after = await afterContinueAsNew(agreementId, firstRun, 'charged and receipt sent');
  expect(after.settledCharges[0]?.receipt).toBe('sent');
  expect(after.runs).toBeGreaterThan(1);
  expect(after.settledCharges).toHaveLength(1);
  expect(after.settledCharges[0]).toMatchObject({ outcome: 'charged', status: 'CHARGED', amount: '150.84', net: '120.67', vat: '30.17' });
  expect(after.pending).toHaveLength(0);
  expect(chargesOf(agreementId)).toHaveLength(1);

  const receipts = sandbox.records().receipts.filter((r) => r.orderId === charge.id);
  expect(receipts).toHaveLength(1);
  const lines = receipts[0].receipt.orderLines;
  expect(lines.map((l) => [l.id, l.totalAmount, l.totalAmountExcludingTax, l.totalTaxAmount, l.taxRate])).toEqual([
    ['s-501', 1999, 1599, 400, 2500],
    ['s-502', 745, 596, 149, 2500],
    ['s-503', 12340, 9872, 2468, 2500],
  ]);
  for (const l of lines) expect(l.totalAmountExcludingTax + l.totalTaxAmount).toBe(l.totalAmount);
  expect(lines.reduce((sum, l) => sum + l.totalTaxAmount, 0)).toBe(3017); // = the charge's VAT 30.17, to the øre
  expect(lines.reduce((sum, l) => sum + l.totalAmountExcludingTax, 0)).toBe(12067);
  expect(lines.reduce((sum, l) => sum + l.totalAmount, 0)).toBe(charge.amount);

  const ledger = await LedgerModel.find({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId }).lean();
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ gross: '150.84', net: '120.67', vat: '30.17', currency: 'NOK', note: 'sessions s-501,s-502,s-503' });
});

test('agreement stopped by the user mid-day: nothing is charged, the pending usage is handed to ops and the workflow ends', async () => {
  const agreementId = await activeAgreement();
  const t0 = await env.currentTimeMs();
  await addUsage(agreementId, usage('s-601', '30.00', '24.00', '6.00', t0));
  await addUsage(agreementId, usage('s-602', '15.00', '12.00', '3.00', t0));
  await waitFor(async () => (await stateOf(agreementId)).pending.length === 2, 'two pending lines');

  // The user stops the agreement in the app: the sandbox sends recurring.agreement-stopped.v1, which the receiver
  // turns into the 'agreementStatus' signal as the API's webhook route does.
  const res = await fetch(`${sandbox.baseUrl}/_agreements/${agreementId}/user-stop`, { method: 'POST' });
  expect(res.status).toBe(200);
  const handle = env.client.workflow.getHandle(vippsBillingWorkflowId(agreementId));
  await waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'billing workflow completed');
  const final = (await handle.result()) as VippsBillingState;
  expect(final).toMatchObject({ agreementStatus: 'STOPPED', pending: [], openCharges: [], settledCharges: [] });
  expect(final.opsDebts).toEqual([
    expect.objectContaining({ reason: 'agreement_stopped', amount: '45.00', currency: 'NOK', sessionIds: ['s-601', 's-602'], chargeIds: [] }),
  ]);
  const stoppedHook = sandbox.records().webhookDeliveries.find((d) => d.eventType === 'recurring.agreement-stopped.v1' && JSON.stringify(d).includes(agreementId));
  expect(stoppedHook?.attempts.at(-1)?.status).toBe(200);
  expect((await AgreementModel.findOne({ agreementId }).lean())?.status).toBe('STOPPED');

  const debts = await LedgerModel.find({ kind: 'vipps_charge_failed', 'providerRefs.agreementId': agreementId }).lean();
  expect(debts.map((e) => [e.gross, e.net, e.vat, e.note])).toEqual([['45.00', '36.00', '9.00', 'ops_debt: agreement_stopped; sessions s-601,s-602']]);

  // The day ends: still nothing is charged (the workflow is gone).
  const now = await env.currentTimeMs();
  await env.sleep(endOfLocalDay(now, TZ) - now + 1_000);
  expect(chargesOf(agreementId)).toHaveLength(0);
  expect(await LedgerModel.countDocuments({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId })).toBe(0);
});

test('four consecutive days: one settled charge per day, continue-as-new each time, and a day-1 redelivery on day 4 is not billed again', async () => {
  const agreementId = await activeAgreement();
  const days: string[] = [];
  for (let d = 1; d <= 4; d++) {
    // Vipps' clock follows the days passing (the last step moved it to the previous charge's due date).
    await sandbox.clock.set(new Date(await env.currentTimeMs()));
    const t = await env.currentTimeMs();
    days.push(localDay(t, TZ));
    const gross = `${d * 10}.00`;
    // Day 4: the first day's usage is redelivered (sent first, so once day 4's own usage is pending, it was seen).
    if (d === 4) await addUsage(agreementId, usage('s-701', '10.00', '8.00', '2.00', t));
    await addUsage(agreementId, usage(`s-70${d}`, gross, `${d * 8}.00`, `${d * 2}.00`, t));
    const pending = await waitFor(async () => {
      const s = await stateOf(agreementId);
      return s.pending.some((l) => l.sessionId === `s-70${d}`) && s;
    }, `day ${d} usage pending`);
    expect(pending.pending.map((l) => l.sessionId)).toEqual([`s-70${d}`]);

    await skipPastMidnight(agreementId);
    const charge = await waitFor(async () => chargesOf(agreementId)[d - 1], `day ${d} charge`);
    expect(charge.id).toBe(vippsChargeKey(agreementId, days[d - 1]));
    expect(charge.amount).toBe(d * 1000);
    const dayRun = await currentRunId(agreementId);
    await sandbox.clock.set(`${charge.due}T08:00:00Z`);
    const settled = await afterContinueAsNew(agreementId, dayRun, `day ${d} charged`);
    expect([settled.settledCharges.length, settled.settledCharges[d - 1]?.receipt, settled.runs > d]).toEqual([d, 'sent', true]);
  }
  for (let i = 1; i < days.length; i++) expect(days[i]).toBe(addDays(days[i - 1], 1));

  const state = await stateOf(agreementId);
  expect(state.runs).toBeGreaterThanOrEqual(5); // a new run after each settled charge
  expect(state.settledCharges.map((c) => [c.billingDay, c.outcome, c.amount, c.lines.map((l) => l.sessionId)])).toEqual([
    [days[0], 'charged', '10.00', ['s-701']],
    [days[1], 'charged', '20.00', ['s-702']],
    [days[2], 'charged', '30.00', ['s-703']],
    [days[3], 'charged', '40.00', ['s-704']],
  ]);
  expect(state.seenSessionIds).toEqual(['s-701', 's-702', 's-703', 's-704']);
  expect(state.pending).toHaveLength(0);
  expect(chargesOf(agreementId).map((c) => c.amount)).toEqual([1000, 2000, 3000, 4000]);
  const lastReceipt = sandbox.records().receipts.find((r) => r.orderId === vippsChargeKey(agreementId, days[3]));
  expect(lastReceipt?.receipt.orderLines.map((l) => l.id)).toEqual(['s-704']);
  const ledger = await LedgerModel.find({ kind: 'vipps_charge', 'providerRefs.agreementId': agreementId }).sort({ createdAt: 1 }).lean();
  expect(ledger.map((e) => [e.gross, e.note])).toEqual([
    ['10.00', 'sessions s-701'],
    ['20.00', 'sessions s-702'],
    ['30.00', 'sessions s-703'],
    ['40.00', 'sessions s-704'],
  ]);
});
