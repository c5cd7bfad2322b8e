/**
 * Outbound HTTP with bounds, for every provider client: one deadline for the whole call (default 8 s, well below
 * the 30 s activity start-to-close, so a hung provider surfaces as ProviderUnavailable and the activity retries on
 * its own schedule), at most 2 quick retries inside it on no answer, 5xx, 408 and 429, and the client's circuit
 * breaker. Any other answer (2xx, a 4xx refusal) goes back to the client to read: refusals are never retried.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { providerCallDuration, providerCallErrors } from '../observability/metrics';
import { ProviderUnavailable, isUnavailableStatus } from './card-provider';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import { httpRequest, type HttpRequest, type HttpResponse } from './http';

export interface BoundedHttpOptions {
  /** Total time for one call, retries and waits included. */
  deadlineMs?: number;
  /** Timeout of one attempt (capped by what is left of the deadline); default half the deadline. */
  attemptTimeoutMs?: number;
  /** Extra attempts after the first (0–2). */
  retries?: number;
  retryBaseMs?: number;
  breaker?: CircuitBreakerOptions;
}

export const BOUNDED_HTTP_DEFAULTS = { deadlineMs: 8_000, retries: 2, retryBaseMs: 100 } as const;
export const MAX_QUICK_RETRIES = 2;

export type BoundedRequest = Omit<HttpRequest, 'timeoutMs' | 'retries' | 'retryBaseMs'>;
export type Send = (req: BoundedRequest) => Promise<HttpResponse>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class BoundedHttp {
  readonly breaker: CircuitBreaker;
  readonly deadlineMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;

  constructor(
    readonly provider: string,
    opts: BoundedHttpOptions = {},
  ) {
    this.deadlineMs = opts.deadlineMs ?? BOUNDED_HTTP_DEFAULTS.deadlineMs;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? Math.ceil(this.deadlineMs / 2);
    this.retries = Math.min(Math.max(0, opts.retries ?? BOUNDED_HTTP_DEFAULTS.retries), MAX_QUICK_RETRIES);
    this.retryBaseMs = opts.retryBaseMs ?? BOUNDED_HTTP_DEFAULTS.retryBaseMs;
    this.breaker = new CircuitBreaker(provider, opts.breaker);
  }

  /** One request as one call, under its own deadline. */
  send(req: BoundedRequest): Promise<HttpResponse> {
    return this.call((send) => send(req));
  }

  /** Several requests (token + call, lookup + refund) as one call: they share one deadline. */
  async call<T>(fn: (send: Send) => Promise<T>): Promise<T> {
    const deadlineAt = Date.now() + this.deadlineMs;
    return fn((req) => this.observed(req, (traced) => this.breaker.run(() => this.attempts(traced, deadlineAt), (res) => isUnavailableStatus(res.status))));
  }

  /**
   * One request (its quick retries included) as a client span, its trace context sent along (traceparent), and in
   * the provider latency histogram. The span names the host and path only: queries may carry credentials.
   */
  private async observed(req: BoundedRequest, run: (traced: BoundedRequest) => Promise<HttpResponse>): Promise<HttpResponse> {
    const url = new URL(req.url);
    const span = trace.getTracer('parking-payment-engine').startSpan(`${this.provider} ${req.method}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': req.method, 'server.address': url.hostname, 'url.path': url.pathname, 'provider.name': this.provider },
    });
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const active = trace.setSpan(context.active(), span);
    const headers: Record<string, string> = { ...req.headers };
    propagation.inject(active, headers);
    try {
      const res = await context.with(active, () => run({ ...req, headers }));
      span.setAttribute('http.response.status_code', res.status);
      const outcome = isUnavailableStatus(res.status) ? 'unavailable' : res.status >= 400 ? 'refused' : 'ok';
      if (outcome === 'unavailable') span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
      providerCallDuration.observe({ provider: this.provider, outcome }, seconds());
      return res;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
      providerCallDuration.observe({ provider: this.provider, outcome: 'unavailable' }, seconds());
      if (/circuit open/.test((err as Error).message)) providerCallErrors.inc({ provider: this.provider, reason: 'circuit_open' });
      throw err;
    } finally {
      span.end();
    }
  }

  /** Returns the first answer that is not "unavailable", else the last such answer; throws if none came at all. */
  private async attempts(req: BoundedRequest, deadlineAt: number): Promise<HttpResponse> {
    let last: HttpResponse | undefined;
    let lastError = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        const wait = this.retryBaseMs * 2 ** (attempt - 1);
        if (Date.now() + wait >= deadlineAt) break;
        await sleep(wait);
      }
      const left = deadlineAt - Date.now();
      if (left <= 0) break;
      try {
        last = await httpRequest({ ...req, timeoutMs: Math.min(this.attemptTimeoutMs, left), retries: 0 });
        if (!isUnavailableStatus(last.status)) return last;
        lastError = `HTTP ${last.status}`;
        providerCallErrors.inc({ provider: this.provider, reason: `status_${last.status >= 500 ? '5xx' : last.status}` });
      } catch (err) {
        providerCallErrors.inc({ provider: this.provider, reason: 'transport' });
        last = undefined;
        lastError = String((err as Error).message ?? err);
      }
    }
    if (last) return last;
    throw new ProviderUnavailable(this.provider, `${req.method} ${req.url}: no answer within ${this.deadlineMs} ms (${lastError || 'deadline'})`);
  }
}

/** The bounds every provider client's config accepts (timeoutMs is per attempt, as it always was). */
export interface ProviderClientBounds {
  /** Total time per call, retries included; default 8 s. */
  deadlineMs?: number;
  /** Per-attempt timeout, capped by what is left of the deadline. */
  timeoutMs?: number;
  /** Quick retries inside the deadline on no answer, 5xx, 408, 429: at most 2. */
  retries?: number;
  retryBaseMs?: number;
  breaker?: CircuitBreakerOptions;
}

export function boundedOptions(cfg: ProviderClientBounds): BoundedHttpOptions {
  return {
    ...(cfg.deadlineMs !== undefined ? { deadlineMs: cfg.deadlineMs } : {}),
    ...(cfg.timeoutMs !== undefined ? { attemptTimeoutMs: cfg.timeoutMs } : {}),
    ...(cfg.retries !== undefined ? { retries: cfg.retries } : {}),
    ...(cfg.retryBaseMs !== undefined ? { retryBaseMs: cfg.retryBaseMs } : {}),
    ...(cfg.breaker ? { breaker: cfg.breaker } : {}),
  };
}
