/**
 * Offline EPX: the EPI-signed key exchange, a Browser Post card page per TAC, the browser redirect back with the
 * response fields, the server-to-server confirmation and refunds by BRIC. State is in memory. Card numbers live
 * only inside one request: records, logs and pages hold maskPan() forms; CVVs are never kept.
 */
import { randomBytes, randomInt } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { formatMoney, layoutPage } from '../../src/api/pages-layout';
import { z } from 'zod';
import { money, toAmountString } from '../../src/domain/money';
import { safeEqual } from '../../src/security/constant-time';
import { maskPan } from '../../src/providers/card-mask';
import type { SandboxContext } from '../context';
import type { SandboxPersistence } from '../persistence';
import { browserDonePage, SandboxFaults } from '../faults';
import { EpxOrderEventSchema, EpxPayOrderSchema } from './controls';
import {
  EPX_APPROVED,
  EpxRefundRequestSchema,
  EpxTacRequestSchema,
  EpxVoidRequestSchema,
  epiId,
  epxSignature,
  toEpxXml,
  type EpxMerchant,
  type EpxTransaction,
} from '../../src/providers/epx/wire';

export const EPX_SANDBOX_DEFAULTS = {
  custNbr: '9001',
  merchNbr: '900300',
  dbaNbr: '2',
  terminalNbr: '21',
  epiKey: 'sandbox-epx-epi-key',
} as const;

export interface EpxSandboxOptions extends Partial<EpxMerchant> {
  epiKey?: string;
  now?: () => Date;
  /** Keeps transactions and records across restarts (sandbox/persistence.ts). */
  persistence?: SandboxPersistence;
}

/** What the EPX sandbox saves: written by this file only, read back with a shape check. */
const EpxSaved = z.object({
  txns: z.array(z.looseObject({ tranNbr: z.string(), tac: z.string(), refunds: z.array(z.tuple([z.string(), z.looseObject({ kind: z.literal('refund') })])) })),
  guids: z.array(z.tuple([z.string(), z.string()])),
  records: z.array(z.looseObject({ kind: z.string() })),
});

export interface EpxChargeRecord {
  kind: 'charge';
  key: string;
  tranNbr: string;
  amount: string;
  authResp: string;
  authGuid: string;
  cardMasked: string;
  at: string;
}
export interface EpxRefundRecord {
  kind: 'refund';
  key: string;
  tranNbr: string;
  origAuthGuid: string;
  authGuid: string;
  amount: string;
  at: string;
}
export interface EpxVoidRecord {
  kind: 'void';
  key: string;
  tranNbr: string;
  at: string;
}
/** A reversal or chargeback injected by the /_orders/:tranNbr/events control. */
export interface EpxEventRecord {
  kind: 'event';
  key: string;
  tranNbr: string;
  event: 'reversal' | 'chargeback';
  authGuid: string;
  at: string;
}
export type EpxSandboxRecord = EpxChargeRecord | EpxRefundRecord | EpxVoidRecord | EpxEventRecord;

export interface EpxSandbox {
  router: Router;
  merchant: EpxMerchant;
  epiKey: string;
  records(): EpxSandboxRecord[];
  charges(): EpxChargeRecord[];
  refunds(): EpxRefundRecord[];
  faults: SandboxFaults;
  /** Cuts off calls held by the timeoutNextCalls control. */
  close(): void;
}

interface Result {
  authResp: string;
  text: string;
  guid: string;
  authCode?: string;
  cardType: string;
  cardMasked: string;
}

interface Txn {
  tranNbr: string;
  tac: string;
  amount: string;
  /** What was captured when it differs from AMOUNT (the /_orders/:tranNbr/pay control). */
  capturedAmount?: string;
  redirectUrl: string;
  result?: Result;
  /** What happened since the sale (or to the unused TAC): reported as TRAN_STATE. */
  state?: 'VOID' | 'REFUNDED' | 'REVERSED' | 'CHARGEBACK';
  refunded: string;
  refunds: Map<string, EpxRefundRecord>;
}

/** The seed's only EPX card: approved with CVV '' and EXP 12/2025, which the sandbox accepts whatever today is. */
const SEED_CARD = '4000000000000002';
/** Browser Post carries no currency field: EPX is a US acquirer and the demo's EPX parking is priced in USD. */
const EPX_CURRENCY = 'USD';

const VOIDED_PAGE = `<h1>This payment was cancelled</h1><p>The merchant cancelled this sale. Your card has not been charged.</p>`;

interface CardForm {
  pan: string;
  expMonth: number;
  expYear: number;
}

/** Same field names as the NETOPIA page (card_number, exp_month, exp_year, cvv, name); CVV is read by nobody. */
function readCardForm(body: Record<string, unknown>): CardForm | string {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const pan = str('card_number').replace(/[\s-]/g, '');
  const expMonth = Number(str('exp_month'));
  const yearText = str('exp_year');
  if (!/^\d{12,19}$/.test(pan)) return 'Card number must be 12 to 19 digits';
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) return 'Expiry month must be 1 to 12';
  if (!/^\d{2}(\d{2})?$/.test(yearText)) return 'Expiry year must be YY or YYYY';
  return { pan, expMonth, expYear: yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText) };
}

function decide(card: CardForm, now: Date): { authResp: string; text: string } {
  const isSeedExpiry = card.expMonth === 12 && card.expYear === 2025;
  if (card.pan === SEED_CARD && isSeedExpiry) return { authResp: EPX_APPROVED, text: 'APPROVAL' };
  const y = now.getUTCFullYear();
  if (card.expYear < y || (card.expYear === y && card.expMonth < now.getUTCMonth() + 1)) {
    return { authResp: '54', text: 'EXPIRED CARD' };
  }
  if (card.pan === SEED_CARD) return { authResp: EPX_APPROVED, text: 'APPROVAL' };
  return { authResp: '05', text: 'DO NOT HONOR' };
}

/** A BRIC-like id: 19 upper-case alphanumerics (PROVIDERS.md §4.1 example 00DXDBWHB6WA5HJ3D71). */
function newGuid(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length: 19 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Plain, script-free page for a mobile WebView: the shared phone layout (src/api/pages-layout.ts). */
function page(title: string, inner: string): string {
  return layoutPage(title, inner, { heading: null, footerHtml: 'EPX sandbox: test cards only, nothing is charged.' });
}

function cardForm(t: Txn, notice?: string): string {
  return page(
    'EPX Browser Post sandbox',
    `<h1>Card payment (EPX sandbox)</h1><p class="amount">${esc(formatMoney(t.amount, EPX_CURRENCY))}</p>
${notice ? `<p class="notice">${esc(notice)}</p>` : ''}
<form method="post" action="pay" autocomplete="off"><input type="hidden" name="TAC" value="${esc(t.tac)}">
<label>Card number<input name="card_number" inputmode="numeric" autocomplete="cc-number" required></label>
<div class="row"><label>Month<input name="exp_month" inputmode="numeric" placeholder="MM" required></label>
<label>Year<input name="exp_year" inputmode="numeric" placeholder="YYYY" required></label></div>
<label>CVV<input name="cvv" inputmode="numeric" autocomplete="cc-csc"></label>
<label>Name on card<input name="name" autocomplete="cc-name"></label>
<button type="submit">Pay ${esc(formatMoney(t.amount, EPX_CURRENCY))}</button></form>`,
  );
}

/** REDIRECT_URL with EPX's response fields appended, as Browser Post returns them through the browser. */
function redirectWithResult(t: Txn, r: Result): string {
  const url = new URL(t.redirectUrl);
  const fields: Record<string, string | undefined> = {
    AUTH_RESP: r.authResp,
    AUTH_RESP_TEXT: r.text,
    AUTH_GUID: r.guid,
    AUTH_CODE: r.authCode,
    AUTH_CARD_TYPE: r.cardType,
    TRAN_NBR: t.tranNbr,
    AMOUNT: t.amount,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function txnData(t: Txn): EpxTransaction {
  const r = t.result;
  return {
    TRAN_NBR: t.tranNbr,
    TRAN_TYPE: 'CCE1',
    AMOUNT: t.amount,
    ...(t.state ? { TRAN_STATE: t.state } : {}),
    ...(r
      ? {
          AUTH_RESP: r.authResp,
          AUTH_RESP_TEXT: r.text,
          AUTH_GUID: r.guid,
          AUTH_CARD_TYPE: r.cardType,
          AUTH_MASKED_ACCOUNT_NBR: r.cardMasked,
          ...(r.authResp === EPX_APPROVED ? { AUTH_AMOUNT: t.capturedAmount ?? t.amount, AUTH_CODE: r.authCode } : {}),
        }
      : {}),
  };
}

const sendErrors = (res: Response, status: number, code: string, text: string) =>
  void res.status(status).json({ data: null, errors: [{ code, text }] });
const sendXml = (res: Response, status: number, fields: Record<string, string>) =>
  void res.status(status).type('application/xml').send(toEpxXml(fields));

/**
 * The exact body bytes for the signature check. Our own raw parser normally gets them; if a body parser mounted
 * before this router consumed the stream, re-encode the way EpxClient encodes (form → URLSearchParams, JSON →
 * JSON.stringify). Mount this router before any global body parser to keep the check byte-exact.
 */
function bodyText(req: Request): string {
  const body: unknown = req.body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body == null || (!req.headers['content-length'] && !req.headers['transfer-encoding'])) return '';
  if (req.is('application/x-www-form-urlencoded')) return new URLSearchParams(body as Record<string, string>).toString();
  return JSON.stringify(body);
}

export function createEpxSandbox(ctx: SandboxContext, opts: EpxSandboxOptions = {}): EpxSandbox {
  const merchant: EpxMerchant = {
    custNbr: opts.custNbr ?? EPX_SANDBOX_DEFAULTS.custNbr,
    merchNbr: opts.merchNbr ?? EPX_SANDBOX_DEFAULTS.merchNbr,
    dbaNbr: opts.dbaNbr ?? EPX_SANDBOX_DEFAULTS.dbaNbr,
    terminalNbr: opts.terminalNbr ?? EPX_SANDBOX_DEFAULTS.terminalNbr,
  };
  const epiKey = opts.epiKey ?? EPX_SANDBOX_DEFAULTS.epiKey;
  const now = opts.now ?? (() => new Date());
  const byTranNbr = new Map<string, Txn>();
  const byTac = new Map<string, Txn>();
  const byGuid = new Map<string, Txn>();
  const records: EpxSandboxRecord[] = [];
  const saved = opts.persistence?.restore('epx', EpxSaved);
  for (const t of saved?.txns ?? []) {
    const txn = { ...t, refunds: new Map(t.refunds) } as unknown as Txn;
    byTranNbr.set(txn.tranNbr, txn);
    byTac.set(txn.tac, txn);
  }
  for (const [guid, tranNbr] of saved?.guids ?? []) {
    const txn = byTranNbr.get(tranNbr);
    if (txn) byGuid.set(guid, txn);
  }
  records.push(...((saved?.records ?? []) as unknown as EpxSandboxRecord[]));
  opts.persistence?.track('epx', () => ({
    txns: [...byTranNbr.values()].map((t) => ({ ...t, refunds: [...t.refunds.entries()] })),
    guids: [...byGuid.entries()].map(([guid, t]) => [guid, t.tranNbr]),
    records,
  }));

  const raw = express.raw({ type: () => true, limit: '100kb' });
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  /** EPI-Id must be our merchant; EPI-Signature must be the HMAC of this endpoint (router-relative) + body. */
  const requireEpi = (req: Request, res: Response, next: NextFunction) => {
    const body = bodyText(req);
    const id = req.get('epi-id') ?? '';
    const sig = req.get('epi-signature') ?? '';
    if (!id || !sig) return sendErrors(res, 401, '401', 'missing EPI-Id or EPI-Signature');
    if (!safeEqual(id, epiId(merchant))) return sendErrors(res, 403, '403', 'EPI-Id is not permitted');
    if (!safeEqual(sig, epxSignature(epiKey, req.url, body))) {
      return sendErrors(res, 401, '401', 'the generated HMAC does not match the endpoint and JSON payload');
    }
    res.locals.bodyText = body;
    next();
  };

  const faults = new SandboxFaults('epx', { log: ctx.log, refunds: true });
  const router = express.Router();
  // Test controls first: no EPI signature needed, and the fault middleware sees API calls before anything else.
  router.use(faults.routes());
  router.use(
    faults.apiCalls((req) => req.path === '/browserpost/tac' || /^\/(transactions|refund|void)\//.test(req.path)),
  );

  router.post('/browserpost/tac', raw, requireEpi, (req, res) => {
    const fields = Object.fromEntries(new URLSearchParams(String(res.locals.bodyText)));
    const parsed = EpxTacRequestSchema.safeParse(fields);
    if (!parsed.success) return sendXml(res, 400, { ERROR_CODE: 'INVALID_REQUEST', ERROR_MSG: parsed.error.message });
    const f = parsed.data;
    const sameMerchant =
      f.CUST_NBR === merchant.custNbr && f.MERCH_NBR === merchant.merchNbr && f.DBA_NBR === merchant.dbaNbr && f.TERMINAL_NBR === merchant.terminalNbr;
    if (!sameMerchant) return sendXml(res, 403, { ERROR_CODE: 'MERCHANT_MISMATCH', ERROR_MSG: 'merchant key differs from EPI-Id' });
    const existing = byTranNbr.get(f.TRAN_NBR);
    if (existing) {
      // Idempotent on TRAN_NBR: a retried key exchange gets the same TAC; a new amount is a different sale.
      if (existing.amount !== f.AMOUNT) return sendXml(res, 409, { ERROR_CODE: 'DUPLICATE_TRAN_NBR', ERROR_MSG: 'TRAN_NBR already used with another AMOUNT' });
      return sendXml(res, 200, { TAC: existing.tac });
    }
    const txn: Txn = { tranNbr: f.TRAN_NBR, tac: randomBytes(24).toString('base64url'), amount: f.AMOUNT, redirectUrl: f.REDIRECT_URL, refunded: '0.00', refunds: new Map() };
    byTranNbr.set(txn.tranNbr, txn);
    byTac.set(txn.tac, txn);
    ctx.log(`epx: TAC issued for TRAN_NBR ${txn.tranNbr} (${txn.amount})`);
    sendXml(res, 200, { TAC: txn.tac });
  });

  router.get('/browserpost/pay', (req, res) => {
    const t = byTac.get(String(req.query.TAC ?? ''));
    if (!t) return void res.status(404).send(page('Not found', '<h1>Unknown or expired TAC</h1>'));
    if (t.state === 'VOID') return void res.status(410).send(page('Cancelled', VOIDED_PAGE));
    if (t.result?.authResp === EPX_APPROVED) {
      return void res.send(page('Paid', `<h1>Already paid</h1><a class="btn" href="${esc(redirectWithResult(t, t.result))}">Continue</a>`));
    }
    res.send(cardForm(t, t.result ? `Previous attempt: ${t.result.text}` : undefined));
  });

  router.post('/browserpost/pay', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const t = byTac.get(typeof body.TAC === 'string' ? body.TAC : '');
    if (!t) return void res.status(404).send(page('Not found', '<h1>Unknown or expired TAC</h1>'));
    // Voided by the merchant: nothing is charged, whatever was typed.
    if (t.state === 'VOID') return void res.status(410).send(page('Cancelled', VOIDED_PAGE));
    // Already approved: never charge twice; send the browser back with the original answer.
    if (t.result?.authResp === EPX_APPROVED) return res.redirect(302, redirectWithResult(t, t.result));
    const card = readCardForm(body);
    if (typeof card === 'string') return void res.status(400).send(cardForm(t, card));

    const d = decide(card, now());
    const result: Result = {
      authResp: d.authResp,
      text: d.text,
      guid: newGuid(),
      ...(d.authResp === EPX_APPROVED ? { authCode: String(randomInt(100000, 999999)) } : {}),
      cardType: card.pan.startsWith('4') ? 'V' : card.pan.startsWith('5') ? 'M' : 'O',
      cardMasked: maskPan(card.pan),
    };
    t.result = result;
    byGuid.set(result.guid, t);
    records.push({ kind: 'charge', key: t.tranNbr, tranNbr: t.tranNbr, amount: t.amount, authResp: d.authResp, authGuid: result.guid, cardMasked: result.cardMasked, at: now().toISOString() });
    ctx.log(`epx: card ${result.cardMasked} on ${t.tranNbr} → ${d.authResp} ${d.text}`);
    // browserNeverReturns: our /api/providers/epx/response never hears of this sale.
    if (faults.takeBrowserNeverReturns()) return void res.send(browserDonePage('EPX'));
    res.redirect(302, redirectWithResult(t, result));
  });

  /** Approves the sale as the seed card would, with no browser return; optionally capturing another amount. */
  router.post('/_orders/:tranNbr/pay', express.json({ limit: '10kb' }), (req, res) => {
    const parsed = EpxPayOrderSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendErrors(res, 400, 'INVALID_REQUEST', parsed.error.message);
    const t = byTranNbr.get(String(req.params.tranNbr));
    if (!t) return sendErrors(res, 404, '404', 'transaction not found');
    if (t.state || t.result?.authResp === EPX_APPROVED) return sendErrors(res, 409, 'NOT_PAYABLE', 'sale already approved or voided');
    if (parsed.data.amount !== undefined) t.capturedAmount = parsed.data.amount;
    const result: Result = {
      authResp: EPX_APPROVED,
      text: 'APPROVAL',
      guid: newGuid(),
      authCode: String(randomInt(100000, 999999)),
      cardType: 'V',
      cardMasked: maskPan(SEED_CARD),
    };
    t.result = result;
    byGuid.set(result.guid, t);
    const amount = t.capturedAmount ?? t.amount;
    records.push({ kind: 'charge', key: t.tranNbr, tranNbr: t.tranNbr, amount, authResp: EPX_APPROVED, authGuid: result.guid, cardMasked: result.cardMasked, at: now().toISOString() });
    ctx.log(`epx: ${t.tranNbr} approved by test control (${amount})`);
    res.json({ data: txnData(t), errors: [], reference: { bric: result.guid } });
  });

  /** Marks an approved sale reversed or charged back: what the transaction lookup reports from then on. */
  router.post('/_orders/:tranNbr/events', express.json({ limit: '10kb' }), (req, res) => {
    const parsed = EpxOrderEventSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendErrors(res, 400, 'INVALID_REQUEST', parsed.error.message);
    const t = byTranNbr.get(String(req.params.tranNbr));
    if (!t) return sendErrors(res, 404, '404', 'transaction not found');
    if (t.result?.authResp !== EPX_APPROVED) return sendErrors(res, 409, 'NOT_CAPTURED', 'no approved sale to reverse or charge back');
    const { event } = parsed.data;
    t.state = event === 'reversal' ? 'REVERSED' : 'CHARGEBACK';
    records.push({ kind: 'event', key: t.tranNbr, tranNbr: t.tranNbr, event, authGuid: t.result.guid, at: now().toISOString() });
    ctx.log(`epx: ${event} on ${t.tranNbr} (test control)`);
    res.json({ data: txnData(t), errors: [], reference: { bric: t.result.guid } });
  });

  router.get('/transactions/:tranNbr', raw, requireEpi, (req, res) => {
    const t = byTranNbr.get(String(req.params.tranNbr));
    if (!t) return sendErrors(res, 404, '404', 'transaction not found');
    res.json({ data: txnData(t), errors: [], reference: { bric: t.result?.guid ?? null } });
  });

  router.post('/refund/:bric', raw, requireEpi, (req, res) => {
    let json: unknown;
    try {
      json = JSON.parse(String(res.locals.bodyText));
    } catch {
      return sendErrors(res, 400, '400', 'body is not JSON');
    }
    const parsed = EpxRefundRequestSchema.safeParse(json);
    if (!parsed.success) return sendErrors(res, 400, '400', parsed.error.message);
    const b = parsed.data;
    const t = byGuid.get(String(req.params.bric));
    if (!t || t.result?.authResp !== EPX_APPROVED) return sendErrors(res, 404, '404', 'no approved sale with this BRIC');
    const prior = t.refunds.get(b.idempotencyKey);
    if (prior) {
      if (prior.amount !== b.amount) return sendErrors(res, 409, 'DUPLICATE_REQUEST', 'idempotencyKey reused with another amount');
      return res.json(refundAnswer(t, prior));
    }
    // EPX declines a refund like a sale: the envelope carries the transaction with a non-00 AUTH_RESP.
    if (faults.takeRefuseRefund()) {
      ctx.log(`epx: refund on ${t.tranNbr} declined (test control)`);
      const data: EpxTransaction = { TRAN_NBR: t.tranNbr, TRAN_TYPE: 'CCE9', AMOUNT: b.amount, AUTH_RESP: '05', AUTH_RESP_TEXT: 'REFUND DECLINED' };
      return void res.json({ data, errors: [], reference: { bric: null } });
    }
    // What can go back is what was captured (the pay control may have captured another amount than AMOUNT).
    const captured = t.capturedAmount ?? t.amount;
    const left = money(captured).minus(t.refunded);
    if (money(b.amount).lte(0) || money(b.amount).gt(left)) {
      return sendErrors(res, 422, 'AMOUNT_EXCEEDS_CAPTURED', `refund ${b.amount} exceeds the refundable ${toAmountString(left)}`);
    }
    const refund: EpxRefundRecord = { kind: 'refund', key: b.idempotencyKey, tranNbr: t.tranNbr, origAuthGuid: t.result.guid, authGuid: newGuid(), amount: b.amount, at: now().toISOString() };
    t.refunds.set(b.idempotencyKey, refund);
    t.refunded = toAmountString(money(t.refunded).plus(b.amount));
    if (money(t.refunded).eq(captured) && !t.state) t.state = 'REFUNDED';
    records.push(refund);
    ctx.log(`epx: refund ${b.amount} on ${t.tranNbr} (key ${b.idempotencyKey})`);
    res.json(refundAnswer(t, refund));
  });

  /**
   * Void by TAC (no sale yet, or a declined one: the page would still take another card) or by BRIC. An approved
   * sale is left alone and reported as it is (the caller then refunds it); voiding twice changes nothing.
   */
  router.post('/void/:ref', raw, requireEpi, (req, res) => {
    let json: unknown;
    try {
      json = JSON.parse(String(res.locals.bodyText));
    } catch {
      return sendErrors(res, 400, '400', 'body is not JSON');
    }
    const parsed = EpxVoidRequestSchema.safeParse(json);
    if (!parsed.success) return sendErrors(res, 400, '400', parsed.error.message);
    const ref = String(req.params.ref);
    const t = byTac.get(ref) ?? byGuid.get(ref);
    if (!t || t.tranNbr !== parsed.data.orderNumber) return sendErrors(res, 404, '404', 'no sale with this reference and order number');
    if (!t.state && t.result?.authResp !== EPX_APPROVED) {
      t.state = 'VOID';
      records.push({ kind: 'void', key: t.tranNbr, tranNbr: t.tranNbr, at: now().toISOString() });
      ctx.log(`epx: TRAN_NBR ${t.tranNbr} voided`);
    }
    res.json({ data: txnData(t), errors: [], reference: { bric: t.result?.guid ?? null } });
  });

  function refundAnswer(t: Txn, r: EpxRefundRecord) {
    const data: EpxTransaction = {
      TRAN_NBR: t.tranNbr,
      TRAN_TYPE: 'CCE9',
      AMOUNT: r.amount,
      AUTH_AMOUNT: r.amount,
      AUTH_RESP: EPX_APPROVED,
      AUTH_RESP_TEXT: 'APPROVAL',
      AUTH_GUID: r.authGuid,
      ORIG_AUTH_GUID: r.origAuthGuid,
    };
    return { data, errors: [], reference: { bric: r.authGuid } };
  }

  router.get('/_records', (_req, res) => void res.json(records));

  return {
    router,
    merchant,
    epiKey,
    records: () => structuredClone(records),
    charges: () => structuredClone(records.filter((r): r is EpxChargeRecord => r.kind === 'charge')),
    refunds: () => structuredClone(records.filter((r): r is EpxRefundRecord => r.kind === 'refund')),
    faults,
    close: () => faults.close(),
  };
}
