/**
 * The fault harness itself (test/helpers/fault-stack.ts): Temporal and FerretDB killed with SIGKILL come back on
 * the same ports with their data, and a running session carries on; a killed API answers again after a restart.
 */
import { SessionModel } from '../../src/db/models';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { startFaultStack, withFaultLogs, type FaultStack } from '../helpers/fault-stack';
import { eventually, gateEvent, http } from '../helpers/stack';

let s: FaultStack;

beforeAll(async () => {
  s = await startFaultStack('harness');
}, 300_000);

afterAll(async () => {
  await s?.stopAll();
});

const driver = () => ({ token: s.config.DEMO_DRIVER_TOKEN });
const session = (id: number) => http('GET', `${s.urls.api}/api/car_driver/parking_sessions/${id}`, driver());

test('Temporal, FerretDB and the API survive SIGKILL and a restart with their data', () =>
  withFaultLogs(s, async () => {
    const start = await http('POST', `${s.urls.api}/api/car_driver/parking_sessions`, { ...driver(), body: { parking_session: { secured_parking_id: 189 } } });
    expect(start.status).toBe(201);
    const id: number = start.body.parking_session.id;
    await eventually(() => SessionModel.findOne({ sessionId: id }).lean(), (row) => row?.state === 'entering', 60_000);

    await s.kill('api');
    expect(s.isRunning('api')).toBe(false);
    await expect(fetch(`${s.urls.api}/healthz`)).rejects.toThrow();
    await s.restart('temporal');
    await s.restart('ferretdb');
    await s.start('api');

    // The workflow is still there (SQLite file) and the driver's session is still in the database.
    const described = await s.temporal.workflow.getHandle(sessionWorkflowId(id)).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(await SessionModel.countDocuments({ sessionId: id })).toBe(1);
    // The worker reconnects by itself and the session carries on.
    const access = await eventually(
      () => http('POST', `${s.urls.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { ...driver(), body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } }),
      (r) => r.status < 500,
      120_000,
    );
    expect(access.status).toBe(201);
    const gate = await gateEvent({ api: s.urls.api, config: s.config }, id, 189, 'entered');
    expect(gate.status).toBe(202);
    const active = await eventually(() => session(id), (r) => r.body?.parking_session?.state === 'active', 120_000);
    expect(active.body.parking_session.id).toBe(id);
  }));
