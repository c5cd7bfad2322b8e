import type { Request, RequestHandler, Response } from 'express';
import { ApiError } from './errors';

/**
 * In-memory fixed-window rate limits, keyed by client IP and limit name (one API process per host; behind several
 * API replicas each enforces its own window, which still bounds enumeration to replicas × max). Over the limit:
 * 429 `rate_limited` with Retry-After.
 */
interface Window {
  count: number;
  resetAt: number;
}

class FixedWindows {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly windowMs: number) {}

  current(key: string, now: number): Window {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size > 10_000) this.prune(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    return w;
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

function tooMany(res: Response, w: Window, now: number, what: string): ApiError {
  const seconds = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
  res.set('Retry-After', String(seconds));
  return new ApiError(429, 'rate_limited', `too many ${what}; retry in ${seconds} s`, { retry_after_seconds: seconds });
}

/** At most `max` requests per client IP per window on the routes it is mounted on. */
export function rateLimit(opts: { name: string; max: number; windowMs?: number }): RequestHandler {
  const windows = new FixedWindows(opts.windowMs ?? 60_000);
  return (req, res, next) => {
    const now = Date.now();
    const w = windows.current(`${opts.name}:${clientIp(req)}`, now);
    w.count += 1;
    if (w.count > opts.max) return next(tooMany(res, w, now, `requests to ${opts.name}`));
    next();
  };
}

/**
 * Counts the 401 answers per client IP; once `max` are reached in a window, every further request from that IP is
 * refused with 429 until the window ends: credential guessing gets a handful of tries, not millions.
 */
export function authFailureLimit(opts: { max: number; windowMs?: number }): RequestHandler {
  const windows = new FixedWindows(opts.windowMs ?? 15 * 60_000);
  return (req, res, next) => {
    const now = Date.now();
    const key = clientIp(req);
    const w = windows.current(key, now);
    if (w.count >= opts.max) return next(tooMany(res, w, now, 'failed authentications'));
    res.on('finish', () => {
      if (res.statusCode === 401) windows.current(key, Date.now()).count += 1;
    });
    next();
  };
}
