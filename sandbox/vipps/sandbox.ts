import { randomBytes } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SandboxContext } from '../context';
import type { SandboxPersistence } from '../persistence';
import { SandboxFaults } from '../faults';
import { safeEqual } from '../../src/security/constant-time';
import { DAY_MS, HOUR_MS, MINUTE_MS, SandboxClock, type SandboxClockMode } from './clock';
import { confirmPageRoutes } from './confirm-page';
import { handle, IdempotencyStore, merchantAuth, normalizePhone, parseBody, problemBody, sendReply } from './http';
import { SandboxLogin, type SandboxLoginRecord } from './login';
import { LOGIN_TOKEN_PATH, LOGIN_USERINFO_PATH } from '../../src/providers/vipps/login';
import { qrRoutes, type SandboxQr } from './qr';
import { receiptRoutes, type SandboxReceipt } from './receipts';
import { recurringRoutes } from './recurring';
import { RecurringState, type SandboxAgreement, type SandboxCharge } from './state';
import { SandboxUsers, type SandboxUserSeed } from './users';
import { WebhookDispatcher, type WebhookDelivery } from './webhooks';

/**
 * Offline stand-in for Vipps MobilePay (Recurring v3 pay-as-you-go, Webhooks, Order Management
 * receipts, merchant-redirect QR, Login), mounted at /vipps on the sandbox server, so the client's
 * base URL is `${sandboxBaseUrl}/vipps`. It follows the seed documents and PROVIDERS.md §1–2, with its
 * own clock so due dates and retry days can be played through in a test (see clock.ts).
 *
 * Scenario rules (charge processing on the due date, sandbox time):
 * - agreement accepted by `userActionRequiredPhone` → every charge FAILED user_action_required after retryDays;
 * - amount above the user's maxAmount (but within suggestedMaxAmount) → stays DUE, FAILED charge_amount_too_high
 *   after due + retryDays unless the user raises the limit (POST /_agreements/:id/max-amount);
 * - otherwise CHARGED (recurring.charge-captured.v1).
 *
 * Paths (relative to the mount):
 *   POST /accesstoken/get
 *   /recurring/v3/agreements[...]                   merchant API (Bearer + subscription key, Idempotency-Key)
 *   POST /order-management/v2/:paymentType/receipts/:orderId
 *   POST /qr/v1/merchant-redirect, GET /qr/v1/merchant-redirect/:id, GET /qr/v1/images/:id.svg, GET /qr/r/:id
 *   GET|POST /access-management-1.0/access/oauth2/auth, POST .../oauth2/token, GET /vipps-userinfo-api/userinfo
 *   GET|POST /_ui/agreements/:id                    the "app" confirmation page
 *   GET /_clock, POST /_clock/advance {days,hours,minutes}, POST /_clock/set {now}, POST /_process
 *   POST /_agreements/:id/max-amount {maxAmount}, POST /_agreements/:id/user-stop
 *   GET /_records
 */

export interface VippsSandboxOptions {
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
  merchantSerialNumber: string;
  webhookSecret: string;
  /** Our API's webhook receiver, e.g. `${apiBaseUrl}/api/providers/vipps/webhooks`. */
  webhookUrl: string;
  /** MSISDN whose charges always fail with user_action_required, e.g. '4790000001'. */
  userActionRequiredPhone: string;
  loginUsers?: SandboxUserSeed[];
  /** Where the router is mounted; default '/vipps'. */
  mountPath?: string;
  tokenTtlSeconds?: number;
  /** Delays between webhook retries; default 1 s, 5 s, 30 s, 2 min. */
  webhookRetryDelaysMs?: number[];
  webhookTimeoutMs?: number;
  /** How long a mutating endpoint waits for its webhooks' first attempt before answering. */
  webhookAwaitMs?: number;
  /** Keeps agreements, charges, receipts, QR codes, webhooks, tokens and the clock across restarts. */
  persistence?: SandboxPersistence;
  /** 'running' (default: real time plus an offset) or 'frozen' (moves only by set/advance; see clock.ts). */
  clock?: SandboxClockMode;
}

/** What the Vipps sandbox saves: written by this file only, read back with a shape check. */
const VippsSaved = z.object({
  clockOffsetMs: z.number(),
  agreements: z.array(z.looseObject({ id: z.string(), status: z.string() })),
  charges: z.array(z.looseObject({ id: z.string(), agreementId: z.string(), status: z.string() })),
  receipts: z.array(z.tuple([z.string(), z.looseObject({ id: z.string() })])),
  qrs: z.array(z.tuple([z.string(), z.looseObject({ id: z.string() })])),
  tokens: z.array(z.tuple([z.string(), z.number()])),
  tokenRequests: z.number(),
  idempotency: z.array(z.tuple([z.string(), z.object({ fingerprint: z.string(), reply: z.object({ status: z.number(), body: z.unknown().optional() }) })])),
  webhookDeliveries: z.array(z.looseObject({ id: z.string(), state: z.string() })),
});

export interface VippsSandboxRecords {
  now: string;
  today: string;
  tokenRequests: number;
  agreements: SandboxAgreement[];
  charges: SandboxCharge[];
  receipts: SandboxReceipt[];
  webhookDeliveries: WebhookDelivery[];
  logins: SandboxLoginRecord[];
  qrCodes: SandboxQr[];
}

export interface ClockAdvance {
  days?: number;
  hours?: number;
  minutes?: number;
}

export interface VippsSandbox {
  router: Router;
  /** `${sandboxBaseUrl}${mountPath}`: the VippsClient / Login base URL. */
  baseUrl: string;
  /** A deep copy: callers cannot change sandbox state through it. */
  records(): VippsSandboxRecords;
  clock: {
    now(): Date;
    today(): string;
    /** Moves sandbox time forward and processes what became due, waiting for first webhook attempts. */
    advance(by: ClockAdvance): Promise<void>;
    set(at: Date | string): Promise<void>;
  };
  /** Runs processing at the current sandbox time (POST /_process). */
  process(): Promise<void>;
  /** Resolves when every webhook was delivered or given up. */
  webhooksIdle(): Promise<void>;
  /** Test controls (GET/POST/DELETE /_controls). */
  faults: SandboxFaults;
  /** Stops webhook retries and cuts off held calls. */
  close(): void;
}

/** The routes our product calls (merchant API, access token, Login token/userinfo); not pages, not /_ controls. */
const VIPPS_API_CALL = new RegExp(
  [
    '^/accesstoken/get$',
    '^/recurring/v3/',
    '^/order-management/',
    '^/qr/v1/merchant-redirect',
    `^${LOGIN_TOKEN_PATH}$`,
    `^${LOGIN_USERINFO_PATH}$`,
  ].join('|'),
);

const AdvanceSchema = z
  .strictObject({ days: z.number().min(0).optional(), hours: z.number().min(0).optional(), minutes: z.number().min(0).optional() })
  .refine((a) => a.days !== undefined || a.hours !== undefined || a.minutes !== undefined, 'give days, hours or minutes');
const SetClockSchema = z.strictObject({ now: z.iso.datetime({ offset: true }) });
const MaxAmountSchema = z.strictObject({ maxAmount: z.int().min(100).max(2_000_000) });

export function createVippsSandbox(ctx: SandboxContext, opts: VippsSandboxOptions): VippsSandbox {
  const mountPath = opts.mountPath ?? '/vipps';
  const baseUrl = ctx.sandboxBaseUrl.replace(/\/+$/, '') + mountPath;
  const userActionRequiredPhone = normalizePhone(opts.userActionRequiredPhone);
  if (!userActionRequiredPhone) throw new RangeError(`invalid userActionRequiredPhone ${opts.userActionRequiredPhone}`);

  const clock = new SandboxClock(Date.now, opts.clock ?? 'running');
  const users = new SandboxUsers(opts.loginUsers, normalizePhone);
  const faults = new SandboxFaults('vipps', { log: ctx.log });
  const dispatcher = new WebhookDispatcher({
    shouldDrop: () => faults.takeDropCallback(),
    url: opts.webhookUrl,
    secret: opts.webhookSecret,
    retryDelaysMs: opts.webhookRetryDelaysMs ?? [1_000, 5_000, 30_000, 120_000],
    timeoutMs: opts.webhookTimeoutMs ?? 5_000,
    log: ctx.log,
  });
  const settle = () => dispatcher.awaitFirstAttempts(opts.webhookAwaitMs ?? 2_000);
  const state = new RecurringState({
    clock,
    users,
    merchantSerialNumber: opts.merchantSerialNumber,
    userActionRequiredPhone,
    confirmationUrl: (id) => `${baseUrl}/_ui/agreements/${encodeURIComponent(id)}`,
    emit: (orderKey, eventType, payload) => {
      ctx.log(`vipps sandbox: ${eventType} ${String(payload.chargeId ?? payload.agreementId)}`);
      dispatcher.enqueue(orderKey, eventType, payload);
    },
  });
  const login = new SandboxLogin({ clientId: opts.clientId, clientSecret: opts.clientSecret, users, publicBaseUrl: baseUrl, log: ctx.log });
  const idem = new IdempotencyStore();
  const receipts = new Map<string, SandboxReceipt>();
  const qrs = new Map<string, SandboxQr>();

  // Access tokens are checked on real time: clients cache them by their own (real) clocks.
  const tokens = new Map<string, number>();
  let tokenRequests = 0;
  const tokenTtlSeconds = opts.tokenTtlSeconds ?? 3600;

  const saved = opts.persistence?.restore('vipps', VippsSaved);
  if (saved) {
    clock.restoreOffset(saved.clockOffsetMs);
    for (const a of saved.agreements as unknown as SandboxAgreement[]) state.agreements.set(a.id, a);
    for (const c of saved.charges as unknown as SandboxCharge[]) state.charges.set(c.id, c);
    for (const [id, r] of saved.receipts as unknown as Array<[string, SandboxReceipt]>) receipts.set(id, r);
    for (const [id, q] of saved.qrs as unknown as Array<[string, SandboxQr]>) qrs.set(id, q);
    for (const [token, expiresAt] of saved.tokens) tokens.set(token, expiresAt);
    tokenRequests = saved.tokenRequests;
    idem.restore(saved.idempotency as Array<[string, { fingerprint: string; reply: { status: number; body?: unknown } }]>);
    // A webhook cut off by the restart is not resumed: it shows as failed (the product polls the charge anyway).
    dispatcher.deliveries.push(...(saved.webhookDeliveries as unknown as WebhookDelivery[]).map((d) => (d.state === 'pending' ? { ...d, state: 'failed' as const } : d)));
  }
  opts.persistence?.track('vipps', () => ({
    clockOffsetMs: clock.offset,
    agreements: [...state.agreements.values()],
    charges: [...state.charges.values()],
    receipts: [...receipts.entries()],
    qrs: [...qrs.entries()],
    tokens: [...tokens.entries()],
    tokenRequests,
    idempotency: idem.entries(),
    webhookDeliveries: dispatcher.deliveries,
  }));

  const advance = async (by: ClockAdvance) => {
    clock.advance((by.days ?? 0) * DAY_MS + (by.hours ?? 0) * HOUR_MS + (by.minutes ?? 0) * MINUTE_MS);
    state.tick();
    await settle();
  };
  const setClock = async (at: Date | string) => {
    clock.set(typeof at === 'string' ? new Date(at) : at);
    state.tick();
    await settle();
  };
  const clockView = () => ({ now: clock.nowIso(), today: clock.today() });

  const router = Router();
  // Test controls first; API calls are the merchant API and token routes our product calls (not pages, not /_).
  router.use(faults.routes());
  router.use(faults.apiCalls((req) => VIPPS_API_CALL.test(req.path)));
  router.use(express.json());
  router.use(express.urlencoded({ extended: false }));

  router.post('/accesstoken/get', (req: Request, res: Response) => {
    tokenRequests++;
    const ok =
      req.get('client_id') === opts.clientId &&
      safeEqual(req.get('client_secret') ?? '', opts.clientSecret) &&
      req.get('ocp-apim-subscription-key') === opts.subscriptionKey &&
      (req.get('merchant-serial-number') ?? opts.merchantSerialNumber) === opts.merchantSerialNumber;
    if (!ok) {
      sendReply(res, { status: 401, body: problemBody(401, 'Unauthorized', req.originalUrl, 'Invalid client credentials or subscription key') });
      return;
    }
    const token = randomBytes(32).toString('base64url');
    const nowS = Math.floor(Date.now() / 1000);
    tokens.set(token, Date.now() + tokenTtlSeconds * 1000);
    res.json({
      token_type: 'Bearer',
      expires_in: String(tokenTtlSeconds),
      ext_expires_in: String(tokenTtlSeconds),
      expires_on: String(nowS + tokenTtlSeconds),
      not_before: String(nowS),
      resource: '00000002-0000-0000-c000-000000000000',
      access_token: token,
    });
  });

  // Browser-facing and test-control routes: no merchant credentials.
  router.use(confirmPageRoutes(state, settle, () => faults.takeBrowserNeverReturns()));
  router.use(login.routes());
  const qr = qrRoutes(qrs, idem, baseUrl);
  router.use(qr.public);

  router.get('/_clock', (_req, res) => {
    res.json(clockView());
  });
  router.post(
    '/_clock/advance',
    handle(async (req) => {
      await advance(parseBody(AdvanceSchema, req.body));
      return { status: 200, body: clockView() };
    }),
  );
  router.post(
    '/_clock/set',
    handle(async (req) => {
      await setClock(parseBody(SetClockSchema, req.body).now);
      return { status: 200, body: clockView() };
    }),
  );
  router.post(
    '/_process',
    handle(async () => {
      state.tick();
      await settle();
      return { status: 200, body: clockView() };
    }),
  );
  router.post(
    '/_agreements/:agreementId/max-amount',
    handle((req) => {
      const a = state.setUserMaxAmount(String(req.params.agreementId), parseBody(MaxAmountSchema, req.body).maxAmount);
      return { status: 200, body: state.toAgreementResponse(a) };
    }),
  );
  router.post(
    '/_agreements/:agreementId/user-stop',
    handle(async (req) => {
      const a = state.stop(String(req.params.agreementId), 'USER');
      await settle();
      return { status: 200, body: state.toAgreementResponse(a) };
    }),
  );
  router.get('/_records', (_req, res) => {
    res.json(records());
  });

  // Merchant API: Bearer token + subscription key.
  const auth = merchantAuth({
    subscriptionKey: opts.subscriptionKey,
    merchantSerialNumber: opts.merchantSerialNumber,
    isValidAccessToken: (t) => (tokens.get(t) ?? 0) > Date.now(),
  });
  router.use('/recurring/v3', auth, recurringRoutes(state, idem, settle));
  router.use('/order-management', auth);
  router.use(receiptRoutes(receipts));
  router.use('/qr/v1/merchant-redirect', auth);
  router.use(qr.merchant);

  // Malformed JSON and other parser errors become problems instead of Express's HTML page.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    sendReply(res, { status, body: problemBody(status, status === 400 ? 'Bad Request' : 'Internal Server Error', req.originalUrl, String((err as Error)?.message ?? err)) });
  });

  function records(): VippsSandboxRecords {
    return structuredClone({
      ...clockView(),
      tokenRequests,
      agreements: [...state.agreements.values()],
      charges: [...state.charges.values()],
      receipts: [...receipts.values()],
      webhookDeliveries: dispatcher.deliveries,
      logins: login.records,
      qrCodes: [...qrs.values()],
    });
  }

  return {
    router,
    baseUrl,
    records,
    clock: { now: () => clock.now(), today: () => clock.today(), advance, set: setClock },
    process: async () => {
      state.tick();
      await settle();
    },
    webhooksIdle: () => dispatcher.idle(),
    faults,
    close: () => {
      dispatcher.close();
      faults.close();
    },
  };
}
