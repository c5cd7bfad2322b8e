/**
 * EasyPark Fleet: the parkingTransaction payload validation, webhook authentication, and the sandbox sender's
 * delivery rule (4xx/5xx retried, 409 = duplicate = done) over real loopback HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import {
  EASYPARK_SAMPLE_TRANSACTION as SAMPLE,
  checkTransactionAmounts,
  parseEasyParkDate,
  parseParkingTransaction,
} from '../../../src/providers/easypark/wire';
import { easyParkBasicAuthHeader, verifyEasyParkApiKey, verifyEasyParkBasicAuth } from '../../../src/providers/easypark/inbound';
import { createEasyParkSandbox, type EasyParkSandbox, type WebhookDelivery } from '../../../sandbox/easypark/sandbox';

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

const fieldsOf = (body: unknown) => {
  const r = parseParkingTransaction(body);
  return r.ok ? [] : r.errors.map((e) => e.field);
};

// ------------------------------------------------------------------ payload

describe('EasyPark parkingTransaction payload', () => {
  it('parses the seed sample, amounts as exact decimal strings', () => {
    const r = parseParkingTransaction(SAMPLE);
    expect(r).toEqual({
      ok: true,
      value: {
        ...SAMPLE,
        price: '22.45',
        priceVatAmount: '4.49',
        priceExclusiveVatAmount: '17.96',
        transactionFeeExclusiveVatAmount: '3.96',
        transactionFeeVatAmount: '0.99',
        transactionFee: '4.95',
      },
    });
  });

  it.each(Object.keys(SAMPLE))('missing %s → an error naming that field', (field) => {
    const body: Record<string, unknown> = { ...SAMPLE };
    delete body[field];
    const r = parseParkingTransaction(body);
    expect(r).toEqual({ ok: false, errors: [{ field, message: `${field} is required` }] });
  });

  const malformed: [string, unknown][] = [
    ['parkingId', '2791368361'],
    ['parkingId', 1.5],
    ['parkingId', 0],
    ['parkingId', 2 ** 53],
    ['parkingUserId', -8993734],
    ['parkingAreaId', null],
    ['parkingOperatorId', true],
    ['licenseNumber', 123],
    ['licenseNumber', ''],
    ['parkingAreaName', 291048],
    ['parkingOperatorName', {}],
    ['startDate', '2025-12-04 12:02:37Z'],
    ['startDate', '2025-12-04T12:02:37.123Z'],
    ['startDate', '2025-12-04T12:02:37'],
    ['startDate', '2025-13-04T12:02:37Z'],
    ['endDate', '2025-02-30T13:12:00Z'],
    ['endDate', 1764853920],
    ['price', '22.45'],
    ['price', -22.45],
    ['priceVatAmount', 4.499],
    ['priceExclusiveVatAmount', null],
    ['transactionFee', '4.95'],
    ['transactionFeeVatAmount', -0.99],
    ['transactionFeeExclusiveVatAmount', 3.961],
    ['currency', 'sek'],
    ['currency', 'SEKK'],
    ['currency', 752],
  ];
  it.each(malformed)('malformed %s (%j) → an error naming that field', (field, value) => {
    const r = parseParkingTransaction({ ...SAMPLE, [field]: value });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field)).toEqual([field]);
    expect(r.errors[0].message.startsWith(field)).toBe(true);
  });

  it('accepts every offset form of yyyy-MM-dd\'T\'HH:mm:ssX', () => {
    for (const startDate of ['2025-12-04T13:02:37+01', '2025-12-04T13:02:37+0100', '2025-12-04T13:02:37+01:00', '2025-12-04T07:02:37-05:00']) {
      expect(fieldsOf({ ...SAMPLE, startDate })).toEqual([]);
      expect(parseEasyParkDate(startDate)?.toISOString()).toBe('2025-12-04T12:02:37.000Z');
    }
  });

  it('rejects price and fee whose exclusive + VAT do not equal the total, exactly', () => {
    const r = parseParkingTransaction({ ...SAMPLE, priceVatAmount: 4.5, transactionFee: 4.94 });
    expect(r).toEqual({
      ok: false,
      errors: [
        { field: 'price', message: 'price 22.45 must equal priceExclusiveVatAmount 17.96 + priceVatAmount 4.50 = 22.46' },
        { field: 'transactionFee', message: 'transactionFee 4.94 must equal transactionFeeExclusiveVatAmount 3.96 + transactionFeeVatAmount 0.99 = 4.95' },
      ],
    });
    // 0.1 + 0.2 = 0.3 holds in decimals even though it does not in floats.
    expect(fieldsOf({ ...SAMPLE, price: 0.3, priceExclusiveVatAmount: 0.1, priceVatAmount: 0.2 })).toEqual([]);
    expect(checkTransactionAmounts({ ...SAMPLE, price: '22.45', priceVatAmount: '4.49', priceExclusiveVatAmount: '17.96' })).toEqual([]);
  });

  it('rejects an end before the start, and bodies that are not objects', () => {
    expect(fieldsOf({ ...SAMPLE, endDate: '2025-12-04T12:00:00Z' })).toEqual(['endDate']);
    expect(parseParkingTransaction([SAMPLE])).toEqual({ ok: false, errors: [{ field: '(body)', message: 'body must be a JSON object' }] });
    expect(fieldsOf('nope')).toEqual(['(body)']);
    expect(fieldsOf(null)).toEqual(['(body)']);
  });

  it('ignores fields it does not know (EasyPark may add some)', () => {
    const r = parseParkingTransaction({ ...SAMPLE, somethingNew: 1 });
    expect(r.ok && 'somethingNew' in r.value).toBe(false);
  });
});

// ------------------------------------------------------------------ authentication

describe('EasyPark webhook authentication', () => {
  const creds = { username: 'demo-fleet', password: 'demo-easypark-password' };

  it('Basic: right, wrong, missing, malformed', () => {
    expect(verifyEasyParkBasicAuth(easyParkBasicAuthHeader(creds), creds)).toBe(true);
    expect(verifyEasyParkBasicAuth(`basic ${Buffer.from('demo-fleet:demo-easypark-password').toString('base64')}`, creds)).toBe(true);
    expect(verifyEasyParkBasicAuth(easyParkBasicAuthHeader({ ...creds, password: 'wrong' }), creds)).toBe(false);
    expect(verifyEasyParkBasicAuth(easyParkBasicAuthHeader({ ...creds, username: 'other' }), creds)).toBe(false);
    expect(verifyEasyParkBasicAuth(undefined, creds)).toBe(false);
    expect(verifyEasyParkBasicAuth('', creds)).toBe(false);
    expect(verifyEasyParkBasicAuth('Bearer demo-easypark-password', creds)).toBe(false);
    expect(verifyEasyParkBasicAuth('Basic', creds)).toBe(false);
  });

  it('API key in the agreed header', () => {
    const config = { headerName: 'X-EasyPark-Key', key: 'ep-key-123' };
    expect(verifyEasyParkApiKey({ 'x-easypark-key': 'ep-key-123' }, config)).toBe(true);
    expect(verifyEasyParkApiKey({ 'x-easypark-key': 'ep-key-124' }, config)).toBe(false);
    expect(verifyEasyParkApiKey({ 'x-api-key': 'ep-key-123' }, config)).toBe(false);
    expect(verifyEasyParkApiKey({ 'x-easypark-key': ['ep-key-123', 'ep-key-123'] }, config)).toBe(false);
    expect(verifyEasyParkApiKey({}, config)).toBe(false);
  });
});

// ------------------------------------------------------------------ sandbox sender

describe('EasyPark sandbox sender', () => {
  const creds = { username: 'demo-fleet', password: 'demo-easypark-password' };
  const PATH = '/api/providers/easypark/parking-transactions';
  const statuses: number[] = [];
  const received: { authorized: boolean; body: unknown }[] = [];
  let api: Awaited<ReturnType<typeof listen>>;
  let sandboxServer: Awaited<ReturnType<typeof listen>>;
  let sandbox: EasyParkSandbox;
  let base: string;

  beforeAll(async () => {
    // Stands in for our API: checks Basic auth and answers from a status script (then 200).
    const app = express();
    app.use(express.json());
    app.post(PATH, (req, res) => {
      const authorized = verifyEasyParkBasicAuth(req.get('authorization'), creds);
      received.push({ authorized, body: req.body });
      res.status(authorized ? (statuses.shift() ?? 200) : 401).end();
    });
    api = await listen(app);
    sandbox = createEasyParkSandbox({ sandboxBaseUrl: 'http://unused', apiBaseUrl: api.url, log: () => {} }, { ...creds, retryMs: 10, maxAttempts: 4 });
    const sb = express();
    sb.use('/easypark', sandbox.router);
    sandboxServer = await listen(sb);
    base = `${sandboxServer.url}/easypark`;
  });

  afterAll(async () => {
    sandbox.close();
    await sandboxServer.close();
    await api.close();
  });

  beforeEach(() => {
    statuses.length = 0;
    received.length = 0;
  });

  async function send(body?: unknown): Promise<WebhookDelivery> {
    const res = await fetch(`${base}/_send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as WebhookDelivery;
  }

  it('sends the seed sample with Basic auth to /api/providers/easypark/parking-transactions', async () => {
    const d = await send();
    expect(d.url).toBe(`${api.url}${PATH}`);
    expect(d.outcome).toBe('accepted');
    expect(d.attempts.map((a) => a.status)).toEqual([200]);
    expect(received).toEqual([{ authorized: true, body: SAMPLE }]);
  });

  it('retries a 500 until accepted', async () => {
    statuses.push(500, 500);
    const d = await send();
    expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(d.outcome).toBe('accepted');
    expect(received).toHaveLength(3);
  });

  it('stops on 409 (duplicate counts as processed)', async () => {
    statuses.push(409);
    const d = await send();
    expect(d.attempts.map((a) => a.status)).toEqual([409]);
    expect(d.outcome).toBe('duplicate');
  });

  it('retries 4xx too, and gives up after maxAttempts', async () => {
    statuses.push(400, 422, 503, 400, 400);
    const d = await send();
    expect(d.attempts.map((a) => a.status)).toEqual([400, 422, 503, 400]);
    expect(d.outcome).toBe('gave_up');
  });

  it('generate → a fresh transaction that parses and adds up; overrides apply, null removes a field', async () => {
    const a = await send({ generate: true });
    const b = await send({ generate: true, licenseNumber: 'XYZ987' });
    const pa = parseParkingTransaction(a.payload);
    const pb = parseParkingTransaction(b.payload);
    expect(pa.ok && pb.ok).toBe(true);
    expect(a.payload.parkingId).not.toBe(b.payload.parkingId);
    expect(b.payload.licenseNumber).toBe('XYZ987');

    const c = await send({ currency: null });
    expect('currency' in c.payload).toBe(false);
    expect(fieldsOf(received.at(-1)!.body)).toEqual(['currency']);
  });

  it('GET /_records and sent() list every delivery', async () => {
    await send();
    const records = (await (await fetch(`${base}/_records`)).json()) as { deliveries: WebhookDelivery[] };
    expect(records.deliveries.length).toBe(sandbox.sent().length);
    expect(records.deliveries.length).toBeGreaterThanOrEqual(8);
  });
});
