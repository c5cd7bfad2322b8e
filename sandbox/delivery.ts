import { httpRequest } from '../src/providers/http';

/**
 * Shared delivery loop for the sandboxes' outbound callbacks/webhooks: one POST per attempt (httpRequest's
 * own retries are off, since it would not retry 4xx), each attempt recorded, a provider-chosen wait between
 * attempts, and a stop on 2xx, on a provider-specific terminal status, after the last attempt, or once the
 * sandbox is closed.
 */

export interface DeliveryAttemptRecord {
  at: string;
  /** HTTP status, or 0 when there was no answer. */
  status: number;
  error?: string;
}

export interface DeliverWithRetriesOptions<T extends string> {
  url: string;
  body: unknown;
  headers: Record<string, string>;
  /** Attempts in total. */
  attempts: number;
  /** Wait before attempt n (n ≥ 1; the first attempt goes at once). */
  delayMs: (attempt: number) => number;
  /** The sandbox's cancellable sleep (close() resolves it early). */
  sleep: (ms: number) => Promise<void>;
  isClosed: () => boolean;
  /** Non-2xx statuses that end delivery, with the outcome each one means. */
  terminal: Record<number, T>;
  /** Attempts are appended here as they happen, so records read mid-delivery see them. */
  record?: DeliveryAttemptRecord[];
  /** Called after an attempt that neither delivered nor hit a terminal status (0-based attempt). */
  onAttemptFailed?: (attempt: number) => void;
}

export interface DeliveryResult<T extends string> {
  attempts: DeliveryAttemptRecord[];
  outcome: 'delivered' | T | 'gave_up';
}

export async function deliverWithRetries<T extends string>(opts: DeliverWithRetriesOptions<T>): Promise<DeliveryResult<T>> {
  const attempts = opts.record ?? [];
  for (let attempt = 0; attempt < opts.attempts; attempt++) {
    if (attempt > 0) await opts.sleep(opts.delayMs(attempt));
    if (opts.isClosed()) break;
    const at = new Date().toISOString();
    try {
      const res = await httpRequest({ method: 'POST', url: opts.url, body: opts.body, headers: opts.headers, retries: 0, timeoutMs: 10_000 });
      attempts.push({ at, status: res.status });
      if (res.status >= 200 && res.status < 300) return { attempts, outcome: 'delivered' };
      if (Object.hasOwn(opts.terminal, res.status)) return { attempts, outcome: opts.terminal[res.status] };
    } catch (err) {
      attempts.push({ at, status: 0, error: (err as Error).message });
    }
    opts.onAttemptFailed?.(attempt);
  }
  return { attempts, outcome: 'gave_up' };
}
