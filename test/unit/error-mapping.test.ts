/**
 * Workflow failures reach the API as typed client errors; each gets its own answer, and none is a 500. The client
 * reports every query the worker failed (a workflow whose task fails) as QueryNotRegisteredError.
 */
import express from 'express';
import type { Server } from 'node:http';
import { QueryNotRegisteredError, WorkflowNotFoundError } from '@temporalio/client';
import { errorHandler } from '../../src/api/errors';

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.get('/query-failed', () => {
    throw new QueryNotRegisteredError('Fatal error in workflow machines', 3);
  });
  app.get('/gone', () => {
    throw new WorkflowNotFoundError('not found', 'parking-session-1', undefined);
  });
  app.get('/bug', () => {
    throw new Error('a real fault');
  });
  app.use(errorHandler);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a query the worker failed answers 503 workflow_unavailable with Retry-After', async () => {
  const res = await fetch(`${base}/query-failed`);
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('5');
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('workflow_unavailable');
  expect(body.error.message).not.toContain('Fatal error'); // the worker's words stay in the log
});

test('a workflow that does not exist is 404, and only a real fault is 500', async () => {
  expect((await fetch(`${base}/gone`)).status).toBe(404);
  expect((await fetch(`${base}/bug`)).status).toBe(500);
});
