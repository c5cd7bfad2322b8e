import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/**
 * Temporal could not be reached in time: the server is down, or the call ran past its deadline. The client
 * wraps the gRPC error (ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError), so the cause chain is searched.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    const { code, metadata } = e as { code?: unknown; metadata?: unknown };
    // A gRPC status error carries metadata next to its numeric code (a Mongo error's code is not one).
    if (metadata !== undefined && (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
