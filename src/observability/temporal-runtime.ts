/**
 * The worker process's Temporal Runtime: the SDK's logger is ours (so workflow `log.*` calls, which the SDK routes
 * through the runtime logger by a built-in sink, and activity `Context.log` come out as our JSON lines with their
 * workflow id, run id and activity), Core's own logs are forwarded to it, and the SDK's metrics are exported for
 * Prometheus on WORKER_METRICS_PORT. Must run before the first NativeConnection.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { componentLogger } from './logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's Logger interface over pino. Workflow and activity metadata (workflowId, runId, ...) become fields. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pino: Logger = componentLogger('temporal')) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const fields: Record<string, unknown> = {};
    // The SDK's camelCase metadata keys match ours (workflowId, runId, activityType); keep them as they are.
    for (const [k, v] of Object.entries(meta ?? {})) fields[k] = v;
    this.pino[PINO_LEVEL[level]](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Installs the runtime once per process; metricsPort 0 leaves the SDK's Prometheus exporter off. */
export function installTemporalRuntime(opts: { metricsPort: number; host?: string }): void {
  Runtime.install({
    logger: new PinoTemporalLogger(),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(opts.metricsPort > 0 ? { metrics: { prometheus: { bindAddress: `${opts.host ?? '0.0.0.0'}:${opts.metricsPort}` } } } : {}),
    },
  });
}
