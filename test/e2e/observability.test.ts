/**
 * Issue 13, items 1–3 and the worker's health: the product as separate processes (sandbox, worker, API, each
 * `tsx <entry point>` as in production, stdout not a terminal so their logs are JSON), one ANPR session started and
 * one barrier session paid by card and closed. Then:
 * - the worker's /healthz answers 200 (RUNNING, pollers polling, Temporal connected);
 * - the API's and the worker's /metrics show the business counters moved, and the SDK's exporter answers;
 * - a tiny OTLP/HTTP receiver on loopback got spans of one trace from the API, the workflow, an activity and the
 *   provider call;
 * - every log line of the three processes is JSON, the access lines carry request ids (the caller's, when sane)
 *   and session ids, worker lines carry workflow and run ids, and no secret, token, card number or full plate
 *   appears anywhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { demoGateKey } from '../../src/db/demo-data';
import { startFaultStack, withFaultLogs, type FaultStack } from '../helpers/fault-stack';
import { eventually, gateEvent, http } from '../helpers/stack';
import { NETOPIA_ACCEPTED } from '../helpers/test-cards';

let s: FaultStack;
let receiver: Server;
const spans: CollectedSpan[] = [];

const PARKING = 189;
const CARD = NETOPIA_ACCEPTED;
const PAN = CARD.card_number;
const CVV = CARD.cvv;
const PLATE = 'OBS7731';
const REQUEST_ID = 'obs-test-finalize-0001';

interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }> }>;
  }>;
}

/** Collects OTLP/HTTP JSON exports (what @opentelemetry/exporter-trace-otlp-http sends by default). */
function startReceiver(): Promise<number> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) {
            for (const sp of ss.spans ?? []) spans.push({ service, traceId: sp.traceId, spanId: sp.spanId, parentSpanId: sp.parentSpanId ?? '', name: sp.name });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => resolve((receiver.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const otlpPort = await startReceiver();
  s = await startFaultStack('observability', {
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
}, 300_000);

afterAll(async () => {
  await s?.stopAll();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const driver = () => ({ token: s.config.DEMO_DRIVER_TOKEN });
const sessionPath = (id: number) => `${s.urls.api}/api/car_driver/parking_sessions/${id}`;
const sessionUntil = (id: number, state: string) =>
  eventually(() => http('GET', sessionPath(id), driver()), (r) => r.status === 200 && r.body.parking_session.state === state, 60_000);

/** Prometheus text → the value of one series (labels in any order), 0 when absent. */
async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** One barrier session at demo parking 189: start, enter, finalize (with our request id), pay by card, exit, closed. */
async function paidBarrierSession(): Promise<{ id: number; payUrl: string }> {
  const start = await http('POST', `${s.urls.api}/api/car_driver/parking_sessions`, { ...driver(), body: { parking_session: { secured_parking_id: PARKING } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  expect((await http('POST', `${sessionPath(id)}/access_attempts`, { ...driver(), body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } })).status).toBe(201);
  expect((await gateEvent({ api: s.urls.api, config: s.config }, id, PARKING, 'entered')).status).toBe(202);
  await sessionUntil(id, 'active');
  const fin = await http('PUT', `${sessionPath(id)}/finalize`, { ...driver(), headers: { 'x-request-id': REQUEST_ID }, body: { parking_session: { secured_parking_id: PARKING } } });
  expect(fin.status).toBe(201);
  expect(fin.headers.get('x-request-id')).toBe(REQUEST_ID);
  const pay = await http('GET', fin.body.pay_url);
  expect(pay.status).toBe(303);
  const submitted = await http('POST', pay.location!, { form: CARD });
  expect([302, 303]).toContain(submitted.status);
  await eventually(() => http('GET', sessionPath(id), driver()), (r) => r.body?.parking_session?.payment_status === 'paid', 60_000);
  expect((await http('POST', `${sessionPath(id)}/access_attempts`, { ...driver(), body: { direction: 'exit', mac_address: '76:86:BB:DE:65:02' } })).status).toBe(201);
  expect((await gateEvent({ api: s.urls.api, config: s.config }, id, PARKING, 'exited')).status).toBe(202);
  await sessionUntil(id, 'closed');
  return { id, payUrl: fin.body.pay_url };
}

async function anprSession(): Promise<number> {
  const cam = await http('POST', `${s.urls.sandbox}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR', offset_minutes: -30 } });
  expect(cam.status).toBeLessThan(300);
  const res = await http('POST', `${s.urls.api}/api/car_driver/parking_sessions`, {
    ...driver(),
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: PLATE, plate_issuer: 'NOR' } },
  });
  expect(res.status).toBe(201);
  return res.body.parking_session.id;
}

test('one session: worker healthy, counters moved on both /metrics, one trace from HTTP to the provider call, JSON logs with ids and without secrets', () =>
  withFaultLogs(s, async () => {
    const health = await http('GET', `http://127.0.0.1:${s.config.WORKER_HEALTH_PORT}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', worker: 'RUNNING', temporal: 'connected', pollers: { workflow: 'POLLING', activity: 'POLLING' } });

    const apiBefore = await scrape(s.config.API_METRICS_PORT);
    const workerBefore = await scrape(s.config.WORKER_HEALTH_PORT);

    // A caller's request id that is not sane is replaced, never echoed.
    const odd = await http('GET', `${s.urls.api}/healthz`, { headers: { 'x-request-id': 'bad id "with" spaces' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const anprId = await anprSession();
    const { id, payUrl } = await paidBarrierSession();

    // --- metrics: the API's and the worker's business counters, the SDK's own exporter
    const apiAfter = await scrape(s.config.API_METRICS_PORT);
    const callbacks = { provider: 'netopia', outcome: 'accepted' };
    expect(value(apiAfter, 'parking_provider_callbacks_total', callbacks)).toBeGreaterThan(value(apiBefore, 'parking_provider_callbacks_total', callbacks));
    const finalizeRoute = { route: '/api/car_driver/parking_sessions/:id/finalize', status: '2xx' };
    expect(value(apiAfter, 'parking_http_request_duration_seconds_count', finalizeRoute)).toBeGreaterThan(value(apiBefore, 'parking_http_request_duration_seconds_count', finalizeRoute));
    expect(apiAfter).toMatch(/^parking_attention_sessions_open \d+$/m);

    const workerAfter = await eventually(
      () => scrape(s.config.WORKER_HEALTH_PORT),
      (t) => value(t, 'parking_sessions_closed_total', { kind: 'barrier', state: 'closed' }) > value(workerBefore, 'parking_sessions_closed_total', { kind: 'barrier', state: 'closed' }),
      30_000,
    );
    const moved = (name: string, labels: Record<string, string>) => value(workerAfter, name, labels) - value(workerBefore, name, labels);
    expect(moved('parking_sessions_started_total', { kind: 'barrier' })).toBeGreaterThanOrEqual(1);
    expect(moved('parking_sessions_started_total', { kind: 'anpr' })).toBeGreaterThanOrEqual(1);
    expect(moved('parking_payments_total', { provider: 'netopia', event: 'started' })).toBeGreaterThanOrEqual(1);
    expect(moved('parking_payments_total', { provider: 'netopia', event: 'captured' })).toBe(1);
    expect(moved('parking_provider_call_duration_seconds_count', { provider: 'netopia', outcome: 'ok' })).toBeGreaterThanOrEqual(1);

    const sdk = await scrape(s.config.WORKER_METRICS_PORT);
    expect(sdk).toMatch(/^temporal_\w+/m);

    // --- traces: one trace goes from the API through the workflow and an activity to the provider call
    const linked = () => {
      const byTrace = new Map<string, CollectedSpan[]>();
      for (const sp of spans) byTrace.set(sp.traceId, [...(byTrace.get(sp.traceId) ?? []), sp]);
      return [...byTrace.values()].find(
        (t) =>
          t.some((sp) => sp.service === 'parking-api') &&
          t.some((sp) => sp.service === 'parking-worker' && /^(RunWorkflow|HandleUpdate|HandleSignal|ValidateUpdate)/.test(sp.name)) &&
          t.some((sp) => sp.service === 'parking-worker' && sp.name.startsWith('RunActivity:')) &&
          t.some((sp) => sp.service === 'parking-worker' && sp.name.startsWith('netopia ')),
      );
    };
    const trace = await eventually(async () => linked(), (t) => t !== undefined, 30_000);
    expect(new Set(trace!.map((sp) => sp.traceId)).size).toBe(1);

    // --- logs
    const files = { api: s.logText('api'), worker: s.logText('worker'), sandbox: s.logText('sandbox') };
    const lines = Object.entries(files).flatMap(([proc, text]) =>
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => ({ proc, raw: l })),
    );
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l.raw) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const records = lines.map((l): Record<string, unknown> => ({ ...(JSON.parse(l.raw) as Record<string, unknown>), proc: l.proc }));

    const access = records.filter((r) => r.proc === 'api' && r.msg === 'request');
    expect(access.find((r) => r.requestId === REQUEST_ID)).toMatchObject({ method: 'PUT', route: '/api/car_driver/parking_sessions/:id/finalize', status: 201, sessionId: id });
    expect(access.every((r) => typeof r.requestId === 'string' && typeof r.durationMs === 'number')).toBe(true);
    expect(records.some((r) => r.proc === 'sandbox' && r.msg === 'request' && typeof r.requestId === 'string')).toBe(true);
    expect(records.some((r) => r.proc === 'worker' && r.workflowId === `parking-session-${id}` && typeof r.runId === 'string')).toBe(true);
    expect(records.some((r) => r.proc === 'worker' && r.workflowId === `parking-session-${anprId}`)).toBe(true);

    const all = Object.values(files).join('\n');
    const sig = new URL(payUrl).searchParams;
    const secrets = [
      ...Object.values(SANDBOX_DEFAULTS).filter((v) => v.length >= 8 && !v.startsWith('{')),
      'demo-operator-secret',
      demoGateKey(s.config, PARKING, 'entrance'),
      demoGateKey(s.config, PARKING, 'exit'),
      ...[...sig.values()].filter((v) => v.length >= 16),
      PAN,
      PAN.replace(/(\d{4})/g, '$1 ').trim(),
    ];
    for (const secret of secrets) expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
    expect(all).not.toMatch(new RegExp(`cvv\\W{0,4}${CVV}`, 'i'));
    expect(all.toUpperCase()).not.toContain(PLATE);
  }), 600_000);
