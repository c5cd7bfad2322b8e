import { randomInt } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { splitGross } from '../../src/domain/vat';
import { deliverWithRetries } from '../delivery';
import type { SandboxContext } from '../context';
import type { SandboxPersistence } from '../persistence';
import { SandboxFaults } from '../faults';
import { easyParkBasicAuthHeader } from '../../src/providers/easypark/inbound';
import { EASYPARK_SAMPLE_TRANSACTION } from '../../src/providers/easypark/wire';

/**
 * Offline EasyPark Fleet: sends the parkingTransaction webhook to our API with Basic auth and EasyPark's
 * delivery rule — any 4xx/5xx is retried (hourly in production, every `retryMs` here) until accepted, except
 * 409 Conflict, which means "duplicate, already processed" and ends delivery like a 2xx. Mount at /easypark.
 */

export interface EasyParkSandboxOptions {
  username: string;
  password: string;
  /** Default `${ctx.apiBaseUrl}/api/providers/easypark/parking-transactions`. */
  webhookUrl?: string;
  /** Stands in for EasyPark's hourly retry. */
  retryMs?: number;
  maxAttempts?: number;
  /** Keeps sent webhooks across restarts (sandbox/persistence.ts). */
  persistence?: SandboxPersistence;
}

const EasyParkSaved = z.object({ deliveries: z.array(z.looseObject({ id: z.number(), outcome: z.string() })) });

export interface WebhookAttempt {
  at: string;
  /** HTTP status, or 0 when there was no answer. */
  status: number;
  error?: string;
}

export interface WebhookDelivery {
  id: number;
  url: string;
  /** Sent as is: may deliberately lack fields or carry wrong values (tests of our validation). */
  payload: Record<string, unknown>;
  attempts: WebhookAttempt[];
  /** dropped: by the dropCallbacks test control, never sent and never retried. */
  outcome: 'pending' | 'accepted' | 'duplicate' | 'gave_up' | 'dropped';
}

export interface EasyParkSandbox {
  router: Router;
  sent(): WebhookDelivery[];
  faults: SandboxFaults;
  /** Stops pending retries (test teardown). */
  close(): void;
}

/** A fresh, internally consistent transaction: 25 % Swedish VAT, EasyPark's 4.95 fee, ended just now. */
export function generateParkingTransaction(now = new Date()): Record<string, unknown> {
  const end = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const start = new Date(end.getTime() - randomInt(10, 600) * 60_000);
  const price = splitGross((randomInt(500, 20_000) / 100).toFixed(2), 25);
  const fee = splitGross('4.95', 25);
  const letters = () => String.fromCharCode(...Array.from({ length: 3 }, () => 65 + randomInt(0, 26)));
  const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
  return {
    parkingId: randomInt(1_000_000_000, 2 ** 47),
    parkingUserId: EASYPARK_SAMPLE_TRANSACTION.parkingUserId,
    licenseNumber: `${letters()}${String(randomInt(0, 1000)).padStart(3, '0')}`,
    startDate: iso(start),
    endDate: iso(end),
    parkingAreaId: EASYPARK_SAMPLE_TRANSACTION.parkingAreaId,
    parkingAreaName: EASYPARK_SAMPLE_TRANSACTION.parkingAreaName,
    parkingOperatorId: EASYPARK_SAMPLE_TRANSACTION.parkingOperatorId,
    parkingOperatorName: EASYPARK_SAMPLE_TRANSACTION.parkingOperatorName,
    // JSON numbers, as EasyPark sends them; Number() of a 2-decimal string prints back exactly.
    price: Number(price.gross),
    priceVatAmount: Number(price.vat),
    priceExclusiveVatAmount: Number(price.net),
    transactionFeeExclusiveVatAmount: Number(fee.net),
    transactionFeeVatAmount: Number(fee.vat),
    transactionFee: Number(fee.gross),
    currency: 'SEK',
  };
}

export function createEasyParkSandbox(ctx: SandboxContext, opts: EasyParkSandboxOptions): EasyParkSandbox {
  const url = opts.webhookUrl ?? `${ctx.apiBaseUrl}/api/providers/easypark/parking-transactions`;
  const retryMs = opts.retryMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 5;
  const authorization = easyParkBasicAuthHeader(opts);
  const deliveries: WebhookDelivery[] = [];
  const saved = opts.persistence?.restore('easypark', EasyParkSaved);
  // A delivery cut off by the restart is not resumed: it shows as given up.
  deliveries.push(...((saved?.deliveries ?? []) as unknown as WebhookDelivery[]).map((d) => (d.outcome === 'pending' ? { ...d, outcome: 'gave_up' as const } : d)));
  opts.persistence?.track('easypark', () => ({ deliveries }));
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;
  // EasyPark calls us; we call nothing of EasyPark's, so only dropCallbacks has an effect here.
  const faults = new SandboxFaults('easypark', { log: ctx.log });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });

  async function deliver(d: WebhookDelivery): Promise<void> {
    if (faults.takeDropCallback()) {
      d.outcome = 'dropped';
      ctx.log(`easypark sandbox: webhook ${d.id} dropped (test control)`);
      return;
    }
    // One request per attempt: EasyPark retries 4xx too, which httpRequest deliberately does not.
    const { outcome } = await deliverWithRetries({
      url: d.url,
      body: d.payload,
      headers: { authorization },
      attempts: maxAttempts,
      delayMs: () => retryMs,
      sleep,
      isClosed: () => closed,
      terminal: { 409: 'duplicate' },
      record: d.attempts,
      onAttemptFailed: (attempt) => ctx.log(`easypark sandbox: webhook ${d.id} attempt ${attempt + 1} not accepted`),
    });
    d.outcome = outcome === 'delivered' ? 'accepted' : outcome;
  }

  const router = express.Router();
  router.use(faults.routes());
  router.use(express.json({ limit: '100kb' }));

  /**
   * Body: overrides merged into the seed's sample (a null value removes the field), or {"generate": true}
   * (plus optional overrides) for a fresh consistent transaction. Answers once delivery has finished.
   */
  router.post('/_send', async (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return void res.status(400).json({ error: 'body must be a JSON object of field overrides' });
    }
    const { generate, ...overrides } = body as Record<string, unknown>;
    const payload: Record<string, unknown> = generate === true ? generateParkingTransaction() : { ...EASYPARK_SAMPLE_TRANSACTION };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === null) delete payload[key];
      else payload[key] = value;
    }
    const delivery: WebhookDelivery = { id: deliveries.length + 1, url, payload, attempts: [], outcome: 'pending' };
    deliveries.push(delivery);
    await deliver(delivery);
    res.json(delivery);
  });

  router.get('/_records', (_req, res) => void res.json({ deliveries }));

  // Malformed JSON to /_send gets a JSON answer rather than express's HTML page.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (res.headersSent || typeof status !== 'number' || status >= 500) return next(err);
    res.status(status).json({ error: `invalid request: ${(err as Error).message}` });
  });

  return {
    router,
    sent: () => structuredClone(deliveries),
    faults,
    close: () => {
      closed = true;
      faults.close();
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
    },
  };
}
