import type { Duration } from '@temporalio/common';
import { z } from 'zod';

/**
 * The observability part of the environment, merged into src/config.ts's schema. Ports set to 0 turn that
 * listener off. OpenTelemetry is configured by the standard OTEL_* variables, read by the OTel SDK itself
 * (see tracing.ts), so they are not repeated here.
 */
const port = z.coerce.number().int().min(0).max(65535);

export const OBSERVABILITY_ENV = {
  /** pino level; the tests default to warn so that jest's output stays readable. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** json (one object per line) or pretty; default pretty on a terminal outside production, json otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** The API's Prometheus /metrics, on a port of its own (never the public one): scrape it from the private network. */
  API_METRICS_PORT: port.default(9091),
  /** The Temporal SDK's own Prometheus exporter (worker, pollers, task latencies): GET /metrics. */
  WORKER_METRICS_PORT: port.default(9464),
  /** The worker's GET /healthz (worker state, Temporal reachable) and business metrics at GET /metrics. */
  WORKER_HEALTH_PORT: port.default(9465),
  /** On SIGTERM in-flight activities get this long to finish before they are cancelled (ms or an ms-format string). */
  WORKER_SHUTDOWN_GRACE_TIME: z.string().regex(/^\d+(ms|s|m)?$/, 'a duration like 30s, 500ms or 30000').default('30s'),
} as const;

export type ObservabilityEnv = { [K in keyof typeof OBSERVABILITY_ENV]: z.infer<(typeof OBSERVABILITY_ENV)[K]> };

/** '30s' → '30s', '30000' → 30000 (ms): the SDK's Duration accepts both. */
export function graceTime(value: string): Duration {
  // The schema's regex admits only what ms() parses.
  return /^\d+$/.test(value) ? Number(value) : (value as Duration);
}
