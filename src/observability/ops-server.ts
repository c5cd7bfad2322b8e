/**
 * A tiny HTTP server beside the product's own ports, for scrapers and orchestrators only: GET /metrics (this
 * process's prom-client registry) and GET /healthz. Kept off the public API port so that neither metrics nor
 * health detail are reachable from the internet; publish it only on the private network.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { componentLogger } from './logger';
import { collectProcessMetrics, registry } from './metrics';

export interface HealthReport {
  ok: boolean;
  [key: string]: unknown;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

const log = componentLogger('ops-server');

export async function startOpsServer(opts: { port: number; host?: string; health?: () => Promise<HealthReport> }): Promise<OpsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return answer(405, 'application/json', JSON.stringify({ error: 'method_not_allowed' }));
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => answer(200, registry.contentType, text),
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          answer(500, 'application/json', JSON.stringify({ error: 'metrics_failed' }));
        },
      );
      return;
    }
    if (path === '/healthz') {
      const health = opts.health ?? (async () => ({ ok: true }));
      health().then(
        (report) => answer(report.ok ? 200 : 503, 'application/json', JSON.stringify({ status: report.ok ? 'ok' : 'unhealthy', ...report })),
        (err: unknown) => answer(503, 'application/json', JSON.stringify({ status: 'unhealthy', error: String((err as Error).message ?? err) })),
      );
      return;
    }
    answer(404, 'application/json', JSON.stringify({ error: 'not_found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
