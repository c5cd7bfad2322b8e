/** Every amount has one strict spelling and every id is an integer: anything else is a 400, never a 500. */
import { http, startStack, type Stack } from '../helpers/stack';
import { demoGateKey } from '../../src/db/demo-data';

let s: Stack;
const DRIVER = 'demo-driver-token-0001';

beforeAll(async () => {
  s = await startStack('input_bounds');
});
afterAll(() => s?.stop());

const BAD_AMOUNTS: unknown[] = ['NaN', 'Infinity', '-Infinity', ' 0.10', '0.10 ', '０.１０', '0.001', '1e2', '-1', '+1', '1,00', '', '.5', '5.', '0.00', '0x10', '1'.repeat(16), 1.5, 10, null, ['0.10'], { value: '0.10' }];

test.each(BAD_AMOUNTS.map((a) => [JSON.stringify(a), a]))('refund amount %s is a 400 with the field named', async (_label, amount) => {
  const res = await http('POST', `${s.api}/api/ops/sessions/1/refunds`, { token: s.config.OPS_API_TOKEN, body: { amount, request_id: 'bad-amount' } });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('bad_request');
  expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain('amount');
});

const BAD_IDS: unknown[] = [[189], '189', 189.5, -189, 0, true, null, '１８９', Number.MAX_SAFE_INTEGER + 2];

test.each(BAD_IDS.map((id) => [JSON.stringify(id), id]))('secured_parking_id %s is a 400 when starting and finalizing', async (_label, id) => {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER, body: { parking_session: { secured_parking_id: id } } });
  expect(start.status).toBe(400);
  const finalize = await http('PUT', `${s.api}/api/car_driver/parking_sessions/1/finalize`, { token: DRIVER, body: { parking_session: { secured_parking_id: id } } });
  expect(finalize.status).toBe(400);
  const gate = await http('POST', `${s.api}/api/gates/events`, { headers: { 'x-api-key': demoGateKey(s.config, 189, 'entrance') }, body: { parking_session_id: id, event: 'entered', mac_address: '76:86:BB:DE:65:01' } });
  expect(gate.status).toBe(400);
});

test.each(['1.5', '1e3', '-1', '0', '01', ' 1', '１'])('path id %s is a 400', async (id) => {
  const res = await http('GET', `${s.api}/api/car_driver/parking_sessions/${encodeURIComponent(id)}`, { token: DRIVER });
  expect(res.status).toBe(400);
  const ops = await http('GET', `${s.api}/api/ops/sessions?parking_id=${encodeURIComponent(id)}`, { token: s.config.OPS_API_TOKEN });
  expect(ops.status).toBe(400);
});
