/**
 * A car at the barrier must get in the moment the app holds its smart key: the access command → session mapping
 * is durable before the start answer leaves the API, so a gate event one millisecond later finds the session.
 * The commands are derived from key ids (src/security/access-command.ts): that mapping is their only stored form.
 */
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { demoGateKey } from '../../src/db/demo-data';
import { SessionModel, sessionRowId } from '../../src/db/models';
import { payWithCard } from '../helpers/card-flow';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

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

test('the derived entrance and exit commands open the barrier both ways; the read model holds key ids, the lookup the commands', async () => {
  const token = s.config.DEMO_DRIVER_TOKEN;
  const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token });
  const gate = (event: 'entered' | 'exited', mac: string, command: string) =>
    http('POST', `${s.api}/api/gates/events`, {
      headers: { 'x-api-key': demoGateKey(s.config, 189, event === 'entered' ? 'entrance' : 'exit') },
      body: { mac_address: mac, access_command: command, event },
    });
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token, body: { parking_session: { secured_parking_id: 189 } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const entrance: string = start.body.smart_key.access_command;
  expect(entrance).toMatch(/^[0-9a-f]{32}$/);
  expect((await gate('entered', '76:86:BB:DE:65:01', entrance)).body).toEqual({ status: 'accepted', parking_session_id: id, event: 'entered' });
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active');

  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token, body: { parking_session: { secured_parking_id: 189 } } });
  expect(fin.status).toBe(201);
  const exit: string = fin.body.smart_key.access_command;
  expect(exit).toMatch(/^[0-9a-f]{32}$/);
  expect(exit).not.toBe(entrance);
  // The same command on every read: derived again each time, never stored with the session.
  expect((await session(id)).body.smart_key.access_command).toBe(exit);
  await payWithCard(fin.body.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');
  const tried = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token, body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } });
  expect([tried.status, tried.body.access_command]).toEqual([201, exit]);
  expect((await gate('exited', '76:86:BB:DE:65:02', exit)).body).toEqual({ status: 'accepted', parking_session_id: id, event: 'exited' });
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');

  expect([await sessionByAccessCommand(entrance), await sessionByAccessCommand(exit)]).toEqual([id, id]);
  const row = await SessionModel.findById(sessionRowId(id)).lean();
  const view = row?.view as { entranceKey: { keyId?: string }; exitKey: { keyId?: string } };
  expect([view.entranceKey.keyId, view.exitKey.keyId]).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  expect(row).not.toHaveProperty('entranceAccessCommand');
  expect(JSON.stringify(row)).not.toMatch(new RegExp(`${entrance}|${exit}|accessCommand`, 'i'));
});
