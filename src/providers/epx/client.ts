/**
 * EPX client (PROVIDERS.md §4), Browser Post flow: a server-to-server key exchange yields a TAC, the shopper
 * types the card on the browser-post page carrying that TAC, EPX redirects the browser back with the result,
 * and we confirm it server to server (status) before believing it. Refunds go by BRIC.
 *
 * Paths are our sandbox's: key exchange POST /browserpost/tac, page GET /browserpost/pay?TAC=, confirmation
 * GET /transactions/{TRAN_NBR}, refund POST /refund/{BRIC}. Real EPX runs the key exchange and Browser Post on
 * their own hosts (UAT Browser Post https://services.epxuap.com/browserpost/) and its JSON API (Custom Pay) on
 * another; the exact real paths and the EPI-Signature concatenation are UNCONFIRMED (§4.1): set browserPostUrl
 * and verify with EPX before going live.
 */
import type { z } from 'zod';
import {
  cardAmount,
  type CardPaymentStart,
  type CardPaymentStarted,
  type CardPaymentStatus,
  type CardProvider,
  type CardRefundRequest,
  type CardRefundResult,
} from '../card-provider';
import { maskPan } from '../card-mask';
import { httpRequest, type HttpResponse } from '../http';
import {
  EpxEnvelopeSchema,
  EpxTacResponseSchema,
  EpxXmlErrorSchema,
  epiId,
  epxOutcome,
  epxSignature,
  parseEpxXml,
  type EpxEnvelope,
  type EpxRefundRequest,
  type EpxTacRequest,
  type EpxTransaction,
} from './wire';

export interface EpxClientConfig {
  baseUrl: string;
  custNbr: string;
  merchNbr: string;
  dbaNbr: string;
  terminalNbr: string;
  /** Secret for EPI-Signature. */
  epiKey: string;
  /** The page the browser is sent to with ?TAC=; default `${baseUrl}/browserpost/pay`. */
  browserPostUrl?: string;
  /** An EPX merchant account settles one currency; default USD. */
  currency?: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
}

/** EPX refused or garbled a call: code is EPX's error code (or the HTTP status). */
export class EpxApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(`EPX ${code}: ${message}`);
    this.name = 'EpxApiError';
  }
}

export class EpxClient implements CardProvider {
  readonly name = 'epx' as const;
  private readonly baseUrl: string;
  private readonly currency: string;

  constructor(private readonly cfg: EpxClientConfig) {
    this.baseUrl = cfg.baseUrl.replace(/\/+$/, '');
    this.currency = cfg.currency ?? 'USD';
  }

  /** Idempotent on orderId (TRAN_NBR): the sandbox answers a repeated TRAN_NBR with the same TAC. */
  async start(req: CardPaymentStart): Promise<CardPaymentStarted> {
    if (req.currency !== this.currency) throw new RangeError(`EPX account settles ${this.currency}, not ${req.currency}`);
    const fields: EpxTacRequest = {
      CUST_NBR: this.cfg.custNbr,
      MERCH_NBR: this.cfg.merchNbr,
      DBA_NBR: this.cfg.dbaNbr,
      TERMINAL_NBR: this.cfg.terminalNbr,
      TRAN_NBR: req.orderId,
      TRAN_GROUP: 'SALE',
      AMOUNT: cardAmount(req.amount),
      REDIRECT_URL: req.returnUrl,
    };
    const res = await this.signed('POST', '/browserpost/tac', new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
    const xml = parseEpxXml(res.text);
    if (res.status < 200 || res.status >= 300) {
      const err = EpxXmlErrorSchema.safeParse(xml);
      throw new EpxApiError(err.success ? err.data.ERROR_CODE : String(res.status), err.success ? err.data.ERROR_MSG : `HTTP ${res.status}`, res.status);
    }
    const tac = EpxTacResponseSchema.safeParse(xml);
    if (!tac.success) throw new EpxApiError('invalid_response', 'key exchange answer lacks TAC', res.status);
    const page = new URL(this.cfg.browserPostUrl ?? `${this.baseUrl}/browserpost/pay`);
    page.searchParams.set('TAC', tac.data.TAC);
    return { providerRef: tac.data.TAC, redirectUrl: page.toString() };
  }

  /** The server-to-server confirmation: the only thing that marks an EPX payment paid. */
  async status(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    const txn = await this.transaction(orderId);
    const mapped = epxOutcome(txn.AUTH_RESP, txn.AUTH_RESP_TEXT);
    return {
      orderId,
      // Once processed, the BRIC is the reference that refunds and EPX support use.
      providerRef: txn.AUTH_GUID || providerRef,
      amount: txn.AUTH_AMOUNT ?? txn.AMOUNT,
      currency: this.currency,
      ...mapped,
      ...(txn.AUTH_MASKED_ACCOUNT_NBR ? { cardLast4: maskPan(txn.AUTH_MASKED_ACCOUNT_NBR) } : {}),
    };
  }

  /** Looks the sale up first, so it works whichever reference (TAC or BRIC) the caller kept. */
  async refund(req: CardRefundRequest): Promise<CardRefundResult> {
    const txn = await this.transaction(req.orderId);
    if (txn.AUTH_RESP !== '00' || !txn.AUTH_GUID) {
      throw new EpxApiError('not_captured', `order ${req.orderId} has no approved sale to refund`, 409);
    }
    const body: EpxRefundRequest = { amount: cardAmount(req.amount), orderNumber: req.orderId, idempotencyKey: req.idempotencyKey };
    const env = await this.json('POST', `/refund/${encodeURIComponent(txn.AUTH_GUID)}`, JSON.stringify(body));
    const data = env.data;
    if (!data?.AUTH_GUID || data.AUTH_RESP !== '00') {
      throw new EpxApiError(data?.AUTH_RESP ?? 'invalid_response', data?.AUTH_RESP_TEXT ?? 'refund not approved', 200);
    }
    return { refundRef: data.AUTH_GUID, amount: data.AUTH_AMOUNT ?? body.amount };
  }

  private async transaction(orderId: string): Promise<EpxTransaction> {
    const env = await this.json('GET', `/transactions/${encodeURIComponent(orderId)}`, '');
    if (!env.data) throw new EpxApiError('invalid_response', 'confirmation lacks data', 200);
    return env.data;
  }

  private async json(method: 'GET' | 'POST', endpoint: string, body: string): Promise<EpxEnvelope> {
    const res = await this.signed(method, endpoint, body, 'application/json');
    const parsed = EpxEnvelopeSchema.safeParse(res.json);
    if (res.status < 200 || res.status >= 300) {
      const first = parsed.success ? parsed.data.errors[0] : undefined;
      throw new EpxApiError(first?.code ?? String(res.status), first?.text || res.text.slice(0, 200) || `HTTP ${res.status}`, res.status);
    }
    if (!parsed.success) throw invalid(res, parsed.error);
    return parsed.data;
  }

  /** Every server call carries EPI-Id and an EPI-Signature over exactly the endpoint and body bytes sent. */
  private signed(method: 'GET' | 'POST', endpoint: string, body: string, contentType: string): Promise<HttpResponse> {
    return httpRequest({
      method,
      url: `${this.baseUrl}${endpoint}`,
      headers: {
        'EPI-Id': epiId(this.cfg),
        'EPI-Signature': epxSignature(this.cfg.epiKey, endpoint, body),
        ...(body ? { 'content-type': contentType } : {}),
      },
      body: body || undefined,
      timeoutMs: this.cfg.timeoutMs,
      retries: this.cfg.retries,
      retryBaseMs: this.cfg.retryBaseMs,
    });
  }
}

function invalid(res: HttpResponse, error: z.ZodError): EpxApiError {
  return new EpxApiError('invalid_response', `unexpected EPX answer: ${error.message}`, res.status);
}
