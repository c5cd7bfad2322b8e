/**
 * Bounded provider calls over real loopback HTTP: the deadline turns a provider that never answers into
 * ProviderUnavailable, quick retries cover 5xx, refusals are not retried, and the client's breaker fails fast.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { BoundedHttp } from '../../../src/providers/bounded-http';
import { ProviderRefusal, ProviderUnavailable } from '../../../src/providers/card-provider';
import { NetopiaClient } from '../../../src/providers/netopia/client';

let server: Server;
let base = '';
const hits = new Map<string, number>();
let failFirst = 0;
const held: express.Response[] = [];

beforeAll(async () => {
  const app = express();
  app.use((req, _res, next) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1);
    next();
  });
  app.use('/hang', (_req, res) => void held.push(res)); // never answers
  app.use('/503', (_req, res) => void res.status(503).json({ error: 'down' }));
  app.use('/400', (_req, res) => void res.status(400).json({ error: 'no' }));
  app.use('/flaky', (_req, res) => {
    if (failFirst > 0) {
      failFirst--;
      return void res.status(502).send('bad gateway');
    }
    res.json({ ok: true });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => hits.clear());

describe('BoundedHttp', () => {
  it('a provider that never answers is ProviderUnavailable once the deadline has passed, after at most 3 attempts', async () => {
    const http = new BoundedHttp('p', { deadlineMs: 600, attemptTimeoutMs: 150, retryBaseMs: 10 });
    const err: unknown = await http.send({ method: 'POST', url: `${base}/hang`, body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect((err as Error).message).toContain('no answer within 600 ms');
    expect(hits.get('/hang')).toBeGreaterThanOrEqual(1);
    expect(hits.get('/hang')).toBeLessThanOrEqual(3);
  });

  it('an attempt never outlives the deadline, even with a longer attempt timeout', async () => {
    const http = new BoundedHttp('p', { deadlineMs: 300, attemptTimeoutMs: 60_000, retries: 2 });
    await expect(http.send({ method: 'GET', url: `${base}/hang` })).rejects.toBeInstanceOf(ProviderUnavailable);
    // The one attempt took the whole deadline: no time was left to retry.
    expect(hits.get('/hang')).toBe(1);
  });

  it('retries 5xx quickly and answers with the first good response', async () => {
    failFirst = 2;
    const http = new BoundedHttp('p', { retryBaseMs: 5 });
    const res = await http.send({ method: 'GET', url: `${base}/flaky` });
    expect(res.status).toBe(200);
    expect(hits.get('/flaky')).toBe(3);
  });

  it('makes at most 2 retries, whatever is configured', async () => {
    const http = new BoundedHttp('p', { retries: 10, retryBaseMs: 5 });
    expect((await http.send({ method: 'GET', url: `${base}/503` })).status).toBe(503);
    expect(hits.get('/503')).toBe(3);
  });

  it('does not retry a 4xx answer', async () => {
    const http = new BoundedHttp('p', { retryBaseMs: 5 });
    expect((await http.send({ method: 'GET', url: `${base}/400` })).status).toBe(400);
    expect(hits.get('/400')).toBe(1);
  });

  it('opens the breaker after consecutive failures: the next call fails fast without reaching the provider', async () => {
    const http = new BoundedHttp('p', { retries: 0, breaker: { failureThreshold: 2, coolDownMs: 60_000 } });
    await http.send({ method: 'GET', url: `${base}/503` });
    await http.send({ method: 'GET', url: `${base}/503` });
    await expect(http.send({ method: 'GET', url: `${base}/flaky` })).rejects.toMatchObject({ name: 'ProviderUnavailable', message: 'circuit open' });
    expect(hits.get('/flaky')).toBeUndefined();
  });
});

describe('a card client on BoundedHttp', () => {
  const client = (path: string, extra: Partial<ConstructorParameters<typeof NetopiaClient>[0]> = {}) =>
    new NetopiaClient({ baseUrl: `${base}${path}`, apiKey: 'k', posSignature: 'p', retryBaseMs: 5, ...extra });

  it('5xx after the quick retries is ProviderUnavailable; a 4xx is ProviderRefusal and is sent once', async () => {
    await expect(client('/503').status('o', 'n')).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(hits.get('/503/operation/status')).toBe(3);
    await expect(client('/400').status('o', 'n')).rejects.toBeInstanceOf(ProviderRefusal);
    expect(hits.get('/400/operation/status')).toBe(1);
  });

  it('a hung provider is ProviderUnavailable within the configured deadline', async () => {
    await expect(client('/hang', { deadlineMs: 400, timeoutMs: 100 }).status('o', 'n')).rejects.toBeInstanceOf(ProviderUnavailable);
  });

  it('each client has its own breaker: refusals never open it', async () => {
    const c = client('/400', { breaker: { failureThreshold: 1 } });
    for (let i = 0; i < 3; i++) await expect(c.status('o', 'n')).rejects.toBeInstanceOf(ProviderRefusal);
    expect(c.http.breaker.state).toBe('closed');
    const d = client('/503', { retries: 0, breaker: { failureThreshold: 1 } });
    await expect(d.status('o', 'n')).rejects.toMatchObject({ message: '/operation/status answered HTTP 503' });
    await expect(d.status('o', 'n')).rejects.toMatchObject({ message: 'circuit open' });
  });
});
