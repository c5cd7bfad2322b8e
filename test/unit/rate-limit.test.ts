import express from 'express';
import type { Server } from 'node:http';
import { errorHandler, unauthorized } from '../../src/api/errors';
import { authFailureLimit, rateLimit } from '../../src/api/rate-limit';

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(authFailureLimit({ max: 3 }));
  app.get('/pay', rateLimit({ name: 'the pay page', max: 2 }), (_req, res) => void res.send('ok'));
  app.get('/other', rateLimit({ name: 'another page', max: 2 }), (_req, res) => void res.send('ok'));
  app.get('/login', (req) => {
    if (req.query.ok !== '1') throw unauthorized('wrong password');
  });
  app.get('/open', (_req, res) => void res.send('open'));
  app.use(errorHandler);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a route limit answers 429 with Retry-After and a JSON code once the window is used up, per route', async () => {
  expect((await fetch(`${base}/pay`)).status).toBe(200);
  expect((await fetch(`${base}/pay`)).status).toBe(200);
  const limited = await fetch(`${base}/pay`);
  expect(limited.status).toBe(429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await limited.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('rate_limited');
  // another route has its own window
  expect((await fetch(`${base}/other`)).status).toBe(200);
});

test('failed authentications are counted per IP; past the limit every request is refused with 429', async () => {
  for (let i = 0; i < 3; i++) expect((await fetch(`${base}/login`)).status).toBe(401);
  const blocked = await fetch(`${base}/open`);
  expect(blocked.status).toBe(429);
  expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  // also the right password: guessing gets no more tries in this window
  expect((await fetch(`${base}/login?ok=1`)).status).toBe(429);
});
