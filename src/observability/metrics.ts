/**
 * Business metrics (prom-client), one registry per process. The API counts requests and provider callbacks; the
 * worker counts what its activities did (activity-metrics.ts) and provider calls (bounded-http.ts). Counters are
 * at-least-once: an activity retried after it succeeded (its completion lost) counts twice.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

let processMetrics = false;
/** Node process metrics (CPU, memory, event loop lag, GC): only in a process that serves /metrics, as they keep observers running. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

export const sessionsStarted = new Counter({
  name: 'parking_sessions_started_total',
  help: 'Parking sessions started, by kind (barrier, anpr).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const sessionsClosed = new Counter({
  name: 'parking_sessions_closed_total',
  help: 'Parking sessions that reached a terminal state, by kind and state (closed, cancelled, expired).',
  labelNames: ['kind', 'state'] as const,
  registers: [registry],
});

export const payments = new Counter({
  name: 'parking_payments_total',
  help: 'Payment events booked in the ledger, by provider and event (started, captured, declined, refunded).',
  labelNames: ['provider', 'event'] as const,
  registers: [registry],
});

export const vippsCharges = new Counter({
  name: 'parking_vipps_charges_total',
  help: 'Vipps recurring charges booked, by status (charged, failed).',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const providerCallDuration = new Histogram({
  name: 'parking_provider_call_duration_seconds',
  help: 'Outgoing provider calls (one call = all its quick retries), by provider and outcome (ok, refused, unavailable).',
  labelNames: ['provider', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const providerCallErrors = new Counter({
  name: 'parking_provider_call_errors_total',
  help: 'Failed attempts of outgoing provider calls, by provider and reason (transport, status_5xx, status_429, status_408, circuit_open).',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

export const callbacks = new Counter({
  name: 'parking_provider_callbacks_total',
  help: 'Provider callbacks received by the API (IPN, webhooks, returns), by provider and outcome (accepted, rejected, failed).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const httpRequests = new Histogram({
  name: 'parking_http_request_duration_seconds',
  help: 'API requests by method, route pattern and status class.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
  registers: [registry],
});

export const reconciliationDifferences = new Gauge({
  name: 'parking_reconciliation_differences',
  help: 'Ledger vs provider differences found by the last daily reconciliation run, by provider and code.',
  labelNames: ['provider', 'code'] as const,
  registers: [registry],
});

export const reconciliationOrdersChecked = new Gauge({
  name: 'parking_reconciliation_orders_checked',
  help: 'Card orders compared with their providers by the last daily reconciliation run.',
  registers: [registry],
});

const CALLBACK_ROUTE = /^\/api\/providers\/([a-z]+)\//;

export function observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
  httpRequests.observe({ method, route, status: `${Math.floor(status / 100)}xx` }, seconds);
  const callback = CALLBACK_ROUTE.exec(route);
  if (callback) callbacks.inc({ provider: callback[1], outcome: status < 400 ? 'accepted' : status < 500 ? 'rejected' : 'failed' });
}

/** Sessions needing a person, counted from the read model on each scrape (bounded: a slow database answers nothing). */
export function registerAttentionGauge(count: () => Promise<number>): void {
  if (registry.getSingleMetric('parking_attention_sessions_open')) return;
  new Gauge({
    name: 'parking_attention_sessions_open',
    help: 'Open sessions with an attention flag (ops must act), from the read model at scrape time.',
    registers: [registry],
    async collect() {
      this.set(await count().catch(() => Number.NaN));
    },
  });
}
