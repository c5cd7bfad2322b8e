/**
 * One complete card-paid barrier session over HTTP, as the app, the gates, the WebView and NETOPIA's card page do
 * it (test/e2e/card-payments.test.ts, tools/history-scenarios.ts), each step timed; and its no-op twin driven
 * through the Temporal client.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { demoGateKey } from '../src/db/demo-data';
import { historyCounts, type HistoryCounts } from '../src/temporal/history-counts';
import { sessionWorkflowId } from '../src/temporal/ids';
import type { Config } from '../src/config';
import { http } from '../test/helpers/stack';
import { NETOPIA_ACCEPTED } from '../test/helpers/test-cards';
import { NOOP_TASK_QUEUE } from './load-stack';
import { noopAccess, noopFinalize, noopGate, noopPaid, noopSession, noopStartPayment } from './noop-workflow';

const PARKING = 189; // a demo barrier parking paid through NETOPIA
const MAC = { entrance: '76:86:BB:DE:65:01', exit: '76:86:BB:DE:65:02' };

export const STEPS = ['start', 'entrance access', 'gate entered', 'wait active', 'finalize', 'open pay_url', 'card page', 'submit card', 'wait paid', 'exit access', 'gate exited', 'wait closed'] as const;
export type Step = (typeof STEPS)[number];
export type StepTimes = Partial<Record<Step, number>>;

type Answer = Awaited<ReturnType<typeof http>>;

function expectStatus(res: Answer, ok: number[], what: string): Answer {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

/** Polls the driver's view of the session until it passes (workflows act on signals asynchronously). */
async function until(config: Config, id: number, ok: (s: { state: string; payment_status: string }) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await http('GET', `${config.PUBLIC_BASE_URL}/api/car_driver/parking_sessions/${id}`, { token: config.DEMO_DRIVER_TOKEN });
    if (res.status === 200 && ok(res.body.parking_session)) return;
    if (Date.now() > deadline) throw new Error(`session ${id}: condition not met within 60 s; last ${res.status} ${res.text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Drives one session to closed; answers its id and the duration of every step in ms. */
export async function cardPaidSession(config: Config): Promise<{ id: number; times: StepTimes }> {
  const api = config.PUBLIC_BASE_URL;
  const token = config.DEMO_DRIVER_TOKEN;
  const times: StepTimes = {};
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    times[step] = performance.now() - t0;
    return out;
  };
  const gate = (id: number, event: 'entered' | 'exited') => {
    const direction = event === 'entered' ? 'entrance' : 'exit';
    return http('POST', `${api}/api/gates/events`, {
      headers: { 'x-api-key': demoGateKey(config, PARKING, direction) },
      body: { parking_session_id: id, event, mac_address: MAC[direction] },
    });
  };
  const start = await timed('start', async () =>
    // One key per start, as the app sends one per start intent: lanes share the demo driver and parking, and a
    // keyless start while that driver's last session there is still `entering` answers that session.
    expectStatus(
      await http('POST', `${api}/api/car_driver/parking_sessions`, { token, headers: { 'idempotency-key': randomUUID() }, body: { parking_session: { secured_parking_id: PARKING } } }),
      [201],
      'start',
    ),
  );
  const id = Number(start.body.parking_session.id);
  const access = (direction: 'entrance' | 'exit') => async () =>
    expectStatus(await http('POST', `${api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token, body: { direction, mac_address: MAC[direction] } }), [201], `${direction} access`);
  await timed('entrance access', access('entrance'));
  await timed('gate entered', async () => expectStatus(await gate(id, 'entered'), [200, 202], 'gate entered'));
  await timed('wait active', () => until(config, id, (s) => s.state === 'active'));
  const fin = await timed('finalize', async () =>
    expectStatus(await http('PUT', `${api}/api/car_driver/parking_sessions/${id}/finalize`, { token, body: { parking_session: { secured_parking_id: PARKING } } }), [201], 'finalize'),
  );
  const payUrl = String(fin.body.pay_url);
  const cardPage = (await timed('open pay_url', async () => expectStatus(await http('GET', payUrl), [303], 'open pay_url'))).location!;
  await timed('card page', async () => expectStatus(await http('GET', cardPage), [200], 'card page'));
  await timed('submit card', async () => {
    const [action, query] = cardPage.split('?');
    const extra = Object.fromEntries(new URLSearchParams(query ?? ''));
    return expectStatus(await http('POST', action!, { form: { ...extra, ...NETOPIA_ACCEPTED } }), [302, 303], 'submit card');
  });
  await timed('wait paid', () => until(config, id, (s) => s.payment_status === 'paid'));
  await timed('exit access', access('exit'));
  await timed('gate exited', async () => expectStatus(await gate(id, 'exited'), [200, 202], 'gate exited'));
  await timed('wait closed', async () => {
    await until(config, id, (s) => s.state === 'closed');
  });
  return { id, times };
}

let noopCounter = 0;

/** The same shape through the client: 4 updates, 3 signals, one activity, the local activities; to completion. */
export async function noopSessionRun(temporal: Client): Promise<string> {
  const workflowId = `bench-noop-${process.pid}-${Date.now()}-${noopCounter++}`;
  const handle = await temporal.workflow.start(noopSession, { workflowId, taskQueue: NOOP_TASK_QUEUE });
  await handle.executeUpdate(noopAccess, { args: ['entrance'] });
  await handle.signal(noopGate, 'entrance');
  await handle.executeUpdate(noopFinalize);
  await handle.executeUpdate(noopStartPayment);
  await handle.signal(noopPaid);
  await handle.executeUpdate(noopAccess, { args: ['exit'] });
  await handle.signal(noopGate, 'exit');
  await handle.result();
  return workflowId;
}

export async function countsOf(temporal: Client, workflowId: string): Promise<HistoryCounts> {
  return historyCounts(await temporal.workflow.getHandle(workflowId).fetchHistory());
}

export const sessionWorkflow = (id: number) => sessionWorkflowId(id);
