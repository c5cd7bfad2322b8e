/**
 * Offline NETOPIA: the v2 JSON endpoints our client calls (same auth, same shapes), a hosted card page, and IPNs
 * signed the way NETOPIA signs them. The first IPN try goes before the browser is sent back; an undelivered IPN is
 * re-sent in the background on a real schedule (minutes to hours, compressible for tests). Test controls
 * (sandbox/faults.ts, /_orders/...) inject faults and provider-side events. State is in memory, and saved to
 * disk when the sandbox server is given a state directory (sandbox/persistence.ts).
 * Card numbers exist only inside one request: records, logs and pages hold maskPan() forms; CVVs are never kept.
 */
import { randomInt, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { formatMoney, layoutPage } from '../../src/api/pages-layout';
import { z } from 'zod';
import { hasAtMost2Decimals, money, parseProviderAmount, toAmountString } from '../../src/domain/money';
import { safeEqual } from '../../src/security/constant-time';
import { maskPan } from '../../src/providers/card-mask';
import { httpRequest } from '../../src/providers/http';
import type { SandboxContext } from '../context';
import type { SandboxPersistence } from '../persistence';
import { browserDonePage, SandboxFaults } from '../faults';
import { generateNetopiaKeyPair, signNetopiaIpnToken, type NetopiaKeyPair } from '../../src/providers/netopia/keys';
import {
  JsonDecimal,
  NETOPIA_STATUS,
  NetopiaCancelRequestSchema,
  NetopiaCreditRequestSchema,
  NetopiaIpnReplySchema,
  NetopiaStartRequestSchema,
  NetopiaStatusRequestSchema,
  stringifyWithDecimals,
} from '../../src/providers/netopia/wire';
import { NetopiaOrderEventSchema, NetopiaPayOrderSchema, NETOPIA_EVENT_STATUS, type NetopiaOrderEvent } from './controls';

export const NETOPIA_SANDBOX_DEFAULTS = {
  apiKey: 'sandbox-netopia-api-key',
  posSignature: 'SBOX-PARK-NTP1-2025-0001',
} as const;

export interface NetopiaSandboxOptions {
  apiKey?: string;
  posSignature?: string;
  /**
   * Wait before each IPN try (the first try included, usually 0); its length is the number of tries. Default
   * NETOPIA_IPN_SCHEDULE_MS: at once, 1 min, 5 min, 15 min, 1 h, 2 h, 4 h, 8 h, 24 h.
   */
  ipnScheduleMs?: number[];
  /** Multiplies every wait of the schedule, e.g. 0.001 to turn minutes into tens of ms (env NETOPIA_SANDBOX_IPN_TIME_SCALE). */
  ipnTimeScale?: number;
  ipnTimeoutMs?: number;
  /** An order nobody paid becomes status 23 (expired) after this long. */
  orderTtlMs?: number;
  keyPair?: NetopiaKeyPair;
  now?: () => Date;
  /** Keeps orders, records and the IPN signing key across restarts (sandbox/persistence.ts). */
  persistence?: SandboxPersistence;
}

/** What the Netopia sandbox saves: written by this file only, read back with a shape check. */
const NetopiaSaved = z.object({
  keyPair: z.object({ publicKeyPem: z.string(), privateKeyPem: z.string() }),
  orders: z.array(z.looseObject({ orderId: z.string(), ntpId: z.string(), refunds: z.array(z.tuple([z.string(), z.looseObject({ kind: z.literal('refund') })])) })),
  records: z.array(z.looseObject({ kind: z.string() })),
});

export interface NetopiaChargeRecord {
  kind: 'charge';
  key: string;
  orderId: string;
  ntpId: string;
  amount: string;
  currency: string;
  approved: boolean;
  errorCode: string;
  cardMasked: string;
  at: string;
}
export interface NetopiaRefundRecord {
  kind: 'refund';
  key: string;
  orderId: string;
  ntpId: string;
  refundId: string;
  amount: string;
  currency: string;
  at: string;
}
export interface NetopiaIpnTry {
  at: string;
  /** HTTP status, or 0 when there was no answer. */
  httpStatus: number;
  /** The merchant's errorType (0 ok, 1 re-send, 2 permanent), when it answered one. */
  errorType?: number;
  error?: string;
}
/** One IPN (one order status), with every try so far; updated in place while retries are pending. */
export interface NetopiaIpnRecord {
  kind: 'ipn';
  key: string;
  orderId: string;
  ntpId: string;
  status: number;
  attempts: number;
  tries: NetopiaIpnTry[];
  delivered: boolean;
  /** Dropped by the dropCallbacks test control: never sent, never retried. */
  dropped: boolean;
  /** No more tries will be made (delivered, dropped, refused permanently, schedule used up, sandbox closed). */
  done: boolean;
  at: string;
}
/** A provider-side event injected by the /_orders/:orderId/events control. */
export interface NetopiaEventRecord {
  kind: 'event';
  key: string;
  orderId: string;
  ntpId: string;
  event: NetopiaOrderEvent;
  status: number;
  amount: string;
  currency: string;
  at: string;
}
export interface NetopiaVoidRecord {
  kind: 'void';
  key: string;
  orderId: string;
  ntpId: string;
  at: string;
}
export type NetopiaSandboxRecord = NetopiaChargeRecord | NetopiaRefundRecord | NetopiaIpnRecord | NetopiaVoidRecord | NetopiaEventRecord;

/** NETOPIA's real IPN retry schedule is UNCONFIRMED: this is a realistic one (waits before each try). */
export const NETOPIA_IPN_SCHEDULE_MS: readonly number[] = [0, 60_000, 300_000, 900_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 86_400_000];

export interface NetopiaSandbox {
  router: Router;
  publicKeyPem: string;
  apiKey: string;
  posSignature: string;
  records(): NetopiaSandboxRecord[];
  charges(): NetopiaChargeRecord[];
  refunds(): NetopiaRefundRecord[];
  faults: SandboxFaults;
  /** Resolves when no IPN try is pending (for tests with a compressed schedule). */
  ipnsIdle(): Promise<void>;
  /** Stops pending IPN retries and cuts off held calls. */
  close(): void;
}

interface Order {
  orderId: string;
  ntpId: string;
  amount: string;
  currency: string;
  description: string;
  notifyUrl: string;
  redirectUrl: string;
  createdAt: number;
  status: number;
  code?: string;
  message?: string;
  cardMasked?: string;
  operationDate?: string;
  /** What was captured, when it differs from the order (the /_orders/:id/pay control can capture another amount). */
  paidAmount?: string;
  paidCurrency?: string;
  refunded: string;
  refunds: Map<string, NetopiaRefundRecord>;
}

/** PROVIDERS.md §3.3 sandbox cards; the accepted one needs CVV 111. Unknown cards: 35 declined. */
const TEST_CARDS: Record<string, { code: string; message: string }> = {
  '9900004810225098': { code: '00', message: 'Approved' },
  '9900541631437790': { code: '19', message: 'Expired card' },
  '9900518572831942': { code: '20', message: 'Insufficient funds' },
  '9900827979991500': { code: '21', message: 'CVV2/CVC2 error' },
  '9900005786662552': { code: '36', message: 'Transaction rejected by antifraud' },
  '9900576270414197': { code: '34', message: 'Transaction not allowed for this card' },
  '9900130597497640': { code: '99', message: 'Bank error' },
};
const ACCEPTED_CARD = '9900004810225098';
/** Orders the /_orders/:id/pay control may approve: the ones a card page would still take a card for. */
const PAYABLE_STATUSES: ReadonlySet<number> = new Set([NETOPIA_STATUS.NEW, NETOPIA_STATUS.OPENED, NETOPIA_STATUS.DECLINED, NETOPIA_STATUS.ERROR]);
/** Captured at some point: events (credit, reversal, chargeback) apply to these. */
const CAPTURED_STATUSES: ReadonlySet<number> = new Set([
  NETOPIA_STATUS.PAID,
  NETOPIA_STATUS.CONFIRMED,
  NETOPIA_STATUS.CREDIT,
  NETOPIA_STATUS.CHARGEBACK_INIT,
  NETOPIA_STATUS.CHARGEBACK_ACCEPT,
  NETOPIA_STATUS.CHARGEBACK_REPRESENTMENT,
  NETOPIA_STATUS.REVERSED,
]);
/** Unpaid orders a cancel call turns into 4 (CANCELED). */
const CANCELLABLE_STATUSES: ReadonlySet<number> = new Set([
  NETOPIA_STATUS.NEW,
  NETOPIA_STATUS.OPENED,
  NETOPIA_STATUS.DECLINED,
  NETOPIA_STATUS.ERROR,
]);
const PAID_STATUSES: ReadonlySet<number> = new Set([NETOPIA_STATUS.PAID, NETOPIA_STATUS.CONFIRMED, NETOPIA_STATUS.CREDIT]);

interface CardForm {
  pan: string;
  expMonth: number;
  expYear: number;
  cvv: string;
}

/** The page's fields: card_number, exp_month, exp_year (2 or 4 digits), cvv, name. A string is a form error. */
function readCardForm(body: unknown): CardForm | string {
  const f = (body ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string).trim() : '');
  const pan = str('card_number').replace(/[\s-]/g, '');
  const expMonth = Number(str('exp_month'));
  const yearText = str('exp_year');
  const expYear = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
  if (!/^\d{12,19}$/.test(pan)) return 'Card number must be 12 to 19 digits';
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) return 'Expiry month must be 1 to 12';
  if (!/^\d{2}(\d{2})?$/.test(yearText)) return 'Expiry year must be YY or YYYY';
  return { pan, expMonth, expYear, cvv: str('cvv') };
}

/** A card is good through the last day of its expiry month. */
function isPast(expMonth: number, expYear: number, now: Date): boolean {
  const y = now.getUTCFullYear();
  return expYear < y || (expYear === y && expMonth < now.getUTCMonth() + 1);
}

function decide(card: CardForm, now: Date): { code: string; message: string } {
  if (isPast(card.expMonth, card.expYear, now)) return { code: '19', message: 'Expired card' };
  const known = TEST_CARDS[card.pan];
  if (!known) return { code: '35', message: 'Transaction declined' };
  if (card.pan === ACCEPTED_CARD && card.cvv !== '111') return { code: '21', message: 'CVV2/CVC2 error' };
  return known;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Plain, script-free page for a mobile WebView: the shared phone layout (src/api/pages-layout.ts). */
function page(title: string, inner: string): string {
  return layoutPage(title, inner, { heading: null, footerHtml: 'NETOPIA sandbox: test cards only, nothing is charged.' });
}

function cardForm(order: Order, notice?: string): string {
  return page(
    'NETOPIA Payments sandbox',
    `<h1>NETOPIA Payments (sandbox)</h1>
<p>${esc(order.description)}</p><p class="amount">${esc(formatMoney(order.amount, order.currency))}</p>
${notice ? `<p class="notice">${esc(notice)}</p>` : ''}
<form method="post" action="${esc(order.ntpId)}" autocomplete="off">
<label>Card number<input name="card_number" inputmode="numeric" autocomplete="cc-number" required></label>
<div class="row"><label>Month<input name="exp_month" inputmode="numeric" placeholder="MM" required></label>
<label>Year<input name="exp_year" inputmode="numeric" placeholder="YYYY" required></label></div>
<label>CVV<input name="cvv" inputmode="numeric" autocomplete="cc-csc"></label>
<label>Name on card<input name="name" autocomplete="cc-name"></label>
<button type="submit">Pay ${esc(formatMoney(order.amount, order.currency))}</button></form>`,
  );
}

const CANCELLED_PAGE = page(
  'Cancelled',
  '<h1>This payment was cancelled</h1><p>The merchant cancelled this order. Your card has not been charged.</p>',
);

function returnUrl(order: Order): string {
  const url = new URL(order.redirectUrl);
  url.searchParams.set('orderId', order.orderId);
  return url.toString();
}

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(stringifyWithDecimals(body));
}

/** NETOPIA's error shape: code/message at the top (go-sdk ApiResponse) and in error{}. */
function sendError(res: Response, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message, error: { code, message } });
}

export function createNetopiaSandbox(ctx: SandboxContext, opts: NetopiaSandboxOptions = {}): NetopiaSandbox {
  const apiKey = opts.apiKey ?? NETOPIA_SANDBOX_DEFAULTS.apiKey;
  const posSignature = opts.posSignature ?? NETOPIA_SANDBOX_DEFAULTS.posSignature;
  const saved = opts.persistence?.restore('netopia', NetopiaSaved);
  // The saved key first: the API caches the public key it verifies IPNs with.
  const keys = opts.keyPair ?? saved?.keyPair ?? generateNetopiaKeyPair();
  const ipnSchedule = opts.ipnScheduleMs?.length ? opts.ipnScheduleMs : NETOPIA_IPN_SCHEDULE_MS;
  const ipnTimeScale = opts.ipnTimeScale ?? 1;
  const faults = new SandboxFaults('netopia', { log: ctx.log, refunds: true });
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const pendingIpns = new Set<Promise<void>>();
  let closed = false;
  /** A wait that close() ends early, so no timer outlives the sandbox. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });
  const orderTtlMs = opts.orderTtlMs ?? 60 * 60 * 1000;
  const now = opts.now ?? (() => new Date());

  const byOrderId = new Map<string, Order>();
  const byNtpId = new Map<string, Order>();
  const records: NetopiaSandboxRecord[] = [];
  for (const o of saved?.orders ?? []) {
    const order = { ...o, refunds: new Map(o.refunds) } as unknown as Order;
    byOrderId.set(order.orderId, order);
    byNtpId.set(order.ntpId, order);
  }
  records.push(...((saved?.records ?? []) as unknown as NetopiaSandboxRecord[]));
  opts.persistence?.track('netopia', () => ({
    keyPair: keys,
    orders: [...byOrderId.values()].map((o) => ({ ...o, refunds: [...o.refunds.entries()] })),
    records,
  }));

  // ctx is read at request time: tests learn the sandbox's address only after listen().
  const paymentUrl = (o: Order) => `${ctx.sandboxBaseUrl}/netopia/pay/${o.ntpId}`;

  function newNtpId(): string {
    let id: string;
    do id = String(randomInt(100_000_000, 999_999_999));
    while (byNtpId.has(id));
    return id;
  }

  function expireIfStale(o: Order): void {
    if (o.status === NETOPIA_STATUS.NEW && now().getTime() - o.createdAt > orderTtlMs) {
      o.status = NETOPIA_STATUS.EXPIRED;
      o.code = '23';
      o.message = 'Order expired';
    }
  }

  function paymentJson(o: Order, extra: Record<string, unknown> = {}) {
    return {
      method: 'card',
      ntpID: o.ntpId,
      status: o.status,
      amount: new JsonDecimal(o.paidAmount ?? o.amount),
      currency: o.paidCurrency ?? o.currency,
      paymentURL: paymentUrl(o),
      operationDate: o.operationDate ?? '',
      ...(o.cardMasked ? { instrument: { panMasked: o.cardMasked } } : {}),
      ...extra,
    };
  }

  /** The order's last card result; absent while nothing was tried (nothing to report yet). */
  function errorJson(o: Order) {
    if (PAID_STATUSES.has(o.status)) return { code: '00', message: 'Approved' };
    if (o.status === NETOPIA_STATUS.CANCELED) return { code: '04', message: 'Order cancelled by the merchant' };
    return o.code ? { code: o.code, message: o.message ?? '' } : undefined;
  }

  /**
   * Sends the IPN for the order's current status: the first try at once (the returned promise settles after it),
   * the rest in the background per the schedule until the merchant answers errorType 0 (or 2: a permanent no).
   */
  function sendIpn(o: Order): Promise<void> {
    const rawBody = stringifyWithDecimals({
      order: { orderID: o.orderId, ntpID: o.ntpId, amount: new JsonDecimal(o.amount), currency: o.currency },
      payment: { ...paymentJson(o), code: errorJson(o)?.code ?? '', message: errorJson(o)?.message ?? '' },
    });
    const token = signNetopiaIpnToken({ rawBody, posSignature, privateKeyPem: keys.privateKeyPem });
    const record: NetopiaIpnRecord = {
      kind: 'ipn',
      key: o.orderId,
      orderId: o.orderId,
      ntpId: o.ntpId,
      status: o.status,
      attempts: 0,
      tries: [],
      delivered: false,
      dropped: false,
      done: false,
      at: now().toISOString(),
    };
    records.push(record);
    if (faults.takeDropCallback()) {
      record.dropped = true;
      record.done = true;
      ctx.log(`netopia: IPN for ${o.orderId} status ${o.status} dropped (test control)`);
      return Promise.resolve();
    }
    let firstTried: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (firstTried = resolve));
    const run = (async () => {
      for (let i = 0; i < ipnSchedule.length && !record.delivered && !closed; i++) {
        await sleep(Math.round(ipnSchedule[i] * ipnTimeScale));
        if (closed) break;
        const stop = await tryIpn(o, record, rawBody, token);
        if (i === 0) firstTried();
        if (stop) break;
      }
      record.done = true;
      firstTried();
      ctx.log(`netopia: IPN for ${o.orderId} status ${o.status} ${record.delivered ? 'delivered' : 'NOT delivered'} after ${record.attempts} attempt(s)`);
    })();
    pendingIpns.add(run);
    void run.finally(() => pendingIpns.delete(run));
    return first;
  }

  /** One IPN try, recorded; true when no further try should follow. */
  async function tryIpn(o: Order, record: NetopiaIpnRecord, rawBody: string, token: string): Promise<boolean> {
    record.attempts++;
    const attempt: NetopiaIpnTry = { at: now().toISOString(), httpStatus: 0 };
    record.tries.push(attempt);
    try {
      const res = await httpRequest({
        method: 'POST',
        url: o.notifyUrl,
        headers: { 'content-type': 'application/json', 'verification-token': token },
        body: rawBody,
        retries: 0,
        timeoutMs: opts.ipnTimeoutMs ?? 5000,
      });
      attempt.httpStatus = res.status;
      const reply = NetopiaIpnReplySchema.safeParse(res.json);
      if (reply.success) attempt.errorType = reply.data.errorType;
      record.delivered = res.status >= 200 && res.status < 300 && reply.success && reply.data.errorType === 0;
      // errorType 2 = permanent: the merchant says a re-send cannot help.
      return record.delivered || (reply.success && reply.data.errorType === 2);
    } catch (err) {
      attempt.error = (err as Error).message;
      return false;
    }
  }

  const requireApiKey = (req: Request, res: Response, next: NextFunction) => {
    if (safeEqual(req.get('authorization') ?? '', apiKey)) return next();
    sendError(res, 401, '401', 'Invalid API key');
  };
  const json = express.json({ limit: '100kb' });
  const form = express.urlencoded({ extended: false, limit: '10kb' });
  const router = express.Router();
  // Test controls first: they need no API key, and the fault middleware sees API calls before anything else.
  router.use(faults.routes());
  router.use(faults.apiCalls((req) => req.path === '/payment/card/start' || req.path.startsWith('/operation/')));

  router.post('/payment/card/start', json, requireApiKey, (req, res) => {
    const parsed = NetopiaStartRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 400, '100', `invalid or missing parameters: ${parsed.error.message}`);
    const { config, order: o } = parsed.data;
    if (!safeEqual(o.posSignature, posSignature)) return sendError(res, 400, '100', 'unknown posSignature');
    const amount = parseProviderAmount(o.amount);
    if (!hasAtMost2Decimals(amount)) return sendError(res, 400, '32', 'amount has more than 2 decimals');
    const existing = byOrderId.get(o.orderID);
    if (existing) {
      // Idempotent on orderID: the same order again is the same payment; a different amount is another order.
      if (existing.amount !== toAmountString(amount) || existing.currency !== o.currency) {
        return sendError(res, 409, '99', 'another order with this orderID has a different amount');
      }
      return sendJson(res, 200, startAnswer(existing));
    }
    const order: Order = {
      orderId: o.orderID,
      ntpId: newNtpId(),
      amount: toAmountString(amount),
      currency: o.currency,
      description: o.description,
      notifyUrl: config.notifyUrl,
      redirectUrl: config.redirectUrl,
      createdAt: now().getTime(),
      status: NETOPIA_STATUS.NEW,
      refunded: '0.00',
      refunds: new Map(),
    };
    byOrderId.set(order.orderId, order);
    byNtpId.set(order.ntpId, order);
    ctx.log(`netopia: order ${order.orderId} (${order.amount} ${order.currency}) → ntpID ${order.ntpId}`);
    sendJson(res, 200, startAnswer(order));
  });

  function startAnswer(o: Order) {
    const error = PAID_STATUSES.has(o.status)
      ? { code: '00', message: 'Approved' }
      : { code: '101', message: 'Redirect user to payment page' };
    return { customerAction: {}, error, payment: paymentJson(o) };
  }

  /** Finds the order for status/credit calls; posID must be our POS signature (as the go-sdk sends it). */
  function findOrder(res: Response, posID: string, ntpID: string, orderID: string): Order | undefined {
    if (!safeEqual(posID, posSignature)) return void sendError(res, 400, '100', 'unknown posID');
    const o = byNtpId.get(ntpID);
    if (!o || o.orderId !== orderID) return void sendError(res, 404, '404', 'order not found');
    return o;
  }

  router.post('/operation/status', json, requireApiKey, (req, res) => {
    const parsed = NetopiaStatusRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 400, '100', `invalid or missing parameters: ${parsed.error.message}`);
    const o = findOrder(res, parsed.data.posID, parsed.data.ntpID, parsed.data.orderID);
    if (!o) return;
    expireIfStale(o);
    sendJson(res, 200, statusAnswer(o));
  });

  function statusAnswer(o: Order) {
    return {
      order: { orderID: o.orderId, ntpID: o.ntpId, amount: new JsonDecimal(o.amount), currency: o.currency, description: o.description },
      payment: paymentJson(o),
      ...(errorJson(o) ? { error: errorJson(o) } : {}),
    };
  }

  /**
   * Cancel (void) an unpaid order: NEW, OPENED, DECLINED or ERROR becomes 4 and no card can be taken on it any
   * more (a declined order is cancelled too, since its page still accepts another card). A paid, refunded,
   * expired or already cancelled order is left as it is. Answers like status, so the caller learns which.
   */
  router.post('/operation/cancel', json, requireApiKey, (req, res) => {
    const parsed = NetopiaCancelRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 400, '100', `invalid or missing parameters: ${parsed.error.message}`);
    const o = findOrder(res, parsed.data.posID, parsed.data.ntpID, parsed.data.orderID);
    if (!o) return;
    expireIfStale(o);
    if (CANCELLABLE_STATUSES.has(o.status)) {
      o.status = NETOPIA_STATUS.CANCELED;
      records.push({ kind: 'void', key: o.orderId, orderId: o.orderId, ntpId: o.ntpId, at: now().toISOString() });
      ctx.log(`netopia: order ${o.orderId} cancelled`);
    }
    sendJson(res, 200, statusAnswer(o));
  });

  router.post('/operation/credit', json, requireApiKey, (req, res) => {
    const parsed = NetopiaCreditRequestSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 400, '100', `invalid or missing parameters: ${parsed.error.message}`);
    const b = parsed.data;
    const o = findOrder(res, b.posID, b.ntpID, b.orderID);
    if (!o) return;
    const amount = parseProviderAmount(b.amount);
    if (!hasAtMost2Decimals(amount)) return sendError(res, 400, '32', 'amount has more than 2 decimals');
    const prior = o.refunds.get(b.idempotencyKey);
    if (prior) {
      // Same key, same amount: the refund already happened; answer as then. Same key, other amount: a bug upstream.
      if (prior.amount !== toAmountString(amount)) return sendError(res, 409, '56', 'duplicate request with a different amount');
      return sendJson(res, 200, creditAnswer(o, prior));
    }
    // 52: our sandbox's pick within NETOPIA's v1 credit-rule range (51–55) for "the processor refused the credit".
    if (faults.takeRefuseRefund()) {
      ctx.log(`netopia: credit on ${o.orderId} refused (test control)`);
      return sendError(res, 400, '52', 'credit refused by the processor');
    }
    // 51/53: our sandbox's picks within NETOPIA's v1 credit-rule range (51–55); real codes UNCONFIRMED.
    if (!PAID_STATUSES.has(o.status)) return sendError(res, 409, '51', 'order is not paid: nothing to credit');
    // What can go back is what was captured (the pay control may have captured another amount than the order's).
    const captured = o.paidAmount ?? o.amount;
    const left = money(captured).minus(o.refunded);
    if (amount.gt(left)) {
      return sendError(res, 400, '53', `credit ${toAmountString(amount)} exceeds the refundable ${toAmountString(left)}`);
    }
    const refund: NetopiaRefundRecord = {
      kind: 'refund',
      key: b.idempotencyKey,
      orderId: o.orderId,
      ntpId: o.ntpId,
      refundId: `ntp-credit-${randomUUID()}`,
      amount: toAmountString(amount),
      currency: o.currency,
      at: now().toISOString(),
    };
    o.refunds.set(b.idempotencyKey, refund);
    o.refunded = toAmountString(money(o.refunded).plus(amount));
    if (money(o.refunded).eq(captured)) o.status = NETOPIA_STATUS.CREDIT;
    records.push(refund);
    ctx.log(`netopia: credit ${refund.amount} ${o.currency} on ${o.orderId} (key ${b.idempotencyKey})`);
    sendJson(res, 200, creditAnswer(o, refund));
  });

  function creditAnswer(o: Order, r: NetopiaRefundRecord) {
    return {
      error: { code: '00', message: 'Credit accepted' },
      payment: { ntpID: o.ntpId, status: o.status, amount: new JsonDecimal(r.amount), currency: o.currency, refundID: r.refundId },
    };
  }

  router.get('/pay/:ntpId', (req, res) => {
    const o = byNtpId.get(req.params.ntpId);
    if (!o) return void res.status(404).send(page('Not found', '<h1>Payment not found</h1>'));
    expireIfStale(o);
    if (o.status === NETOPIA_STATUS.EXPIRED) {
      return void res.status(410).send(page('Expired', '<h1>This payment has expired</h1>'));
    }
    if (o.status === NETOPIA_STATUS.CANCELED) return void res.status(410).send(CANCELLED_PAGE);
    if (PAID_STATUSES.has(o.status)) {
      return void res.send(page('Paid', `<h1>Already paid</h1><a class="btn" href="${esc(returnUrl(o))}">Continue</a>`));
    }
    res.send(cardForm(o, o.code ? `Previous attempt: ${o.message}` : undefined));
  });

  router.post('/pay/:ntpId', form, async (req, res) => {
    const o = byNtpId.get(String(req.params.ntpId));
    if (!o) return void res.status(404).send(page('Not found', '<h1>Payment not found</h1>'));
    expireIfStale(o);
    if (o.status === NETOPIA_STATUS.EXPIRED) {
      return void res.status(410).send(page('Expired', '<h1>This payment has expired</h1>'));
    }
    // Cancelled by the merchant: the card is not charged, whatever was typed.
    if (o.status === NETOPIA_STATUS.CANCELED) return void res.status(410).send(CANCELLED_PAGE);
    // Already paid: never charge twice, just send the browser on.
    if (PAID_STATUSES.has(o.status)) return res.redirect(302, returnUrl(o));
    const card = readCardForm(req.body);
    if (typeof card === 'string') return void res.status(400).send(cardForm(o, card));

    // Decide and record synchronously, before any await, so a double submit sees the order already paid.
    const result = decide(card, now());
    const cardMasked = maskPan(card.pan);
    o.status = result.code === '00' ? NETOPIA_STATUS.PAID : NETOPIA_STATUS.DECLINED;
    o.code = result.code;
    o.message = result.message;
    o.cardMasked = cardMasked;
    o.operationDate = now().toISOString();
    records.push({
      kind: 'charge',
      key: o.orderId,
      orderId: o.orderId,
      ntpId: o.ntpId,
      amount: o.amount,
      currency: o.currency,
      approved: result.code === '00',
      errorCode: result.code,
      cardMasked,
      at: o.operationDate,
    });
    ctx.log(`netopia: card ${cardMasked} on ${o.orderId} → ${result.code} ${result.message}`);

    // NETOPIA notifies the merchant before the shopper is sent back, so the return page can already know.
    await sendIpn(o);
    if (faults.takeBrowserNeverReturns()) return void res.send(browserDonePage('NETOPIA'));
    res.redirect(302, returnUrl(o));
  });

  /** Approves the order server-side as the accepted test card would, optionally capturing another amount/currency. */
  router.post('/_orders/:orderId/pay', json, (req, res) => {
    const parsed = NetopiaPayOrderSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 400, '100', `invalid test control: ${parsed.error.message}`);
    const o = byOrderId.get(String(req.params.orderId));
    if (!o) return sendError(res, 404, '404', 'order not found');
    expireIfStale(o);
    if (!PAYABLE_STATUSES.has(o.status)) return sendError(res, 409, '99', `order has status ${o.status}: it cannot be paid`);
    o.status = NETOPIA_STATUS.PAID;
    o.code = '00';
    o.message = 'Approved';
    o.cardMasked = maskPan(ACCEPTED_CARD);
    o.operationDate = now().toISOString();
    if (parsed.data.amount !== undefined) o.paidAmount = toAmountString(parsed.data.amount);
    if (parsed.data.currency !== undefined) o.paidCurrency = parsed.data.currency;
    records.push({
      kind: 'charge',
      key: o.orderId,
      orderId: o.orderId,
      ntpId: o.ntpId,
      amount: o.paidAmount ?? o.amount,
      currency: o.paidCurrency ?? o.currency,
      approved: true,
      errorCode: '00',
      cardMasked: o.cardMasked,
      at: o.operationDate,
    });
    ctx.log(`netopia: order ${o.orderId} paid by test control (${o.paidAmount ?? o.amount} ${o.paidCurrency ?? o.currency})`);
    void sendIpn(o);
    sendJson(res, 200, statusAnswer(o));
  });

  /** Moves a captured order to 8 (credit), 17 (reversal) or 9 (chargeback), records it and sends the IPN. */
  router.post('/_orders/:orderId/events', json, (req, res) => {
    const parsed = NetopiaOrderEventSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 400, '100', `invalid test control: ${parsed.error.message}`);
    const o = byOrderId.get(String(req.params.orderId));
    if (!o) return sendError(res, 404, '404', 'order not found');
    if (!CAPTURED_STATUSES.has(o.status)) return sendError(res, 409, '51', `order has status ${o.status}: nothing was captured`);
    const { event } = parsed.data;
    const amount = toAmountString(parsed.data.amount ?? o.paidAmount ?? o.amount);
    o.status = NETOPIA_EVENT_STATUS[event];
    if (event === 'credit') o.refunded = toAmountString(money(o.refunded).plus(amount));
    records.push({ kind: 'event', key: o.orderId, orderId: o.orderId, ntpId: o.ntpId, event, status: o.status, amount, currency: o.paidCurrency ?? o.currency, at: now().toISOString() });
    ctx.log(`netopia: ${event} of ${amount} on ${o.orderId} (test control) → status ${o.status}`);
    void sendIpn(o);
    sendJson(res, 200, statusAnswer(o));
  });

  router.get('/public-key.pem', (_req, res) => void res.type('application/x-pem-file').send(keys.publicKeyPem));
  router.get('/_records', (_req, res) => void res.json(records));

  // Body-parser failures (bad JSON) in NETOPIA's error shape rather than express's HTML page.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status ?? 500;
    sendError(res, status, String(status), status < 500 ? 'invalid request' : 'internal error');
  });

  return {
    router,
    publicKeyPem: keys.publicKeyPem,
    apiKey,
    posSignature,
    records: () => structuredClone(records),
    charges: () => structuredClone(records.filter((r): r is NetopiaChargeRecord => r.kind === 'charge')),
    refunds: () => structuredClone(records.filter((r): r is NetopiaRefundRecord => r.kind === 'refund')),
    faults,
    ipnsIdle: async () => {
      while (pendingIpns.size > 0) await Promise.allSettled([...pendingIpns]);
    },
    close: () => {
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
      faults.close();
    },
  };
}
