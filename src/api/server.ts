import type { Server } from 'node:http';
import type { Config } from '../config';
import { pingDb } from '../db/connection';
import { createProviderClients, netopiaPublicKeyResolver } from '../providers/clients';
import { connectTemporal, pingTemporal } from '../temporal/connection';
import { encryptingDataConverter } from '../codec/data-converter';
import { createApp } from './app';

/** Starts the API on config.PORT (0 for a free port); returns the server and its base URL. */
export async function startApi(config: Config): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const temporal = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE, {
    rpcMs: config.TEMPORAL_RPC_TIMEOUT_MS,
    waitMs: config.TEMPORAL_WAIT_TIMEOUT_MS,
  }, encryptingDataConverter(config));
  const providers = createProviderClients(config);
  const app = createApp({
    config,
    temporal,
    cardProviders: providers.cardProviders,
    netopiaPublicKeyPem: netopiaPublicKeyResolver(config),
    vipps: providers.vipps,
    ready: async () => ({ temporal: await pingTemporal(temporal), database: await pingDb() }),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.PORT, '0.0.0.0', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await temporal.connection.close();
    },
  };
}
