/**
 * Test controls every provider sandbox shares (README "Sandbox test controls"): counters that make the next N
 * events go wrong, each consumed by one event.
 * - failNextCalls / failStatus: the next N API calls from our product are answered failStatus (default 503).
 * - timeoutNextCalls: the next N API calls are never answered (held until the caller gives up or the sandbox closes).
 * - dropCallbacks: the next N outbound callbacks (IPNs, webhooks) are recorded as dropped and never sent or retried.
 * - browserNeverReturns: after the next N card-page submits the sandbox shows its own "done" page instead of
 *   sending the browser back to our return URL.
 * - refuseNextRefunds (card sandboxes only: created with `refunds: true`): the next N refund calls are refused
 *   with the provider's own business refusal (not a fault: the client sees a ProviderRefusal, never retried).
 * "API calls" exclude card pages and the sandbox's own /_ routes; each sandbox says which routes are API calls.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { escapeHtml, layoutPage } from '../src/api/pages-layout';

const Count = z.int().min(0).max(10_000);

export const FaultControlsSchema = z.strictObject({
  dropCallbacks: Count.optional(),
  failNextCalls: Count.optional(),
  // 5xx: an outage (retried); 4xx: a business refusal (never retried).
  failStatus: z.int().min(400).max(599).optional(),
  timeoutNextCalls: Count.optional(),
  browserNeverReturns: Count.optional(),
  refuseNextRefunds: Count.optional(),
});
export type FaultControls = z.infer<typeof FaultControlsSchema>;

export interface FaultCounters {
  dropCallbacks: number;
  failNextCalls: number;
  failStatus: number;
  timeoutNextCalls: number;
  browserNeverReturns: number;
  /** Only on sandboxes that take refunds (NETOPIA, EPX). */
  refuseNextRefunds?: number;
}

const INITIAL: FaultCounters = { dropCallbacks: 0, failNextCalls: 0, failStatus: 503, timeoutNextCalls: 0, browserNeverReturns: 0 };

export interface SandboxFaultsOptions {
  log?: (message: string) => void;
  /** A held ("timed out") call is cut off after this long if its caller has not given up first. */
  maxHoldMs?: number;
  /** The sandbox takes refund calls: it offers (and consumes) refuseNextRefunds. */
  refunds?: boolean;
}

export class SandboxFaults {
  private state: FaultCounters;
  private readonly held = new Set<{ res: Response; timer: NodeJS.Timeout }>();
  private readonly log: (message: string) => void;
  private readonly maxHoldMs: number;
  private readonly initial: FaultCounters;

  constructor(
    readonly provider: string,
    opts: SandboxFaultsOptions = {},
  ) {
    this.log = opts.log ?? (() => undefined);
    this.maxHoldMs = opts.maxHoldMs ?? 120_000;
    this.initial = opts.refunds ? { ...INITIAL, refuseNextRefunds: 0 } : { ...INITIAL };
    this.state = { ...this.initial };
  }

  /** Whether this sandbox offers refuseNextRefunds. */
  get takesRefunds(): boolean {
    return this.initial.refuseNextRefunds !== undefined;
  }

  counters(): FaultCounters {
    return { ...this.state };
  }

  /** Sets the counters given; the others keep their values. */
  set(controls: FaultControls): FaultCounters {
    this.state = { ...this.state, ...controls };
    return this.counters();
  }

  reset(): FaultCounters {
    this.state = { ...this.initial };
    return this.counters();
  }

  /** True when this callback must be dropped (and counts it). */
  takeDropCallback(): boolean {
    return this.take('dropCallbacks');
  }

  /** True when this card-page submit must not send the browser back (and counts it). */
  takeBrowserNeverReturns(): boolean {
    return this.take('browserNeverReturns');
  }

  /** True when this refund call must be refused (and counts it). */
  takeRefuseRefund(): boolean {
    return this.take('refuseNextRefunds');
  }

  private take(key: 'dropCallbacks' | 'failNextCalls' | 'timeoutNextCalls' | 'browserNeverReturns' | 'refuseNextRefunds'): boolean {
    const left = this.state[key];
    if (left === undefined || left <= 0) return false;
    this.state[key] = left - 1;
    return true;
  }

  /** GET / POST / DELETE /_controls. Mount first on the sandbox router, before any auth or body parser. */
  routes(): Router {
    const router = express.Router();
    const json = express.json({ limit: '10kb' });
    router.get('/_controls', (_req, res) => void res.json(this.counters()));
    router.delete('/_controls', (_req, res) => void res.json(this.reset()));
    router.post('/_controls', json, (req, res) => {
      const parsed = FaultControlsSchema.safeParse(readJson(req.body));
      if (!parsed.success) {
        return void res.status(400).json({ error: 'invalid_controls', message: z.prettifyError(parsed.error) });
      }
      if (parsed.data.refuseNextRefunds !== undefined && !this.takesRefunds) {
        return void res.status(400).json({ error: 'invalid_controls', message: `refuseNextRefunds: the ${this.provider} sandbox takes no refunds` });
      }
      this.log(`${this.provider}: test controls ${JSON.stringify(parsed.data)}`);
      res.json(this.set(parsed.data));
    });
    return router;
  }

  /** Middleware for the sandbox's API routes: consumes timeoutNextCalls, then failNextCalls. */
  apiCalls(isApiCall: (req: Request) => boolean): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (!isApiCall(req)) return next();
      if (this.take('timeoutNextCalls')) {
        this.log(`${this.provider}: holding ${req.method} ${req.originalUrl} unanswered (test control)`);
        return this.hold(req, res);
      }
      if (this.take('failNextCalls')) {
        this.log(`${this.provider}: failing ${req.method} ${req.originalUrl} with ${this.state.failStatus} (test control)`);
        return void res.status(this.state.failStatus).json({ error: 'sandbox_fault', message: `injected HTTP ${this.state.failStatus}` });
      }
      next();
    };
  }

  private hold(req: Request, res: Response): void {
    const entry = { res, timer: setTimeout(() => this.release(entry), this.maxHoldMs) };
    this.held.add(entry);
    req.on('close', () => this.release(entry));
  }

  private release(entry: { res: Response; timer: NodeJS.Timeout }): void {
    if (!this.held.delete(entry)) return;
    clearTimeout(entry.timer);
    entry.res.socket?.destroy();
  }

  /** Cuts off held calls so the server can close. */
  close(): void {
    for (const entry of [...this.held]) this.release(entry);
  }
}

/** The controls body arrives parsed by our json parser, or as text/bytes when the sandbox parsed it first. */
function readJson(body: unknown): unknown {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    if (!text.trim()) return {};
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return body ?? {};
}

/** The page a card page shows instead of sending the browser back (browserNeverReturns). */
export function browserDonePage(provider: string): string {
  return layoutPage(`${provider} sandbox`, '<p>You may close this page.</p>', { heading: 'Done', footerHtml: `${escapeHtml(provider)} sandbox` });
}
