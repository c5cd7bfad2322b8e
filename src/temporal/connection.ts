import type { DataConverter } from '@temporalio/common';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, makeGrpcRetryInterceptor, defaultGrpcRetryOptions } from '@temporalio/client';
import { clientInterceptors } from '../observability/temporal-interceptors';

/** Calls the server holds open until something happens (results, update outcomes): they get the longer wait budget. */
const WAITING_METHODS = /\/(GetWorkflowExecutionHistory|PollWorkflowExecutionUpdate|UpdateWorkflowExecution|ExecuteMultiOperation)$/;

export interface TemporalDeadlines {
  /** Every ordinary call (start, signal, query, describe). */
  rpcMs: number;
  /** Calls that wait for a workflow or an update to finish. */
  waitMs: number;
}

/**
 * A deadline on every call that does not carry one (`connection.withDeadline` still wins). Without it a dead
 * server makes each call retry UNAVAILABLE with backoff for up to a minute; with it the retries stop at the
 * deadline and the API answers 503 at once. It must come before the retry interceptor, so that all retries
 * of one call share one deadline.
 */
export function deadlineInterceptor(deadlines: TemporalDeadlines): Interceptor {
  return (options, nextCall) => {
    if (options.deadline !== undefined) return new InterceptingCall(nextCall(options));
    const ms = WAITING_METHODS.test(options.method_definition.path) ? deadlines.waitMs : deadlines.rpcMs;
    return new InterceptingCall(nextCall({ ...options, deadline: Date.now() + ms }));
  };
}

/**
 * Five attempts back off for about 2 s in all (the default ten wait up to 20 s, the last ones sleeping past
 * any deadline): a refused connection is reported soon, a hung one at the deadline.
 */
const RETRY_ATTEMPTS = 5;

export async function connectTemporal(address: string, namespace: string, deadlines?: TemporalDeadlines, dataConverter?: DataConverter): Promise<Client> {
  const interceptors = deadlines ? [deadlineInterceptor(deadlines), makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: RETRY_ATTEMPTS }))] : undefined;
  const connection = await Connection.connect({ address, connectTimeout: '10s', interceptors });
  // Tracing: the span of the API call goes with start/signal/update into the workflow (a no-op with tracing off).
  return new Client({ connection, namespace, interceptors: clientInterceptors(), dataConverter });
}

/** Readiness: the frontend answers a cheap call within 2 s (probes must not hang on a dead server). */
export async function pingTemporal(client: Client, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = client.connection.workflowService.getSystemInfo({}).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
