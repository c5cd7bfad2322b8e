/**
 * An ANPR session whose connect_parking cannot get through yet is not cancelled with SDK wording: the driver reads
 * a plain notice, the session keeps trying within ANPR_CONNECT_WINDOW_MINUTES, and connects once Autopay answers.
 */
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('anpr_retry');
});
afterAll(() => s?.stop());

const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: s.config.DEMO_DRIVER_TOKEN });

test('Autopay unreachable at start: a readable notice, then connected when Autopay answers again', async () => {
  expect((await http('POST', `${s.sandboxUrl}/autopay/_controls`, { body: { failNextCalls: 10_000, failStatus: 503 } })).status).toBe(200);
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, {
    token: s.config.DEMO_DRIVER_TOKEN,
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: 'RT1001', plate_issuer: 'NOR' } },
  });
  expect(start.status).toBe(201);
  expect(start.body.parking_session.state).toBe('entering');
  const id: number = start.body.parking_session.id;

  const waiting = await eventually(() => session(id), (r) => r.body.parking_session.notice !== null, 90_000);
  expect(waiting.body.parking_session.state).toBe('entering');
  expect(waiting.body.parking_session.notice).toMatch(/keep trying/);
  expect(waiting.body.parking_session.notice).not.toMatch(/Activity|Failure|ApplicationFailure|task/);

  expect((await http('DELETE', `${s.sandboxUrl}/autopay/_controls`)).status).toBe(200);
  const connected = await eventually(() => session(id), (r) => r.body.parking_session.state === 'active', 120_000);
  expect(connected.body.parking_session.notice).toBeNull();
  expect(connected.body.parking_session.vehicle_reg).toBe('RT1001');
}, 240_000);

test('started before the camera saw the car: "not seen yet" in plain words, then connected once the camera sees it', async () => {
  // What Autopay answers while it knows no ongoing parking for the plate.
  const fault = await http('POST', `${s.sandboxUrl}/autopay/_faults`, {
    body: { endpoint: 'connect_parking', error_id: 'server_communication_error', message: 'Parking not found', times: 1 },
  });
  expect(fault.status).toBe(201);
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, {
    token: s.config.DEMO_DRIVER_TOKEN,
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: 'RT2002', plate_issuer: 'NOR' } },
  });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const waiting = await eventually(() => session(id), (r) => r.body.parking_session.notice !== null, 30_000);
  expect(waiting.body.parking_session.state).toBe('entering');
  expect(waiting.body.parking_session.notice).toMatch(/camera has not seen your car yet/);

  expect((await http('POST', `${s.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: 'RT2002', plate_issuer: 'NOR' } })).status).toBeLessThan(300);
  const connected = await eventually(() => session(id), (r) => r.body.parking_session.state === 'active', 90_000);
  expect(connected.body.parking_session.notice).toBeNull();
}, 180_000);
