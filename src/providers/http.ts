/**
 * Outbound HTTP for every provider client: JSON in/out, a timeout per attempt, and retries on network
 * failures and 5xx/429 with exponential backoff. Callers pass their idempotency headers, so a retry is
 * the same request to the provider.
 */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string (then sent as is). */
  body?: unknown;
  timeoutMs?: number;
  /** Extra attempts after the first on network errors, 5xx and 429. */
  retries?: number;
  retryBaseMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
}

export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly url: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const retries = req.retries ?? 2;
  const base = req.retryBaseMs ?? 200;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(base * 2 ** (attempt - 1));
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: {
          accept: 'application/json',
          ...(req.body !== undefined && typeof req.body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
        signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
      const text = await res.text();
      let json: unknown;
      if (text && (res.headers.get('content-type') ?? '').includes('json')) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      const response: HttpResponse = { status: res.status, headers: res.headers, text, json };
      if (isRetryableStatus(res.status) && attempt < retries) {
        lastError = new HttpTransportError(`HTTP ${res.status}`, req.url);
        continue;
      }
      return response;
    } catch (err) {
      lastError = err;
    }
  }
  throw new HttpTransportError(
    `${req.method} ${req.url} failed after ${retries + 1} attempt(s): ${String((lastError as Error)?.message ?? lastError)}`,
    req.url,
    lastError,
  );
}
