import { sessionWorkflowId } from '../../src/temporal/ids';
import { findParkingByAreaCode, toParkingSnapshot } from '../../src/db/parking-snapshot';
import { AgreementModel, LedgerModel } from '../../src/db/models';
import {
  autopayCancelledSignal,
  autopayEndedSignal,
  SESSION_INPUT_REVISION,
  sessionViewQuery,
  type ParkingSessionInput,
} from '../../workflows/messages';
import { startWorkflowWorld, type WorkflowWorld } from '../helpers/workflow-world';
import { parkingSession } from '../../workflows/parking-session';

let w: WorkflowWorld;
beforeAll(async () => {
  w = await startWorkflowWorld('anpr');
});
afterAll(() => w?.stop());

async function startAnpr(sessionId: number, plate: string) {
  await fetch(`${w.sandboxUrl}/autopay/_camera/enter`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR' }),
  });
  const parking = (await findParkingByAreaCode('area1'))!;
  const input: ParkingSessionInput = {
    sessionId,
    driverId: 'demo-driver',
    kind: 'anpr',
    parking: toParkingSnapshot(parking),
    anpr: { operatorId: 'demo-operator', areaCode: 'area1', vehicleReg: plate, plateIssuer: 'NOR', plateSubdivision: null },
    createdAt: new Date().toISOString(),
    // As the API starts it (lean-v4).
    revision: SESSION_INPUT_REVISION,
    settings: { entryTimeoutMs: 2 * 3600_000, paymentAttemptTtlMs: 15 * 60_000, smartKeyTries: 3 },
  };
  const handle = await w.env.client.workflow.start(parkingSession, { workflowId: sessionWorkflowId(sessionId), taskQueue: w.taskQueue, args: [input] });
  for (let i = 0; i < 100; i++) {
    const v = await handle.query(sessionViewQuery);
    if (v.state !== 'entering') return { handle, view: v };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never connected');
}

test('a 6-hour ANPR stay that Autopay cancels closes without any charge', async () => {
  const { handle, view } = await startAnpr(7002, 'ANPRCX');
  await w.env.sleep('6 hours');
  await handle.signal(autopayCancelledSignal, { autopayParkingId: view.anpr!.autopayParkingId! });
  const result = await handle.result();
  expect(result.state).toBe('cancelled');
  expect(result.amount).toBeNull();
  expect(await LedgerModel.countDocuments({ sessionId: '7002' })).toBe(0);
});

test('a cost that does not add up is not charged: the session waits for ops', async () => {
  const { handle, view } = await startAnpr(7003, 'ANPRBAD');
  await handle.signal(autopayEndedSignal, {
    autopayParkingId: view.anpr!.autopayParkingId!,
    endTime: new Date().toISOString(),
    cost: { currency: 'SEK', vatPercent: '25', net: '10.00', vat: '2.50', gross: '12.50' },
  });
  let v = await handle.query(sessionViewQuery);
  for (let i = 0; i < 50 && !v.attention; i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await handle.query(sessionViewQuery);
  }
  expect(v.attention).toMatch(/cost rejected/);
  expect(v.state).toBe('active');
  expect(v.amount).toBeNull();
});

// Last in the file: it leaves a Vipps billing workflow behind (terminated below).
test('a 6-hour ANPR stay connected through Autopay, ended by its success callback, billed to the Vipps agreement', async () => {
  await AgreementModel.create({ agreementId: 'agr_test6h', driverId: 'demo-driver', status: 'ACTIVE', currency: 'NOK', suggestedMaxAmountMinor: 200000 });
  const { handle, view } = await startAnpr(7001, 'ANPR6H');
  expect(view.state).toBe('active');
  expect(view.anpr?.autopayParkingId).toMatch(/^\d+$/);
  await w.env.sleep('6 hours');
  await handle.signal(autopayEndedSignal, {
    autopayParkingId: view.anpr!.autopayParkingId!,
    endTime: new Date(Date.parse(view.startTime!) + 6 * 3600_000).toISOString(),
    cost: { currency: 'NOK', vatPercent: '25', net: '144.00', vat: '36.00', gross: '180.00' },
  });
  const result = await handle.result();
  expect(result).toMatchObject({ state: 'closed', paymentStatus: 'billed', paidVia: 'vipps', closedReason: 'billed_to_vipps' });
  expect(result.amount).toEqual({ gross: '180.00', net: '144.00', vat: '36.00', vatPercent: '25', currency: 'NOK' });
  const billing = w.env.client.workflow.getHandle('vipps-billing-agr_test6h');
  expect((await billing.describe()).type).toBe('vippsBilling');
  // Daily billing is the Vipps tests' subject; stop it so it does not run on while this file skips time.
  await billing.terminate('end of test');
  await AgreementModel.deleteMany({});
});
