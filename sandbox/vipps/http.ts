import { createHash, randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { IdempotencyKeySchema } from '../../src/providers/vipps/wire';

/**
 * HTTP plumbing shared by the Vipps sandbox routes: RFC 7807 problems, merchant authentication and
 * the Recurring v3 Idempotency-Key contract (same key + same request → stored response replayed,
 * including 4xx; same key + different request → 409).
 */

export interface ProblemDetail {
  field: string;
  text: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extraDetails: ProblemDetail[] = [],
  ) {
    super(`${status} ${title}${detail ? `: ${detail}` : ''}`);
  }
}

export function badRequest(detail: string, extraDetails: ProblemDetail[] = []): ProblemError {
  return new ProblemError(400, 'Bad Request', detail, extraDetails);
}

export function notFound(detail: string): ProblemError {
  return new ProblemError(404, 'Not Found', detail);
}

export function conflict(detail: string): ProblemError {
  return new ProblemError(409, 'Conflict', detail);
}

export function zodDetails(error: z.ZodError): ProblemDetail[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', text: i.message }));
}

/** Parses a request body with a wire schema, turning zod issues into a 400 problem. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw badRequest('Request body failed validation', zodDetails(r.error));
  return r.data;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export function problemBody(status: number, title: string, instance: string, detail?: string, extraDetails: ProblemDetail[] = []) {
  return {
    type: `https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#${title.toLowerCase().replace(/\s+/g, '-')}`,
    title,
    status,
    detail: detail ?? null,
    instance,
    contextId: randomUUID(),
    extraDetails: extraDetails.length ? extraDetails : null,
  };
}

export function sendReply(res: Response, reply: Reply): void {
  if (reply.body === undefined) {
    res.status(reply.status).end();
    return;
  }
  const isProblem = reply.status >= 400;
  res
    .status(reply.status)
    .type(isProblem ? 'application/problem+json' : 'application/json')
    .send(JSON.stringify(reply.body));
}

function toProblemReply(err: unknown, req: Request): Reply {
  if (err instanceof ProblemError) {
    return { status: err.status, body: problemBody(err.status, err.title, req.originalUrl, err.detail, err.extraDetails) };
  }
  return { status: 500, body: problemBody(500, 'Internal Server Error', req.originalUrl, String((err as Error)?.message ?? err)) };
}

/** Wraps a handler that returns a Reply (or throws ProblemError); `after` runs before the response. */
export function handle(fn: (req: Request) => Promise<Reply> | Reply, after?: () => Promise<void>): RequestHandler {
  return async (req: Request, res: Response) => {
    let reply: Reply;
    try {
      reply = await fn(req);
    } catch (err) {
      reply = toProblemReply(err, req);
    }
    if (after) await after();
    sendReply(res, reply);
  };
}

/** Keys are canonicalised so a client re-serialising the same object in another order still matches. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

interface StoredReply {
  fingerprint: string;
  reply: Reply;
}

export class IdempotencyStore {
  private readonly replies = new Map<string, StoredReply>();
  /** Keys whose first request is still running: a concurrent duplicate waits for it. */
  private readonly running = new Map<string, Promise<void>>();

  get size(): number {
    return this.replies.size;
  }

  /** Stored replies, for saving across a restart (a key replayed after it still gets its first answer). */
  entries(): Array<[string, { fingerprint: string; reply: Reply }]> {
    return [...this.replies.entries()];
  }

  restore(entries: Array<[string, { fingerprint: string; reply: Reply }]>): void {
    for (const [key, stored] of entries) this.replies.set(key, stored);
  }

  /**
   * Handler for POST/PATCH/DELETE. 5xx are not stored (Vipps asks clients to retry those with the
   * same key); everything else, including 4xx, is bound to the key.
   */
  wrap(fn: (req: Request) => Promise<Reply> | Reply, after?: () => Promise<void>): RequestHandler {
    return async (req: Request, res: Response) => {
      const key = req.get('idempotency-key');
      if (key === undefined) {
        sendReply(res, toProblemReply(badRequest('Idempotency-Key header is required', [{ field: 'Idempotency-Key', text: 'required' }]), req));
        return;
      }
      if (!IdempotencyKeySchema.safeParse(key).success) {
        sendReply(
          res,
          toProblemReply(badRequest('Invalid Idempotency-Key', [{ field: 'Idempotency-Key', text: '1–40 chars without # ? / \\' }]), req),
        );
        return;
      }
      const fingerprint = createHash('sha256')
        .update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalJson(req.body)}`)
        .digest('hex');
      while (this.running.has(key)) await this.running.get(key);
      const stored = this.replies.get(key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          sendReply(res, toProblemReply(conflict('Idempotency-Key was already used for a different request'), req));
        } else {
          sendReply(res, stored.reply);
        }
        return;
      }
      let done!: () => void;
      this.running.set(key, new Promise<void>((resolve) => (done = resolve)));
      let reply: Reply;
      try {
        reply = await fn(req);
      } catch (err) {
        reply = toProblemReply(err, req);
      }
      if (reply.status < 500) this.replies.set(key, { fingerprint, reply });
      this.running.delete(key);
      done();
      if (after) await after();
      sendReply(res, reply);
    };
  }
}

export interface MerchantAuthConfig {
  subscriptionKey: string;
  merchantSerialNumber: string;
  isValidAccessToken: (token: string) => boolean;
}

/** Bearer token from /accesstoken/get plus the subscription key; MSN must match when sent. */
export function merchantAuth(cfg: MerchantAuthConfig): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const unauthorized = (detail: string) =>
      sendReply(res, { status: 401, body: problemBody(401, 'Unauthorized', req.originalUrl, detail) });
    const auth = req.get('authorization') ?? '';
    const match = /^Bearer (\S+)$/.exec(auth);
    if (!match) return unauthorized('Authorization: Bearer <token> is required (the word Bearer is mandatory)');
    if (!cfg.isValidAccessToken(match[1])) return unauthorized('Access token is invalid or expired');
    if (req.get('ocp-apim-subscription-key') !== cfg.subscriptionKey) return unauthorized('Invalid Ocp-Apim-Subscription-Key');
    const msn = req.get('merchant-serial-number');
    if (msn !== undefined && msn !== cfg.merchantSerialNumber) return unauthorized('Merchant-Serial-Number does not match the token');
    next();
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Appends query parameters to a redirect target that may already carry some. */
export function withQuery(target: string, params: Record<string, string>): string {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Digits only; 8-digit Norwegian numbers get the 47 country code, as Vipps stores MSISDNs. */
export function normalizePhone(raw: string): string | undefined {
  const digits = raw.replace(/\D/g, '');
  const msisdn = digits.length === 8 ? `47${digits}` : digits;
  return /^\d{10,15}$/.test(msisdn) ? msisdn : undefined;
}
