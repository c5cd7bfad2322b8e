/**
 * Temporal's OpenTelemetry interceptors, wired the way the SDK's plugin does it but for a pre-built workflow
 * bundle: client calls (start, signal, update) open a span and pass its context in the headers; the workflow
 * interceptors (bundled, deterministic: the package's workflow half is made for the sandbox) continue it and send
 * their spans out through the `exporter` sink; activities continue it again. With tracing off every tracer is a
 * no-op and the sink drops what it gets, so the bundle is the same either way.
 */
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { startTracing, tracing } from './tracing';

export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export function clientInterceptors() {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

export const otelActivityInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

export function workflowSpanSinks(): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  const t = tracing() ?? startTracing('parking-worker');
  return { exporter: makeWorkflowExporter(t.spanProcessor, t.resource) };
}
