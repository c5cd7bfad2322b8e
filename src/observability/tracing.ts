/**
 * OpenTelemetry for one process. Off unless the standard variables ask for it (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER=otlp); the OTLP/HTTP exporter then reads the rest
 * (headers, timeouts, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*) itself.
 *
 * Must be started before express and node:http are loaded (entry points import ./tracing-bootstrap first): the
 * instrumentations patch those modules as they are required. The Temporal interceptors carry the context from the
 * API's client call into the workflow and its activities; provider calls continue it (src/providers/http.ts).
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  enabled: boolean;
  resource: Resource;
  /** Where workflow spans go (the worker's `exporter` sink): the provider's processor, or a no-op when off. */
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined && exporter !== '') return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let current: Tracing | undefined;

/** Starts tracing once per process (later calls answer the first one); `spanProcessor` replaces OTLP (tests). */
export function startTracing(serviceName: string, opts: { env?: NodeJS.ProcessEnv; spanProcessor?: SpanProcessor } = {}): Tracing {
  if (current) return current;
  const env = opts.env ?? process.env;
  // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: serviceName })).merge(envDetectorSync.detect());
  if (!opts.spanProcessor && !tracingEnabled(env)) {
    current = { enabled: false, resource, spanProcessor: new NoopSpanProcessor(), shutdown: async () => undefined };
    return current;
  }
  const spanProcessor = opts.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not traffic worth a trace.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ''),
      }),
      new ExpressInstrumentation(),
    ],
  });
  current = { enabled: true, resource, spanProcessor, shutdown: () => provider.shutdown() };
  return current;
}

export function tracing(): Tracing | undefined {
  return current;
}

export function tracer(): Tracer {
  return trace.getTracer('parking-payment-engine');
}
