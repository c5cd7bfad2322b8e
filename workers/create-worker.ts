import type { DataConverter, Duration } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { observabilityActivityInterceptor } from '../src/observability/activity-interceptor';
import { componentLogger } from '../src/observability/logger';
import { tracingEnabled } from '../src/observability/tracing';
import { otelActivityInterceptor, WORKFLOW_INTERCEPTOR_MODULES, workflowSpanSinks } from '../src/observability/temporal-interceptors';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles workflows/ (webpack): once per process here, or ahead of time by workers/build-workflow-bundle.ts. */
export function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // Tracing's workflow half only when tracing is on: it issues no commands (histories replay with or without it),
    // and on the time-skipping test server it held every time skip for about a minute.
    workflowInterceptorModules: tracingEnabled() ? WORKFLOW_INTERCEPTOR_MODULES : [],
    logger: quietBundlerLogger,
  });
}

/** The bundle, built once per process (webpack takes seconds; tests start several workers). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= buildWorkflowBundle();
  return bundle;
}

/** What a replay worker needs besides histories: the bundle and the sink its tracing interceptors call. */
export async function replayWorkerOptions() {
  return { workflowBundle: await workflowBundle(), sinks: workflowSpanSinks() };
}

const noop = () => undefined;
const bundlerLog = componentLogger('bundler');
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (message: string, meta?: object) => bundlerLog.error(meta ?? {}, message), log: noop };

/** In-flight activities get this long on shutdown (SIGTERM) before they are cancelled; tests stop at once. */
const DEFAULT_SHUTDOWN_GRACE_TIME = 0;

/** How much one worker process takes on at once (from the WORKER_* configuration; SDK defaults when absent). */
export interface WorkerSizing {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
}

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** The product's encrypting converter (src/codec/data-converter.ts): clients and workers must share it. */
  dataConverter: DataConverter;
  shutdownGraceTime?: Duration;
  sizing?: WorkerSizing;
  /** WORKFLOW_BUNDLE_PATH: a bundle built ahead, loaded instead of bundling here. */
  bundlePath?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.bundlePath ? { codePath: opts.bundlePath } : await workflowBundle(),
    activities: opts.activities,
    dataConverter: opts.dataConverter,
    shutdownGraceTime: opts.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
    interceptors: { activity: [otelActivityInterceptor, observabilityActivityInterceptor] },
    sinks: workflowSpanSinks(),
    ...opts.sizing,
  });
}
