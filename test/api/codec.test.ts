/**
 * Temporal holds ciphertext: every payload of a session's history is encrypted with the configured key, and the
 * codec server lets ops (and the Temporal UI, from its origin) read it back in clear. Barrier-opening secrets are
 * not in it even then: the workflow holds key ids, and the access commands are derived from them outside it.
 */
import { temporal as protoValues, type temporal as proto } from '@temporalio/proto';
import { ENCRYPTED_ENCODING } from '../../src/codec/aes-gcm-codec';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { DRIVER_TOKEN } from '../helpers/card-flow';
import { decodeHistoryPayload } from '../helpers/data-converter';
import { eventually, gateEvent, http, startStack, type Stack } from '../helpers/stack';

type Payload = proto.api.common.v1.IPayload;
const UI = 'http://127.0.0.1:8233';

let s: Stack;
beforeAll(async () => {
  s = await startStack('codec');
});
afterAll(() => s?.stop());

/**
 * Every payload anywhere in a history event (inputs, signals, updates, activity inputs and results, ...), except
 * search attributes (the server indexes them, so they stay clear: no personal data goes there) and the SDK's own
 * marker bookkeeping (a patch id; a local activity's sequence number, id, type and times; its result is checked),
 * and headers (the trace context of src/observability, nothing else).
 */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) payloadsOf(n, out);
    return out;
  }
  const o = node as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && 'data' in o) out.push(o as Payload);
  else if (o.markerName) {
    for (const [k, v] of Object.entries((o.details ?? {}) as Record<string, unknown>)) if (k !== 'data' && k !== 'patch-data') payloadsOf(v, out);
  }
  else for (const [k, v] of Object.entries(o)) if (k !== 'searchAttributes' && k !== 'header') payloadsOf(v, out);
  return out;
}
const wire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

test("a session's history holds only ciphertext payloads, and the codec server opens them for ops: no access command even then", async () => {
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(start.status).toBe(201);
  const id: number = start.body.parking_session.id;
  const entranceCommand: string = start.body.smart_key.access_command;
  const tried = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/access_attempts`, { token: DRIVER_TOKEN, body: { direction: 'entrance', mac_address: '76:86:BB:DE:65:01' } });
  expect(tried.body.access_command).toBe(entranceCommand);
  await gateEvent(s, id, 189, 'entered');
  await eventually(
    () => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: DRIVER_TOKEN }),
    (r) => r.body.parking_session.state === 'active',
  );
  const fin = await http('PUT', `${s.api}/api/car_driver/parking_sessions/${id}/finalize`, { token: DRIVER_TOKEN, body: { parking_session: { secured_parking_id: 189 } } });
  expect(fin.status).toBe(201);
  const exitCommand: string = fin.body.smart_key.access_command;
  // Every access command the driver received (start, access attempt, finalize, details).
  const details = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: DRIVER_TOKEN });
  const commands = [...new Set([entranceCommand, exitCommand, details.body.smart_key.access_command])];
  expect(commands).toHaveLength(2);
  for (const c of commands) expect(c).toMatch(/^[0-9a-f]{32}$/);

  const history = await s.temporal.workflowService.getWorkflowExecutionHistory({ namespace: s.config.TEMPORAL_NAMESPACE, execution: { workflowId: sessionWorkflowId(id) } });
  const payloads = payloadsOf(history.history?.events ?? []);
  expect(payloads.length).toBeGreaterThan(3);
  for (const p of payloads) {
    expect(Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString()).toBe(ENCRYPTED_ENCODING);
    const raw = Buffer.from(p.data ?? new Uint8Array()).toString('latin1');
    for (const clear of [...commands, 'demo-driver', '4791234567', 'json/plain']) expect(raw).not.toContain(clear);
  }
  // Decrypted and converted as a worker reads them: the keys are there, by id only.
  const values = JSON.stringify(await Promise.all(payloads.map((p) => decodeHistoryPayload<unknown>(p))));
  expect(values).toMatch(/"keyId":"[0-9a-f-]{36}"/);
  for (const c of commands) expect(values).not.toContain(c);
  expect(values).not.toMatch(/accessCommand/i);

  // Ops read it through the codec server, as the UI does.
  const decoded = await http('POST', `${s.api}/codec/decode`, { token: s.config.OPS_API_TOKEN, body: { payloads: payloads.map(wire) } });
  expect(decoded.status).toBe(200);
  const texts = decoded.body.payloads.map((p: { data: string }) => Buffer.from(p.data, 'base64').toString('utf8'));
  expect(texts.join('\n')).toContain('"keyId"');
  for (const c of commands) expect(texts.join('\n')).not.toContain(c);
  expect(decoded.body.payloads.every((p: { metadata: { encoding: string } }) => Buffer.from(p.metadata.encoding, 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(true);

  // encode → decode is the identity through HTTP too.
  const clear = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"plate":"AB12345"}').toString('base64') };
  const sealed = await http('POST', `${s.api}/codec/encode`, { token: s.config.OPS_API_TOKEN, body: { payloads: [clear] } });
  expect(Buffer.from(sealed.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('AB12345');
  const back = await http('POST', `${s.api}/codec/decode`, { token: s.config.OPS_API_TOKEN, body: sealed.body });
  expect(back.body.payloads).toEqual([clear]);
});

test('the codec server: ops auth, CORS only for the UI origin, clear errors', async () => {
  const body = { payloads: [] };
  expect((await http('POST', `${s.api}/codec/decode`, { body })).status).toBe(401);
  expect((await http('POST', `${s.api}/codec/decode`, { token: 'not-an-ops-token', body })).status).toBe(401);

  const preflight = await http('OPTIONS', `${s.api}/codec/decode`, { headers: { origin: UI, 'access-control-request-method': 'POST' } });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
  const foreign = await http('OPTIONS', `${s.api}/codec/decode`, { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

  // The sandbox's dev UI cannot send an ops token: its origin is enough there (never in production).
  const fromUi = await http('POST', `${s.api}/codec/decode`, { headers: { origin: UI }, body });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
  expect((await http('POST', `${s.api}/codec/decode`, { headers: { origin: 'https://evil.example' }, body })).status).toBe(401);

  const bad = await http('POST', `${s.api}/codec/decode`, { token: s.config.OPS_API_TOKEN, body: { payloads: [{ data: 'not base64!' }] } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('bad_request');
  const forged = { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'), 'encryption-key-id': Buffer.from('nope').toString('base64') }, data: Buffer.alloc(40).toString('base64') };
  const undecodable = await http('POST', `${s.api}/codec/decode`, { token: s.config.OPS_API_TOKEN, body: { payloads: [forged] } });
  expect(undecodable.status).toBe(422);
  expect(undecodable.body.error.code).toBe('undecodable_payload');
});

test("a camera session's plate is nowhere in clear in its history: search attributes hold a keyed hash ops can filter by", async () => {
  const plate = 'PH4242';
  await http('POST', `${s.sandboxUrl}/autopay/_camera/enter`, { body: { area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR', offset_minutes: -30 } });
  const start = await http('POST', `${s.api}/api/car_driver/parking_sessions`, {
    token: DRIVER_TOKEN,
    body: { parking_session: { parking_area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR' } },
  });
  expect(start.status).toBe(201);
  const workflowId = sessionWorkflowId(start.body.parking_session.id);
  const history = await s.temporal.workflowService.getWorkflowExecutionHistory({ namespace: s.config.TEMPORAL_NAMESPACE, execution: { workflowId } });
  // Every byte Temporal keeps of this history, search attributes and markers included, as the server stores it.
  const raw = Buffer.from(protoValues.api.history.v1.History.encode(history.history ?? {}).finish()).toString('latin1');
  expect(raw).not.toContain(plate);
  expect(raw).not.toContain('4791234567');

  const hash = await http('GET', `${s.api}/api/ops/plate-hash?plate=ph-4242`, { token: s.config.OPS_API_TOKEN });
  expect(hash.status).toBe(200);
  expect(hash.body.plate_hash).toMatch(/^[0-9a-f]{32}$/);
  expect(raw).toContain(hash.body.plate_hash);
  const found = await eventually(
    async () => {
      const ids: string[] = [];
      for await (const w of s.temporal.workflow.list({ query: hash.body.temporal_ui_query })) ids.push(w.workflowId);
      return ids;
    },
    (ids) => ids.includes(workflowId),
  );
  expect(found).toEqual([workflowId]);
  expect((await http('GET', `${s.api}/api/ops/plate-hash?plate=${encodeURIComponent('<script>')}`, { token: s.config.OPS_API_TOKEN })).status).toBe(400);
});
