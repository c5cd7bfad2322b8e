/**
 * The API's first middleware: a request id for every request (the caller's X-Request-Id when it is sane, else a
 * fresh one; always echoed back), a log context carrying it (and the session id when the path names one), and one
 * access log line per request when the response is done. The line names the route pattern, never the raw URL:
 * pay links and provider returns carry signatures in their path and query.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { componentLogger, withLogContext } from './logger';
import { observeHttpRequest } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const SESSION_IN_PATH = /\/parking_sessions\/(\d{1,15})(?:\/|$)/;

const log = componentLogger('http');

/** A caller's request id if it is 8–128 characters of [A-Za-z0-9._:-]; anything else is replaced, not echoed. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

/** The matched route pattern ("/api/car_driver/parking_sessions/:id"), or "unmatched" when no route took it. */
export function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return route && typeof route.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

export function requestContext() {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    const session = SESSION_IN_PATH.exec(req.path);
    const started = process.hrtime.bigint();
    withLogContext({ requestId, ...(session ? { sessionId: Number(session[1]) } : {}) }, () => {
      // Bound to this request's context: 'finish' is emitted from the socket's, where the request id is unknown.
      res.once('finish', AsyncResource.bind(() => {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        const route = routeOf(req);
        observeHttpRequest(req.method, route, res.statusCode, durationMs / 1000);
        log.info({ method: req.method, route, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 }, 'request');
      }));
      next();
    });
  };
}
