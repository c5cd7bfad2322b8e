import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { pingDb } from '../../src/db/connection';
import { createProviderClients, netopiaPublicKeyResolver } from '../../src/providers/clients';
import { pingTemporal } from '../../src/temporal/connection';
import { freePort } from '../../src/platform/local-servers';
import { http } from '../helpers/stack';

// Readiness against dependencies that are really down: a Temporal address nobody listens on, no database connection.
let server: Server;
let base: string;
let temporal: Client;

beforeAll(async () => {
  const config = loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
  temporal = new Client({ connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS, connectTimeout: '1s' }) });
  const providers = createProviderClients(config);
  const app = createApp({
    config,
    temporal,
    cardProviders: providers.cardProviders,
    netopiaPublicKeyPem: netopiaPublicKeyResolver(config),
    vipps: providers.vipps,
    ready: async () => ({ temporal: await pingTemporal(temporal), database: await pingDb() }),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('/healthz answers while dependencies are down; /readyz says 503 and which ones', async () => {
  expect((await http('GET', `${base}/healthz`)).status).toBe(200);
  const ready = await http('GET', `${base}/readyz`);
  expect(ready.status).toBe(503);
  expect(ready.body).toMatchObject({ status: 'unavailable', temporal: 'down', database: 'down', down: ['temporal', 'database'] });
});

test('an unknown route is a JSON 404, not an HTML page', async () => {
  const res = await http('GET', `${base}/api/nope`);
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('route_not_found');
});

test('/openapi.json describes the finalize contract from the same zod schemas the route validates with', async () => {
  const res = await http('GET', `${base}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  const finalize = res.body.paths['/api/car_driver/parking_sessions/{id}/finalize'];
  expect(Object.keys(finalize).sort()).toEqual(['patch', 'put']);
  const schema = finalize.put.requestBody.content['application/json'].schema;
  expect(schema.required).toEqual(['parking_session']);
  expect(schema.properties.parking_session.required).toEqual(['secured_parking_id']);
});

test('/docs renders the same document with Swagger UI, its assets served locally', async () => {
  const page = await fetch(`${base}/docs/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('swagger-ui');
  const init = await fetch(`${base}/docs/swagger-ui-init.js`);
  expect(init.status).toBe(200);
  expect(await init.text()).toContain('"operationId": "getApiOpsSessions"');
});
