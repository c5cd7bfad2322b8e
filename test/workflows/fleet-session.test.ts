import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createFleetActivities } from '../../activities/fleet';
import { loadConfig, type Config } from '../../src/config';
import { AgreementModel, DriverModel, FleetModel, LedgerModel } from '../../src/db/models';
import { seedDemoData } from '../../src/db/seed';
import { freePort } from '../../src/platform/local-servers';
import { createProviderClients } from '../../src/providers/clients';
import { createSandboxApp } from '../../src/providers/sandbox-app';
import { easyParkWorkflowId, vippsBillingWorkflowId } from '../../src/temporal/ids';
import { createWorker } from '../../workers/create-worker';
import { activityDeps } from '../../workers/run-worker';
import { fleetSessionStateQuery, type FleetSessionInput, type FleetTransaction } from '../../workflows/messages';
import type { VippsUsage } from '../../workflows/messages';
import { connectTestDb, dropTestDb } from '../helpers/db';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { decodeHistoryPayload, testDataConverter } from '../helpers/data-converter';
import { fleetSession } from '../../workflows/fleet-session';

/**
 * The fleet-session workflow on the time-skipping server: a worker with every workflow (workflows/index.ts) and
 * every activity, built with the real provider clients against the provider sandboxes on a free loopback port.
 * Not test/helpers/workflow-world.ts, for one reason: the re-bill must reach a vippsBilling execution on a queue
 * no worker polls, so the activities' task queue for that signalWithStart differs from the worker's own queue.
 */

const taskQueue = 'ts-fleet';
// No worker polls this queue: the vippsBilling execution that signalWithStart creates just holds the signal for us to read.
const vippsQueue = 'ts-fleet-vipps-unpolled';
let config: Config;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let sandbox: ReturnType<typeof createSandboxApp>;
let sandboxServer: Server;

const tx = (parkingId: number, over: Partial<FleetTransaction> = {}): FleetTransaction => ({
  parkingId,
  parkingUserId: 8993734,
  licenseNumber: 'ABC123',
  startDate: '2025-12-04T12:02:37Z',
  endDate: '2025-12-04T13:12:00Z',
  parkingAreaId: 291048,
  parkingAreaName: 'Nyköpings lasarett, besökande',
  parkingOperatorId: 403,
  parkingOperatorName: 'EuroPark Svenska AB',
  price: '22.45',
  priceVatAmount: '4.49',
  priceExclusiveVatAmount: '17.96',
  transactionFeeExclusiveVatAmount: '3.96',
  transactionFeeVatAmount: '0.99',
  transactionFee: '4.95',
  currency: 'SEK',
  ...over,
});
const input = (t: FleetTransaction): FleetSessionInput => ({ fleetId: 'demo-fleet', transaction: t, endedAt: new Date(t.endDate).toISOString(), receivedAt: new Date().toISOString() });

async function run(t: FleetTransaction) {
  const handle = await env.client.workflow.start(fleetSession, { workflowId: easyParkWorkflowId(t.parkingId), taskQueue, args: [input(t)] });
  return { handle, result: await handle.result() };
}

beforeAll(async () => {
  await connectTestDb('wf_fleet');
  const sandboxPort = await freePort();
  // The API is not running in workflow tests: callbacks from the sandboxes go nowhere (port 9 discards).
  config = loadConfig({ SANDBOX_PORT: String(sandboxPort), PORT: '9', TEMPORAL_TASK_QUEUE: taskQueue });
  await seedDemoData(config);
  await DriverModel.create({ id: 'fleet-driver', name: 'Fleet Driver', vehicles: [{ plate: 'FLT123', plateIssuer: 'SWE' }] });
  await DriverModel.create({ id: 'nok-driver', name: 'NOK Driver', vehicles: [{ plate: 'NOK123', plateIssuer: 'NOR' }] });
  await AgreementModel.create({ agreementId: 'agr-fleet-1', driverId: 'fleet-driver', status: 'ACTIVE', currency: 'SEK', suggestedMaxAmountMinor: 100000 });
  await AgreementModel.create({ agreementId: 'agr-nok-1', driverId: 'nok-driver', status: 'ACTIVE', currency: 'NOK', suggestedMaxAmountMinor: 100000 });
  sandbox = createSandboxApp(config);
  sandboxServer = await new Promise((resolve) => {
    const srv = sandbox.app.listen(sandboxPort, '127.0.0.1', () => resolve(srv));
  });
  env = await createTimeSkippingEnv();
  const providers = createProviderClients(config);
  worker = await createWorker({
    dataConverter: testDataConverter,
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    // The re-bill's signalWithStart puts the vippsBilling execution on vippsQueue, which no worker polls.
    activities: createActivities(activityDeps(config, providers, env.client, vippsQueue)),
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  sandbox?.close();
  if (sandboxServer) {
    await new Promise<void>((resolve) => {
      sandboxServer.close(() => resolve());
      sandboxServer.closeAllConnections();
    });
  }
  await dropTestDb();
});

test('books the price and the fee as two exact ledger rows; no driver for the plate → no re-bill', async () => {
  const { handle, result } = await run(tx(2791368361));
  expect(result).toEqual({
    parkingId: 2791368361,
    fleetId: 'demo-fleet',
    phase: 'done',
    ledgerKeys: { price: 'easypark-2791368361-price', fee: 'easypark-2791368361-fee' },
    rebill: { status: 'skipped', reason: 'no_driver_for_plate' },
  });
  expect(await handle.query(fleetSessionStateQuery)).toEqual(result);
  const rows = await LedgerModel.find({ sessionId: 'easypark-2791368361' }).sort({ kind: 1 }).lean();
  expect(rows.map(({ idempotencyKey, kind, source, provider, gross, net, vat, fee, currency, day }) => ({ idempotencyKey, kind, source, provider, gross, net, vat, fee, currency, day }))).toEqual([
    { idempotencyKey: 'easypark-2791368361-fee', kind: 'fleet_fee', source: 'easypark', provider: 'easypark', gross: '4.95', net: '3.96', vat: '0.99', fee: '0.00', currency: 'SEK', day: '2025-12-04' },
    { idempotencyKey: 'easypark-2791368361-price', kind: 'fleet_transaction', source: 'easypark', provider: 'easypark', gross: '22.45', net: '17.96', vat: '4.49', fee: '4.95', currency: 'SEK', day: '2025-12-04' },
  ]);
  expect(rows[0].occurredAt.toISOString()).toBe('2025-12-04T13:12:00.000Z');
});

test("re-bills the price to the driver's active Vipps agreement: signalWithStart reached a vippsBilling workflow", async () => {
  const { result } = await run(tx(1000000001, { licenseNumber: 'flt 123' }));
  expect(result.rebill).toEqual({ status: 'billed', driverId: 'fleet-driver', agreementId: 'agr-fleet-1' });

  const billing = env.client.workflow.getHandle(vippsBillingWorkflowId('agr-fleet-1'));
  const described = await billing.describe();
  expect(described.type).toBe('vippsBilling');
  expect(described.taskQueue).toBe(vippsQueue);
  const history = await billing.fetchHistory();
  const signals = (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes] : []));
  expect(signals.map((s) => s.signalName)).toEqual(['addUsage']);
  const usage = await decodeHistoryPayload<VippsUsage>(signals[0].input!.payloads![0]);
  expect(usage).toEqual({
    sessionId: 'easypark-1000000001',
    source: 'easypark',
    occurredAt: '2025-12-04T13:12:00.000Z',
    gross: '22.45',
    net: '17.96',
    vat: '4.49',
    vatPercent: '25',
    currency: 'SEK',
    description: 'Parking Nyköpings lasarett, besökande flt 123',
  });
  await billing.terminate('test done');
  // The transaction and the fee, and the hand-over to Vipps billing (a usage: no money moves until the day's charge).
  const kinds = (await LedgerModel.find({ sessionId: 'easypark-1000000001' }).lean()).map((r) => r.kind).sort();
  expect(kinds).toEqual(['fleet_fee', 'fleet_transaction', 'vipps_usage']);
});

test('no re-bill when the only active agreement is in another currency, or when the fleet does not re-bill', async () => {
  const other = await run(tx(1000000002, { licenseNumber: 'NOK123' }));
  expect(other.result.rebill).toEqual({ status: 'skipped', reason: 'no_active_vipps_agreement' });

  await FleetModel.updateOne({ id: 'demo-fleet' }, { $set: { rebillDrivers: false } });
  try {
    const off = await run(tx(1000000003, { licenseNumber: 'FLT123' }));
    expect(off.result.rebill).toEqual({ status: 'skipped', reason: 'fleet_does_not_rebill' });
  } finally {
    await FleetModel.updateOne({ id: 'demo-fleet' }, { $set: { rebillDrivers: true } });
  }
});

test('booking again (a retried activity) writes nothing new', async () => {
  const book = createFleetActivities().bookFleetTransaction;
  const t = tx(2791368361);
  await book({ fleetId: 'demo-fleet', transaction: t, endedAt: '2025-12-04T13:12:00.000Z' });
  expect(await LedgerModel.countDocuments({ sessionId: 'easypark-2791368361' })).toBe(2);
});
