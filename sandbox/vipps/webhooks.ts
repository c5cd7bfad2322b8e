import { randomUUID } from 'node:crypto';
import { httpRequest } from '../../src/providers/http';
import { signVippsWebhook } from '../../src/providers/vipps/webhook-signature';

/**
 * Sends the sandbox's webhook events to our API the way Vipps does (PROVIDERS.md 2.2–2.3): signed with
 * the registration secret via signVippsWebhook, retried with backoff on non-2xx or network errors,
 * and kept in order per agreement (a failing event blocks later ones for the same agreement, as a
 * failing delivery does at Vipps). Real Vipps retries for 7 days; the sandbox uses a short schedule.
 */

export interface WebhookAttempt {
  /** Wall-clock time: signatures and retries run on real time, not on the sandbox clock. */
  at: string;
  status?: number;
  error?: string;
}

export interface WebhookDelivery {
  id: string;
  eventType: string;
  /** Ordering scope (the agreement id). */
  orderKey: string;
  url: string;
  payload: Record<string, unknown>;
  /** Exactly the bytes sent and signed. */
  body: string;
  attempts: WebhookAttempt[];
  /** dropped: by the dropCallbacks test control, never sent and never retried. */
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
}

export interface WebhookDispatcherOptions {
  url: string;
  secret: string;
  /** Delays before retry 1, 2, …; its length is the number of retries. */
  retryDelaysMs: number[];
  timeoutMs: number;
  log: (message: string) => void;
  /** Asked once per event: true drops it (test control). */
  shouldDrop?: () => boolean;
}

export class WebhookDispatcher {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  private readonly firstAttempts = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;
  private readonly host: string;
  private readonly pathAndQuery: string;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    const url = new URL(opts.url);
    // Signed with the registered URL's authority and path, which is what the receiver verifies against.
    this.host = url.host;
    this.pathAndQuery = url.pathname + url.search;
  }

  enqueue(orderKey: string, eventType: string, payload: Record<string, unknown>): WebhookDelivery {
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      eventType,
      orderKey,
      url: this.opts.url,
      payload,
      body: JSON.stringify(payload),
      attempts: [],
      state: 'pending',
    };
    this.deliveries.push(delivery);
    if (this.opts.shouldDrop?.()) {
      delivery.state = 'dropped';
      this.opts.log(`vipps sandbox: webhook ${eventType} ${delivery.id} dropped (test control)`);
      return delivery;
    }
    let firstDone!: () => void;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    this.firstAttempts.add(first);
    void first.then(() => this.firstAttempts.delete(first));
    const previous = this.chains.get(orderKey) ?? Promise.resolve();
    const chain = previous.then(() => this.deliver(delivery, firstDone));
    this.chains.set(orderKey, chain);
    return delivery;
  }

  /** Lets a sandbox endpoint answer after its events were tried once, so callers observe them. */
  async awaitFirstAttempts(maxMs: number): Promise<void> {
    if (this.firstAttempts.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.firstAttempts]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxMs);
        timer.unref();
      }),
    ]);
    if (timer) clearTimeout(timer);
  }

  /** Resolves when every queued delivery has been delivered or given up on. */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  /** Stops retries (pending deliveries end as failed) so a test server can shut down cleanly. */
  close(): void {
    this.closed = true;
    for (const wake of this.sleepers) wake();
  }

  private async deliver(delivery: WebhookDelivery, firstDone: () => void): Promise<void> {
    try {
      for (let attempt = 0; attempt <= this.opts.retryDelaysMs.length; attempt++) {
        if (attempt > 0) await this.sleep(this.opts.retryDelaysMs[attempt - 1]);
        if (this.closed) break;
        const ok = await this.attempt(delivery);
        if (attempt === 0) firstDone();
        if (ok) {
          delivery.state = 'delivered';
          return;
        }
      }
      delivery.state = 'failed';
      this.opts.log(`vipps sandbox: webhook ${delivery.eventType} ${delivery.id} dropped after ${delivery.attempts.length} attempt(s)`);
    } finally {
      firstDone();
    }
  }

  private async attempt(delivery: WebhookDelivery): Promise<boolean> {
    // Re-signed per attempt: x-ms-date is the time of this request.
    const signed = signVippsWebhook({
      secret: this.opts.secret,
      pathAndQuery: this.pathAndQuery,
      host: this.host,
      date: new Date(),
      rawBody: delivery.body,
    });
    const at = new Date().toISOString();
    try {
      const res = await httpRequest({
        method: 'POST',
        url: delivery.url,
        // Host is not set by hand: fetch derives it from the URL, which is the authority we signed.
        headers: {
          'content-type': 'application/json',
          'x-ms-date': signed['x-ms-date'],
          'x-ms-content-sha256': signed['x-ms-content-sha256'],
          authorization: signed.authorization,
        },
        body: delivery.body,
        timeoutMs: this.opts.timeoutMs,
        retries: 0,
      });
      delivery.attempts.push({ at, status: res.status });
      return res.status >= 200 && res.status < 300;
    } catch (err) {
      delivery.attempts.push({ at, error: String((err as Error)?.message ?? err) });
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }
}
