import type { ErrorRequestHandler, RequestHandler } from 'express';
import { QueryNotRegisteredError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ZodError } from 'zod';
import { isDbUnavailable } from '../db/connection';
import { netopiaIpnReply } from '../providers/netopia/inbound';
import { isTemporalUnavailable } from '../temporal/unavailable';
import { routeOf } from '../observability/http-context';
import { componentLogger } from '../observability/logger';

const log = componentLogger('api');

/** Every client error the API answers: status, machine-readable code, message, optional details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'bad_request', message, details);
export const unauthorized = (message = 'missing or invalid credentials') => new ApiError(401, 'unauthorized', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const unprocessable = (message: string, details?: unknown) => new ApiError(422, 'unprocessable', message, details);
export const conflict = (code: string, message: string, details?: unknown) => new ApiError(409, code, message, details);
/** A dependency is down: the client should come back after Retry-After seconds. */
export const unavailable = (what: string) => new ApiError(503, 'unavailable', `${what} is temporarily unavailable, retry later`);
export const RETRY_AFTER_SECONDS = 5;

/** Dependency outages as the API answers them, or null when the error is something else. */
export function dependencyError(err: unknown): ApiError | null {
  if (isTemporalUnavailable(err)) return unavailable('the workflow engine');
  if (isDbUnavailable(err)) return unavailable('the database');
  return null;
}

/** The innermost message of a rejected workflow update: the validator's or handler's own words. */
export function updateRejection(err: WorkflowUpdateFailedError): string {
  let e: unknown = err.cause;
  let message = err.message;
  while (e && typeof e === 'object') {
    const m = (e as { message?: string }).message;
    if (m) message = m;
    e = (e as { cause?: unknown }).cause;
  }
  return message;
}

/** The failure type the workflow refused an update with (ApplicationFailure.type), e.g. ProviderUnavailable. */
export function updateRejectionType(err: WorkflowUpdateFailedError): string | undefined {
  const cause = err.cause as { type?: unknown } | undefined;
  return typeof cause?.type === 'string' ? cause.type : undefined;
}

export function zodDetails(err: ZodError): Array<{ field: string; message: string }> {
  return err.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

/** Maps anything thrown in a route to one JSON error shape; only real faults become 500. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  // Autopay expects its own error shape from our callbacks, also for bodies that are not JSON; Netopia reads
  // errorType 1 as "send the IPN again later".
  const autopay = req.path.startsWith('/api/providers/autopay/');
  const netopia = req.path.startsWith('/api/providers/netopia/');
  const body = (status: number, code: string, message: string, details?: unknown) => {
    if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (autopay) return res.status(status).json({ error_id: code === 'invalid_json' ? 'message_not_readable' : status >= 500 ? 'internal_server_error' : 'missing_property', message });
    if (netopia && status >= 500) return res.status(status).json(netopiaIpnReply({ kind: 'temporary', message }));
    return res.status(status).json({ error: { code, message, ...(details === undefined ? {} : { details }) }, errors: [message] });
  };
  if (err instanceof ApiError) return body(err.status, err.code, err.message, err.details);
  const outage = dependencyError(err);
  if (outage) {
    log.warn({ method: req.method, route: routeOf(req), err }, outage.message);
    return body(outage.status, outage.code, outage.message);
  }
  if (err instanceof ZodError) return body(400, 'validation_error', 'request body is invalid', zodDetails(err));
  if (err instanceof WorkflowNotFoundError) return body(404, 'not_found', 'parking session not found');
  if (err instanceof WorkflowUpdateFailedError) return body(422, 'unprocessable', updateRejection(err));
  if (err instanceof QueryNotRegisteredError) {
    // The client names every query the worker failed "not registered"; ours are all registered, so the
    // workflow's task is failing (ops see it in the UI). Nothing was changed: the caller may come back.
    log.error({ method: req.method, route: routeOf(req), err }, 'workflow could not answer a query');
    return body(503, 'workflow_unavailable', 'the workflow cannot answer right now, retry later');
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return body(400, 'invalid_json', 'request body is not valid JSON');
  if (e?.type === 'entity.too.large') return body(413, 'payload_too_large', 'request body is too large');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return body(e.status, 'bad_request', e.message ?? 'bad request');
  log.error({ method: req.method, route: routeOf(req), err }, 'unhandled error');
  return body(500, 'internal_error', 'internal error');
};

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'route_not_found', message: `no route for ${req.method} ${req.path}` }, errors: ['not found'] });
};
