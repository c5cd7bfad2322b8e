/**
 * Autopay: the client against the sandbox over real loopback HTTP, callback authentication, and the sandbox's
 * camera / manual_stop / cancel flows delivering callbacks to a tiny receiver app.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { AutopayClient } from '../../../src/providers/autopay/client';
import { AutopayError, autopayErrorBody, type AutopayErrorId } from '../../../src/providers/autopay/errors';
import {
  callbackAuthHeaders,
  parseAutopayCancelCallback,
  parseAutopaySuccessCallback,
  verifyAutopayCallbackAuth,
  type CallbackAuth,
} from '../../../src/providers/autopay/inbound';
import { createAutopaySandbox, type AutopaySandbox, type SandboxParking } from '../../../sandbox/autopay/sandbox';
import { formatAutopayDateTime, parseAutopayDateTime } from '../../../src/providers/autopay/wire';
import { addsUp } from '../../../src/domain/vat';

// ------------------------------------------------------------------ loopback helpers

async function listen(app: Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Our side of the callbacks: records every request and answers from a per-path status script (then 200). */
function createReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, number[]>();
  const app = express();
  app.use(express.json());
  app.post('/*path', (req, res) => {
    received.push({ path: req.path, headers: req.headers, body: req.body });
    const status = scripts.get(req.path)?.shift() ?? 200;
    res.status(status).json(status < 300 ? { ok: true } : autopayErrorBody('internal_server_error', 'scripted'));
  });
  return {
    app,
    received,
    script: (path: string, statuses: number[]) => scripts.set(path, [...statuses]),
    at: (path: string) => received.filter((r) => r.path === path),
  };
}

// ------------------------------------------------------------------ fixtures

const AUTH: Record<string, CallbackAuth> = {
  basic: { method: 'basic', username: 'autopay', password: 'cb-basic-secret' },
  token: { method: 'token', token: 'cb-token-secret' },
  api_key: { method: 'api_key', key: 'cb-api-key-secret' },
};

const CREDS = {
  'op-basic': { clientId: 'op-basic-client', clientSecret: 'op-basic-secret' },
  'op-token': { clientId: 'op-token-client', clientSecret: 'op-token-secret' },
  'op-key': { clientId: 'op-key-client', clientSecret: 'op-key-secret' },
};

let receiver: ReturnType<typeof createReceiver>;
let receiverServer: Awaited<ReturnType<typeof listen>>;
let sandbox: AutopaySandbox;
let sandboxServer: Awaited<ReturnType<typeof listen>>;
let base: string;
let client: AutopayClient;
let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}${Date.now() % 100000}`;

beforeAll(async () => {
  receiver = createReceiver();
  receiverServer = await listen(receiver.app);
  const r = receiverServer.url;
  const operator = (name: keyof typeof AUTH, area: string) => ({
    areaCodes: [area],
    callback: { successUrl: `${r}/${name}/ended`, cancelUrl: `${r}/${name}/cancelled`, auth: AUTH[name] },
    currency: 'NOK',
    vatPercent: 25,
    pricePerHour: '12.35',
  });
  const logs: string[] = [];
  sandbox = createAutopaySandbox(
    { sandboxBaseUrl: 'http://unused', apiBaseUrl: r, log: (m) => logs.push(m) },
    {
      operators: {
        'op-basic': { ...CREDS['op-basic'], ...operator('basic', 'area1') },
        'op-token': { ...CREDS['op-token'], ...operator('token', 'area2') },
        'op-key': { ...CREDS['op-key'], ...operator('api_key', 'area3') },
      },
      retry: { attempts: 4, baseMs: 10 },
    },
  );
  const app = express();
  app.use('/autopay', sandbox.router);
  sandboxServer = await listen(app);
  base = `${sandboxServer.url}/autopay`;
  client = newClient();
});

afterAll(async () => {
  sandbox.close();
  await sandboxServer.close();
  await receiverServer.close();
});

function newClient(extra: Partial<ConstructorParameters<typeof AutopayClient>[0]> = {}) {
  return new AutopayClient({
    apiBaseUrl: base,
    authUrl: `${base}/oauth/token`,
    operators: CREDS,
    retries: 2,
    retryBaseMs: 10,
    timeoutMs: 2000,
    ...extra,
  });
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function records() {
  return (await fetch(`${base}/_records`)).json() as Promise<ReturnType<AutopaySandbox['records']>>;
}

async function mintToken(operator: keyof typeof CREDS): Promise<string> {
  const res = await post('/oauth/token', {
    client_id: CREDS[operator].clientId,
    client_secret: CREDS[operator].clientSecret,
    audience: 'https://api.autopay.io',
    grant_type: 'client_credentials',
  });
  expect(res.status).toBe(200);
  return res.body!.access_token as string;
}

async function enter(area: string, plate: string, extra: Record<string, unknown> = {}) {
  const res = await post('/_camera/enter', { area_code: area, vehicle_reg: plate, plate_issuer: 'NOR', ...extra });
  expect(res.status).toBe(201);
  return res.body!.parking as SandboxParking;
}

async function expectAutopayError(promise: Promise<unknown>, errorId: AutopayErrorId, retryable: boolean): Promise<AutopayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AutopayError);
  const e = err as AutopayError;
  expect(e.errorId).toBe(errorId);
  expect(e.retryable).toBe(retryable);
  return e;
}

const connectInput = (area: string, plate: string, reference = unique('ref-')) => ({
  parking_area_code: area,
  reference,
  vehicle_reg: plate,
  plate_issuer: 'NOR',
});

// ------------------------------------------------------------------ wire formats

describe('Autopay wire formats', () => {
  it('parses Autopay timestamps with a colon-less offset', () => {
    expect(parseAutopayDateTime('2019-02-28T11:52:16+0000')?.toISOString()).toBe('2019-02-28T11:52:16.000Z');
    expect(parseAutopayDateTime('2019-02-28T12:52:16+01:00')?.toISOString()).toBe('2019-02-28T11:52:16.000Z');
    expect(parseAutopayDateTime('2019-02-28T12:52:16.5+0100')?.toISOString()).toBe('2019-02-28T11:52:16.500Z');
    expect(parseAutopayDateTime('2019-02-30T11:52:16+0000')).toBeUndefined();
    expect(parseAutopayDateTime('yesterday')).toBeUndefined();
    expect(formatAutopayDateTime(new Date('2019-02-28T11:52:16.789Z'))).toBe('2019-02-28T11:52:16+0000');
  });

  it('parses the seed success callback into exact decimal strings, from numbers or strings', () => {
    const seed = {
      parking_id: '1234567890',
      reference: 'ref1',
      end_time: '2019-02-28T11:52:16+0000',
      cost: { currency: 'NOK', vat_percent: 20.0, net_amount: 100.0, vat_amount: 20.0, gross_amount: 120.0 },
    };
    const parsed = parseAutopaySuccessCallback(seed);
    expect(parsed).toEqual({
      ok: true,
      value: {
        parking_id: '1234567890',
        reference: 'ref1',
        end_time: '2019-02-28T11:52:16.000Z',
        cost: { currency: 'NOK', vat_percent: '20', net_amount: '100.00', vat_amount: '20.00', gross_amount: '120.00' },
      },
    });
    const asStrings = parseAutopaySuccessCallback({
      ...seed,
      cost: { currency: 'NOK', vat_percent: '25', net_amount: '0.1', vat_amount: '0.2', gross_amount: '0.30' },
    });
    expect(asStrings.ok && asStrings.value.cost).toEqual({ currency: 'NOK', vat_percent: '25', net_amount: '0.10', vat_amount: '0.20', gross_amount: '0.30' });
  });

  it('rejects a cost that does not add up, and malformed amounts, naming the field', () => {
    const bad = parseAutopaySuccessCallback({
      parking_id: '1',
      reference: 'r',
      end_time: '2019-02-28T11:52:16+0000',
      cost: { currency: 'NOK', vat_percent: 20, net_amount: 100, vat_amount: 20, gross_amount: 120.01 },
    });
    expect(bad).toEqual({ ok: false, errors: [expect.objectContaining({ field: 'cost.gross_amount' })] });
    const malformed = parseAutopaySuccessCallback({
      parking_id: '1',
      reference: 'r',
      end_time: 'soon',
      cost: { currency: 'NOK', vat_percent: 20, net_amount: '0x10', vat_amount: -1, gross_amount: 120 },
    });
    expect(malformed.ok).toBe(false);
    if (!malformed.ok) expect(malformed.errors.map((e) => e.field).sort()).toEqual(['cost.net_amount', 'cost.vat_amount', 'end_time']);
  });

  it('parses the cancel callback', () => {
    expect(parseAutopayCancelCallback({ parking_id: '1234567890', reference: 'ref1' })).toEqual({
      ok: true,
      value: { parking_id: '1234567890', reference: 'ref1' },
    });
    expect(parseAutopayCancelCallback({ parking_id: '1' })).toEqual({ ok: false, errors: [expect.objectContaining({ field: 'reference' })] });
  });

  it('builds Autopay-shaped error bodies for our callback endpoints', () => {
    expect(autopayErrorBody('authentication_error', 'No access token present in header!')).toEqual({
      error_id: 'authentication_error',
      message: 'No access token present in header!',
    });
    expect(autopayErrorBody('missing_property', 'm', 'd')).toEqual({ error_id: 'missing_property', message: 'm', description: 'd' });
  });
});

// ------------------------------------------------------------------ callback auth

describe('Autopay callback authentication', () => {
  const basicHeader = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it.each(Object.entries(AUTH))('%s: the headers the sandbox sends verify', (_name, auth) => {
    expect(verifyAutopayCallbackAuth(callbackAuthHeaders(auth), auth)).toBe(true);
  });

  it('basic: right, wrong, missing, malformed', () => {
    const auth = AUTH.basic;
    expect(verifyAutopayCallbackAuth({ authorization: basicHeader('autopay', 'cb-basic-secret') }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ Authorization: basicHeader('autopay', 'cb-basic-secret') }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ authorization: basicHeader('autopay', 'wrong') }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ authorization: basicHeader('other', 'cb-basic-secret') }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({}, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ authorization: 'Bearer cb-basic-secret' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ authorization: [basicHeader('autopay', 'cb-basic-secret'), 'x'] }, auth)).toBe(false);
  });

  it('token: right with or without Bearer, wrong, missing', () => {
    const auth = AUTH.token;
    expect(verifyAutopayCallbackAuth({ authorization: 'cb-token-secret' }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ authorization: 'Bearer cb-token-secret' }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ authorization: 'bearer cb-token-secret' }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ authorization: 'Bearer cb-token-secreT' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ authorization: 'cb-token-secret-and-more' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ 'x-api-key': 'cb-token-secret' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({}, auth)).toBe(false);
  });

  it('api_key: right, wrong, missing, wrong header', () => {
    const auth = AUTH.api_key;
    expect(verifyAutopayCallbackAuth({ 'x-api-key': 'cb-api-key-secret' }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ 'X-API-Key': 'cb-api-key-secret' }, auth)).toBe(true);
    expect(verifyAutopayCallbackAuth({ 'x-api-key': 'nope' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ authorization: 'cb-api-key-secret' }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({ 'x-api-key': undefined }, auth)).toBe(false);
    expect(verifyAutopayCallbackAuth({}, auth)).toBe(false);
  });
});

// ------------------------------------------------------------------ client vs sandbox

describe('AutopayClient against the sandbox', () => {
  it('connects to the parking the camera opened; start_time is the entry time', async () => {
    const plate = unique('AB');
    const entered = await enter('area1', plate, { offset_minutes: -30 });
    const input = connectInput('area1', plate.toLowerCase());
    const res = await client.connectParking('op-basic', input);
    expect(res).toEqual({ parking_id: entered.parking_id, reference: input.reference, start_time: new Date(entered.start_time).toISOString().replace(/\.\d{3}Z$/, '.000Z') });
  });

  it('connect before the camera sees the car creates the parking; the entry then sets start_time', async () => {
    const plate = unique('CD');
    const input = connectInput('area1', plate);
    const connected = await client.connectParking('op-basic', input);
    const res = await post('/_camera/enter', { area_code: 'area1', vehicle_reg: plate, plate_issuer: 'NOR', offset_minutes: 1 });
    expect(res.status).toBe(200);
    const p = res.body!.parking as SandboxParking;
    expect(p.parking_id).toBe(connected.parking_id);
    expect(p.reference).toBe(input.reference);
    expect(Date.parse(p.start_time)).toBeGreaterThan(Date.parse(connected.start_time));
  });

  it('connect with the same reference again is idempotent', async () => {
    const plate = unique('EF');
    await enter('area1', plate);
    const input = connectInput('area1', plate);
    const first = await client.connectParking('op-basic', input);
    const again = await client.connectParking('op-basic', input);
    expect(again).toEqual(first);
  });

  it('another reference for a vehicle whose parking is already connected → server_communication_error', async () => {
    const plate = unique('GH');
    await enter('area1', plate);
    await client.connectParking('op-basic', connectInput('area1', plate));
    const e = await expectAutopayError(client.connectParking('op-basic', connectInput('area1', plate)), 'server_communication_error', false);
    expect(e.status).toBe(400);
    expect(e.message).toContain('Payment provider already registered');
  });

  it('an area code the operator does not have → operator_not_found_error', async () => {
    const e = await expectAutopayError(client.connectParking('op-basic', connectInput('area2', unique('IJ'))), 'operator_not_found_error', false);
    expect(e.status).toBe(400);
  });

  it('manual_stop of another operator’s parking → forbidden', async () => {
    const plate = unique('KL');
    await enter('area1', plate);
    const input = connectInput('area1', plate);
    const { parking_id } = await client.connectParking('op-basic', input);
    const e = await expectAutopayError(
      client.manualStop('op-token', { parking_id, reference: input.reference, end_time: new Date() }),
      'forbidden',
      false,
    );
    expect(e.status).toBe(403);
  });

  it('request validation answers with the real API’s error ids', async () => {
    const token = await mintToken('op-basic');
    const auth = { authorization: `Bearer ${token}` };
    const valid = connectInput('area1', unique('MN'));

    const noToken = await post('/payment/v1/connect_parking', valid);
    expect(noToken).toEqual({ status: 401, body: { error_id: 'authentication_error', message: 'No access token present in header!' } });
    const badToken = await post('/payment/v1/connect_parking', valid, { authorization: 'Bearer not-a-token' });
    expect(badToken.status).toBe(401);
    expect(badToken.body!.error_id).toBe('authentication_error');

    const { reference: _omitted, ...missing } = valid;
    const missingRes = await post('/payment/v1/connect_parking', missing, auth);
    expect(missingRes.status).toBe(400);
    expect(missingRes.body).toMatchObject({ error_id: 'missing_property', message: expect.stringContaining('reference') });

    const notJson = await post('/payment/v1/connect_parking', '{"parking_area_code": ', auth);
    expect(notJson.status).toBe(400);
    expect(notJson.body!.error_id).toBe('message_not_readable');

    const wrongType = await post('/payment/v1/connect_parking', { ...valid, reference: 42 }, auth);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ error_id: 'argument_type_mismatch', message: expect.stringContaining('reference') });

    const badEnd = await post('/payment/v1/manual_stop', { parking_id: '1', reference: 'r', end_time: 'tomorrow' }, auth);
    expect(badEnd.body).toMatchObject({ error_id: 'argument_type_mismatch', message: expect.stringContaining('end_time') });

    const get = await fetch(`${base}/payment/v1/connect_parking`, { headers: auth });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error_id: 'method_not_supported' });
  });

  it('server faults: internal_server_error after the client’s retries, any injected error id is typed', async () => {
    await post('/_faults', { endpoint: 'connect_parking', status: 500, times: 3 });
    const e = await expectAutopayError(client.connectParking('op-basic', connectInput('area1', unique('OP'))), 'internal_server_error', true);
    expect(e.status).toBe(500);

    await post('/_faults', { endpoint: 'connect_parking', error_id: 'missing_operator_token_error', message: 'Missing operator in access token' });
    await expectAutopayError(client.connectParking('op-basic', connectInput('area1', unique('OP'))), 'missing_operator_token_error', false);
  });

  it('an operator without configured credentials fails locally, not retryable', async () => {
    await expectAutopayError(client.connectParking('op-unknown', connectInput('area1', unique('QR'))), 'missing_operator_token_error', false);
  });

  it('bad client credentials → authentication_error from the token endpoint', async () => {
    const wrong = newClient({ operators: { 'op-basic': { clientId: 'op-basic-client', clientSecret: 'wrong' } } });
    const e = await expectAutopayError(wrong.connectParking('op-basic', connectInput('area1', unique('ST'))), 'authentication_error', false);
    expect(e.status).toBe(401);
    expect(e.message).toContain('access_denied');
  });

  it('reuses one token per operator across calls and mints separately per operator', async () => {
    const fresh = newClient();
    const before = (await records()).token_requests.by_operator;
    await fresh.connectParking('op-token', connectInput('area2', unique('UV')));
    await fresh.connectParking('op-token', connectInput('area2', unique('UV')));
    await Promise.all([
      fresh.connectParking('op-key', connectInput('area3', unique('WX'))),
      fresh.connectParking('op-key', connectInput('area3', unique('WX'))),
    ]);
    const after = (await records()).token_requests.by_operator;
    expect((after['op-token'] ?? 0) - (before['op-token'] ?? 0)).toBe(1);
    expect((after['op-key'] ?? 0) - (before['op-key'] ?? 0)).toBe(1);
  });

  it('re-mints once on a 401 and repeats the call', async () => {
    const fresh = newClient();
    await fresh.connectParking('op-token', connectInput('area2', unique('YZ')));
    await post('/_revoke_tokens', { operator_id: 'op-token' });
    const before = (await records()).token_requests.issued;
    await fresh.connectParking('op-token', connectInput('area2', unique('YZ')));
    expect((await records()).token_requests.issued - before).toBe(1);

    // A 401 that persists after the re-mint is reported, not looped on.
    await post('/_faults', { endpoint: 'connect_parking', status: 401, error_id: 'authentication_error', times: 2 });
    const issued = (await records()).token_requests.issued;
    await expectAutopayError(fresh.connectParking('op-token', connectInput('area2', unique('YZ'))), 'authentication_error', false);
    expect((await records()).token_requests.issued - issued).toBe(1);
  });

  it('retries 5xx and timeouts; the retried connect is the same parking', async () => {
    await post('/_faults', { endpoint: 'connect_parking', status: 503, times: 2 });
    const plate = unique('RT');
    await enter('area1', plate);
    const res = await client.connectParking('op-basic', connectInput('area1', plate));
    expect(res.parking_id).toMatch(/^\d{10}$/);

    const slow = newClient({ timeoutMs: 150 });
    await post('/_faults', { endpoint: 'connect_parking', delay_ms: 400, times: 1 });
    const plate2 = unique('TO');
    const input = connectInput('area1', plate2);
    const first = await slow.connectParking('op-basic', input);
    await new Promise((r) => setTimeout(r, 400)); // let the timed-out request finish inside the sandbox
    const all = (await records()).parkings.filter((p) => p.vehicle_reg === plate2);
    expect(all).toHaveLength(1);
    expect(all[0].parking_id).toBe(first.parking_id);

    await post('/_faults', { endpoint: 'token', status: 502, times: 1 });
    await newClient().connectParking('op-key', connectInput('area3', unique('TK')));
  });
});

// ------------------------------------------------------------------ callbacks from the sandbox

describe('Autopay sandbox callbacks', () => {
  async function connectedParking(operator: keyof typeof CREDS, area: string, entry: Record<string, unknown> = {}) {
    const plate = unique('CB');
    await enter(area, plate, entry);
    const input = connectInput(area, plate);
    const res = await client.connectParking(operator, input);
    return { plate, reference: input.reference, parking_id: res.parking_id };
  }

  it.each([
    ['op-basic', 'area1', 'basic'],
    ['op-token', 'area2', 'token'],
    ['op-key', 'area3', 'api_key'],
  ] as const)('%s (%s): camera exit after a 6-hour stay → success callback with %s auth and amounts that add up', async (operator, area, method) => {
    const { plate, parking_id, reference } = await connectedParking(operator, area);
    const exit = await post('/_camera/exit', { vehicle_reg: plate, offset_minutes: 355, wait: true });
    expect(exit.status).toBe(200);

    const calls = receiver.at(`/${method}/ended`).filter((r) => (r.body as { parking_id: string }).parking_id === parking_id);
    expect(calls).toHaveLength(1);
    expect(verifyAutopayCallbackAuth(calls[0].headers, AUTH[method])).toBe(true);
    for (const other of Object.values(AUTH).filter((a) => a !== AUTH[method])) {
      expect(verifyAutopayCallbackAuth(calls[0].headers, other)).toBe(false);
    }
    const parsed = parseAutopaySuccessCallback(calls[0].body);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.reference).toBe(reference);
    // 6 started hours × 12.35 = 74.10 gross; 25 % VAT inside it = 14.82; net = 59.28.
    expect(parsed.value.cost).toEqual({ currency: 'NOK', vat_percent: '25', net_amount: '59.28', vat_amount: '14.82', gross_amount: '74.10' });
    expect(addsUp(parsed.value.cost.net_amount, parsed.value.cost.vat_amount, parsed.value.cost.gross_amount)).toBe(true);
  });

  it('retries a 500 with backoff until the receiver answers 2xx', async () => {
    const { plate, parking_id } = await connectedParking('op-basic', 'area1');
    receiver.script('/basic/ended', [500, 500]);
    const exit = await post('/_camera/exit', { vehicle_reg: plate, wait: true });
    const delivery = (exit.body!.deliveries as { attempts: { status: number }[]; outcome: string }[])[0];
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(delivery.outcome).toBe('delivered');
    expect(receiver.at('/basic/ended').filter((r) => (r.body as { parking_id: string }).parking_id === parking_id)).toHaveLength(3);
  });

  it('stops on 404, and gives up after the configured attempts', async () => {
    const a = await connectedParking('op-basic', 'area1');
    receiver.script('/basic/ended', [404]);
    await post('/_camera/exit', { vehicle_reg: a.plate, wait: true });
    const b = await connectedParking('op-basic', 'area1');
    receiver.script('/basic/ended', [503, 503, 503, 503, 503]);
    await post('/_camera/exit', { parking_id: b.parking_id, end_time: formatAutopayDateTime(new Date(Date.now() + 60_000)), wait: true });
    await sandbox.idle();

    const deliveries = (await records()).deliveries;
    const da = deliveries.find((d) => d.parking_id === a.parking_id)!;
    expect(da.attempts.map((x) => x.status)).toEqual([404]);
    expect(da.outcome).toBe('not_found');
    const db = deliveries.find((d) => d.parking_id === b.parking_id)!;
    expect(db.attempts.map((x) => x.status)).toEqual([503, 503, 503, 503]);
    expect(db.outcome).toBe('gave_up');
    receiver.script('/basic/ended', []);
  });

  it('manual_stop → success callback with our end_time, and a follow-up session Autopay charges itself', async () => {
    const entryMs = Math.floor(Date.now() / 1000) * 1000 - 125 * 60_000;
    const { plate, parking_id, reference } = await connectedParking('op-token', 'area2', { entry_time: new Date(entryMs).toISOString() });
    const endTime = new Date(entryMs + 120 * 60_000);
    await client.manualStop('op-token', { parking_id, reference, end_time: endTime });
    await client.manualStop('op-token', { parking_id, reference, end_time: endTime }); // a retried stop is harmless
    await sandbox.idle();

    const calls = receiver.at('/token/ended').filter((r) => (r.body as { parking_id: string }).parking_id === parking_id);
    expect(calls).toHaveLength(1);
    expect(verifyAutopayCallbackAuth(calls[0].headers, AUTH.token)).toBe(true);
    const parsed = parseAutopaySuccessCallback(calls[0].body);
    expect(parsed.ok && parsed.value.end_time).toBe(endTime.toISOString());
    // 120 minutes → 2 started hours × 12.35.
    expect(parsed.ok && parsed.value.cost.gross_amount).toBe('24.70');

    const mine = sandbox.parkings().filter((p) => p.vehicle_reg === plate);
    const stopped = mine.find((p) => p.parking_id === parking_id)!;
    const followUp = mine.find((p) => p.kind === 'follow_up')!;
    expect(stopped).toMatchObject({ status: 'ended', ended_by: 'manual_stop', charged_by: 'payment_provider', follow_up_id: followUp.parking_id });
    expect(followUp).toMatchObject({ status: 'ongoing', follow_up_of: parking_id, area_code: 'area2' });
    expect(followUp.reference).toBeUndefined();

    // The car leaves later: the follow-up ends and is charged by Autopay, no callback to us.
    const before = receiver.received.length;
    const exit = await post('/_camera/exit', { vehicle_reg: plate, wait: true });
    expect(exit.body!.parking).toMatchObject({ parking_id: followUp.parking_id, status: 'ended', charged_by: 'autopay' });
    expect(exit.body!.deliveries).toEqual([]);
    await sandbox.idle();
    expect(receiver.received.length).toBe(before);

    // Stopping the ended parking again with another end time is refused.
    const again = await expectAutopayError(
      client.manualStop('op-token', { parking_id, reference, end_time: new Date(entryMs + 121 * 60_000) }),
      'server_communication_error',
      false,
    );
    expect(again.message).toContain('Parking already ended');
  });

  it('cancel → cancel callback with the operator’s auth', async () => {
    const { parking_id, reference } = await connectedParking('op-key', 'area3');
    const res = await post('/_cancel', { parking_id, wait: true });
    expect(res.status).toBe(200);
    const calls = receiver.at('/api_key/cancelled').filter((r) => (r.body as { parking_id: string }).parking_id === parking_id);
    expect(calls).toHaveLength(1);
    expect(verifyAutopayCallbackAuth(calls[0].headers, AUTH.api_key)).toBe(true);
    expect(parseAutopayCancelCallback(calls[0].body)).toEqual({ ok: true, value: { parking_id, reference } });
    expect(sandbox.parkings().find((p) => p.parking_id === parking_id)?.status).toBe('cancelled');
  });

  it('GET /_records lists parkings and every delivery attempt', async () => {
    const r = await records();
    expect(r.parkings.length).toBeGreaterThan(0);
    expect(r.deliveries.every((d) => d.attempts.every((a) => typeof a.status === 'number'))).toBe(true);
    expect(r.token_requests.total).toBeGreaterThanOrEqual(r.token_requests.issued);
  });
});
