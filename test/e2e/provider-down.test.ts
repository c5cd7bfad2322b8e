/**
 * The card provider is down when the driver opens the pay page: a clear "try again" page comes back at once
 * (bounded client deadline, a few quick tries), nothing is charged, and the next try after recovery pays.
 */
import { finalizedSession, payWithCard } from '../helpers/card-flow';
import { assertExactlyOnce } from '../helpers/exactly-once';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('provider_down');
});
afterAll(() => s?.stop());

test('NETOPIA not answering: the pay page says "unavailable, try again" within 10 s; after recovery the driver pays once', async () => {
  const { id, fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  expect((await http('POST', `${s.sandboxUrl}/netopia/_controls`, { body: { failNextCalls: 1000, failStatus: 503 } })).status).toBe(200);
  const down = await http('GET', fin.pay_url, { timeoutMs: 10_000 });
  expect(down.status).toBe(503);
  expect(down.text).toMatch(/try again/i);
  expect(down.text).not.toMatch(/Activity|Failure|stack/i);

  expect((await http('DELETE', `${s.sandboxUrl}/netopia/_controls`)).status).toBe(200);
  // The client's circuit may still be open for its cool-down: the driver simply tries again.
  const back = await eventually(
    () => http('GET', fin.pay_url),
    (r) => r.status === 303,
    90_000,
  );
  expect(back.location).toContain('/netopia/pay/');
  await payWithCard(fin.pay_url, { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111' });
  await eventually(() => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: s.config.DEMO_DRIVER_TOKEN }), (r) => r.body.parking_session.payment_status === 'paid');
  await assertExactlyOnce({ sandboxUrl: s.sandboxUrl, sessionId: id });
}, 180_000);

test('NETOPIA refuses the payment (a 4xx business refusal): one call, no retry, a clear page', async () => {
  const { fin } = await finalizedSession(s, 189, '76:86:BB:DE:65:01');
  expect((await http('POST', `${s.sandboxUrl}/netopia/_controls`, { body: { failNextCalls: 5, failStatus: 400 } })).status).toBe(200);
  const refused = await http('GET', fin.pay_url, { timeoutMs: 10_000 });
  expect(refused.status).toBe(422);
  expect(refused.text).toMatch(/refused this payment/);
  const left = await http('GET', `${s.sandboxUrl}/netopia/_controls`);
  expect(left.body.failNextCalls).toBe(4); // exactly one start call reached NETOPIA
  await http('DELETE', `${s.sandboxUrl}/netopia/_controls`);
});
