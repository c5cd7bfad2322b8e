/**
 * Card data never rests anywhere: the test cards go through the whole product (sandbox card pages, IPN and
 * server-to-server confirmation, workflows, ledger), and afterwards neither the database, nor anything written
 * to stdout/stderr/console, nor the sandboxes' records, nor the session workflows' histories hold a full card
 * number or a CVV value.
 */
import { format } from 'node:util';
import mongoose from 'mongoose';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';
import { withoutGrace } from '../helpers/demo-parking';

const TOKEN = 'demo-driver-token-0001';
const PANS = ['9900004810225098', '9900541631437790', '4000000000000002'];
const CVV = '111';
/** A CVV kept under any spelling of a cvv/cvc/csc key, quoted or not (JSON, util.inspect, query strings). */
const CVV_VALUE = new RegExp(`(cvv|cvc|csc|cvv2)["']?\\s*[:=]\\s*["']?${CVV}\\b`, 'i');

let s: Stack;
const captured: string[] = [];
const restores: Array<() => void> = [];
const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: TOKEN });

/** Records every write to stdout/stderr and every console call, and still passes them on. */
function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(format(...args));
      original.apply(console, args);
    });
    restores.push(() => spy.mockRestore());
  }
}

beforeAll(async () => {
  captureOutput();
  s = await startStack('nocarddata');
});
afterAll(async () => {
  await s?.stop();
  for (const restore of restores.reverse()) restore();
});

async function finalizedSession(parkingId: number, entranceMac: string) {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  const id: number = start.body.parking_session.id;
  await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: TOKEN, body: { direction: 'entrance', mac_address: entranceMac } });
  await gateEvent(s, id, parkingId, 'entered');
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active');
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  expect(fin.status).toBe(201);
  return { id, fin: fin.body };
}

/** Follows the pay_url to the provider's card page and posts the card form; returns where the browser goes next. */
async function submitCard(payUrl: string, card: Record<string, string>): Promise<string> {
  const pay = await http('GET', payUrl);
  expect(pay.status).toBe(303);
  const target = new URL(pay.location!);
  const tac = target.searchParams.get('TAC');
  const action = tac ? `${target.origin}${target.pathname}` : target.toString();
  const submit = await http('POST', action, { form: { name: 'Demo Driver', ...(tac ? { TAC: tac } : {}), ...card } });
  expect([302, 303]).toContain(submit.status);
  return submit.location!;
}

/** Every document of every collection of the test database, as text. */
async function dumpDatabase(): Promise<Record<string, string>> {
  const db = mongoose.connection.db!;
  const dump: Record<string, string> = {};
  for (const { name } of await db.listCollections().toArray()) {
    dump[name] = JSON.stringify(await db.collection(name).find({}).toArray());
  }
  return dump;
}

/** A workflow history with payloads decoded to text, so card data inside them would be visible. */
async function historyText(sessionId: number): Promise<string> {
  const history = await s.temporal.workflow.getHandle(sessionWorkflowId(sessionId)).fetchHistory();
  return JSON.stringify(history, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return value;
  });
}

function expectNoCardData(where: string, text: string): void {
  for (const pan of PANS) expect({ where, found: text.includes(pan) ? pan : null }).toEqual({ where, found: null });
  expect({ where, cvv: CVV_VALUE.exec(text)?.[0] ?? null }).toEqual({ where, cvv: null });
}

test('the test cards leave no full card number and no CVV in the database, the logs, the sandboxes or the workflow histories', async () => {
  // Netopia: the expired card is declined, the accepted card then pays the same session.
  const netopia = await finalizedSession(189, '76:86:BB:DE:65:01');
  const back = await submitCard(netopia.fin.pay_url, { card_number: PANS[1], exp_month: '12', exp_year: '2030', cvv: CVV });
  await eventually(() => session(netopia.id), (r) => /expired/i.test(r.body.parking_session.last_payment_error ?? ''));
  await eventually(() => http('GET', back), (r) => /not completed/.test(r.text));
  const again = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${netopia.id}/finalize`, { token: TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(again.status).toBe(201);
  // A form the sandbox refuses (bad month) must not echo or log the card either.
  const bad = await http('GET', again.body.pay_url);
  const refused = await http('POST', bad.location!, { form: { card_number: PANS[0], exp_month: '13', exp_year: '2030', cvv: CVV, name: 'Demo Driver' } });
  expectNoCardData('the refused card form page', refused.text);
  await submitCard(again.body.pay_url, { card_number: PANS[0], exp_month: '12', exp_year: '2030', cvv: CVV });
  await eventually(() => session(netopia.id), (r) => r.body.parking_session.payment_status === 'paid');

  // EPX: the seed card (empty CVV) pays after the server-to-server confirmation.
  await withoutGrace(188);
  const epx = await finalizedSession(188, '76:86:BB:DE:64:01');
  const response = await submitCard(epx.fin.pay_url, { card_number: PANS[2], exp_month: '12', exp_year: '2025', cvv: '' });
  const confirmed = await http('GET', response);
  expect(confirmed.status).toBe(303);
  await eventually(() => session(epx.id), (r) => r.body.parking_session.payment_status === 'paid');
  // Let late IPN deliveries, ledger writes and log lines land before looking.
  await new Promise((r) => setTimeout(r, 500));

  // The card data did pass through: the masks are where the PANs would otherwise be.
  const netopiaRecords = JSON.stringify(s.sandbox.netopia.records());
  const epxRecords = JSON.stringify(s.sandbox.epx.records());
  expect(netopiaRecords).toContain('****5098');
  expect(netopiaRecords).toContain('****7790');
  expect(epxRecords).toContain('****0002');

  const dump = await dumpDatabase();
  expect(Object.keys(dump).length).toBeGreaterThan(0);
  expect(JSON.stringify(dump)).toContain(String(netopia.id));
  for (const [name, text] of Object.entries(dump)) expectNoCardData(`collection ${name}`, text);
  expectNoCardData('Netopia sandbox records', netopiaRecords);
  expectNoCardData('EPX sandbox records', epxRecords);
  for (const id of [netopia.id, epx.id]) expectNoCardData(`workflow history of session ${id}`, await historyText(id));

  const logs = captured.join('');
  // The capture sees the in-process worker's logging, so an empty capture cannot pass by accident.
  expect(logs).toMatch(/Worker state changed|\[INFO\]/);
  expectNoCardData('stdout/stderr/console', logs);
});
