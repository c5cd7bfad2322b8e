/**
 * A car at the barrier must get in the moment the app holds its smart key: the access command → session mapping
 * is durable before the start answer leaves the API, so a gate event one millisecond later finds the session.
 */
import { demoGateKey } from '../../src/db/demo-data';
import { http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('gate_ryw');
});
afterAll(() => s?.stop());

test('a gate event right after the start is accepted, 50 times in a row', async () => {
  const outcomes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: s.config.DEMO_DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
    expect(start.status).toBe(201);
    const gate = await http('POST', `${s.api}/api/gates/events`, {
      headers: { 'x-api-key': demoGateKey(s.config, 189, 'entrance') },
      body: { mac_address: '76:86:BB:DE:65:01', access_command: start.body.smart_key.access_command, event: 'entered' },
    });
    outcomes.push(gate.status);
    expect(gate.body.parking_session_id).toBe(start.body.parking_session.id);
  }
  expect(outcomes).toEqual(Array(50).fill(202));
});
