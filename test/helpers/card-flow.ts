/** A barrier session driven to "finalized" and paid by card over real HTTP, as the app and the WebView do it. */
import { eventually, gateEvent, http, type Stack } from './stack';

export const DRIVER_TOKEN = 'demo-driver-token-0001';

export const sessionOf = (s: Stack, id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: DRIVER_TOKEN });

/** Start, enter and finalize a session at a parking; returns its id and the finalize body. */
export async function finalizedSession(s: Stack, parkingId: number, entranceMac: string) {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  const id: number = start.body.parking_session.id;
  await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: DRIVER_TOKEN, body: { direction: 'entrance', mac_address: entranceMac } });
  await gateEvent(s, id, parkingId, 'entered');
  await eventually(() => sessionOf(s, id), (r) => r.body.parking_session.state === 'active');
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: parkingId } } });
  expect(fin.status).toBe(201);
  return { id, fin: fin.body };
}

/** Opens the pay_url like the WebView does and submits the provider's card form. */
export async function payWithCard(payUrl: string, card: Record<string, string>) {
  const pay = await http('GET', payUrl);
  expect(pay.status).toBe(303);
  const cardPage = await http('GET', pay.location!);
  expect(cardPage.status).toBe(200);
  for (const field of ['card_number', 'exp_month', 'exp_year', 'cvv', 'name']) expect(cardPage.text).toContain(`name="${field}"`);
  const submit = await http('POST', pay.location!, { form: { name: 'Demo Driver', ...card } });
  expect([302, 303]).toContain(submit.status);
  return submit.location!;
}
