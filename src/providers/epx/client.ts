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
import {
  cardAmount,
  type CardPaymentStart,
  type CardPaymentStarted,
  type CardPaymentStatus,
  type CardProvider,
  type CardRefundRequest,
  type CardRefundResult,
  isUnavailableStatus,
  ProviderRefusal,
  ProviderUnavailable,
} from '../card-provider';
import { maskPan } from '../card-mask';
import { BoundedHttp, boundedOptions, type ProviderClientBounds, type Send } from '../bounded-http';
import type { HttpResponse } from '../http';
import {
  EpxEnvelopeSchema,
  EpxTacResponseSchema,
  EpxXmlErrorSchema,
  epiId,
  epxSignature,
  epxTransactionOutcome,
  parseEpxXml,
  type EpxEnvelope,
  type EpxRefundRequest,
  type EpxTacRequest,
  type EpxTransaction,
  type EpxVoidRequest,
} from './wire';

export interface EpxClientConfig extends ProviderClientBounds {
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
}

/**
 * EPX answered and refused: code is EPX's error code (or the HTTP status; 'not_found' for an order or reference
 * it does not know). A ProviderRefusal, so it is never retried.
 */
export class EpxApiError extends ProviderRefusal {
  constructor(code: string, message: string, httpStatus: number) {
    super('epx', code, `EPX ${code}: ${message}`, httpStatus);
    this.name = 'EpxApiError';
  }
}

export class EpxClient implements CardProvider {
  readonly name = 'epx' as const;
  private readonly baseUrl: string;
  private readonly currency: string;
  readonly http: BoundedHttp;

  constructor(private readonly cfg: EpxClientConfig) {
    this.baseUrl = cfg.baseUrl.replace(/\/+$/, '');
    this.currency = cfg.currency ?? 'USD';
    this.http = new BoundedHttp('epx', boundedOptions(cfg));
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
    if (!tac.success) {
      const err = EpxXmlErrorSchema.safeParse(xml);
      if (err.success) throw new EpxApiError(err.data.ERROR_CODE, err.data.ERROR_MSG, res.status);
      throw new ProviderUnavailable('epx', 'unexpected EPX answer: key exchange lacks TAC');
    }
    const page = new URL(this.cfg.browserPostUrl ?? `${this.baseUrl}/browserpost/pay`);
    page.searchParams.set('TAC', tac.data.TAC);
    return { providerRef: tac.data.TAC, redirectUrl: page.toString() };
  }

  /** The server-to-server confirmation: the only thing that marks an EPX payment paid. */
  async status(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    return this.statusFrom(orderId, providerRef, await this.transaction(orderId));
  }

  /**
   * Cancels the sale so no card can be taken on it: POST /void/{ref} with the TAC (no sale yet: the Browser Post
   * page then refuses that TAC) or the BRIC. EPX documents /void in its JSON API; voiding an unused TAC is our
   * sandbox's rule and UNCONFIRMED for real EPX. Idempotent; an approved sale is left alone (a capture won the
   * race: the answer says 'paid'). The answer is the sale's status after the call.
   */
  async void(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    const body: EpxVoidRequest = { orderNumber: orderId };
    const env = await this.json('POST', `/void/${encodeURIComponent(providerRef)}`, JSON.stringify(body));
    if (!env.data) throw new ProviderUnavailable('epx', 'unexpected EPX answer: void lacks data');
    return this.statusFrom(orderId, providerRef, env.data);
  }

  private statusFrom(orderId: string, providerRef: string, txn: EpxTransaction): CardPaymentStatus {
    const mapped = epxTransactionOutcome(txn);
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
    // Lookup and refund are one call: they share one deadline.
    return this.http.call((send) => this.refundWith(req, send));
  }

  private async refundWith(req: CardRefundRequest, send: Send): Promise<CardRefundResult> {
    const txn = await this.transaction(req.orderId, send);
    if (txn.AUTH_RESP !== '00' || !txn.AUTH_GUID) {
      throw new EpxApiError('not_captured', `order ${req.orderId} has no approved sale to refund`, 409);
    }
    const body: EpxRefundRequest = { amount: cardAmount(req.amount), orderNumber: req.orderId, idempotencyKey: req.idempotencyKey };
    const env = await this.json('POST', `/refund/${encodeURIComponent(txn.AUTH_GUID)}`, JSON.stringify(body), send);
    const data = env.data;
    if (!data?.AUTH_GUID || data.AUTH_RESP !== '00') {
      if (!data?.AUTH_RESP) throw new ProviderUnavailable('epx', 'unexpected EPX answer: refund lacks AUTH_RESP');
      throw new EpxApiError(data.AUTH_RESP, data.AUTH_RESP_TEXT ?? 'refund not approved', 200);
    }
    return { refundRef: data.AUTH_GUID, amount: data.AUTH_AMOUNT ?? body.amount };
  }

  private async transaction(orderId: string, send?: Send): Promise<EpxTransaction> {
    const env = await this.json('GET', `/transactions/${encodeURIComponent(orderId)}`, '', send);
    if (!env.data) throw new ProviderUnavailable('epx', 'unexpected EPX answer: confirmation lacks data');
    return env.data;
  }

  /** Non-2xx → EpxApiError (404 → 'not_found'); a 2xx carrying errors[] is a refusal too. */
  private async json(method: 'GET' | 'POST', endpoint: string, body: string, send?: Send): Promise<EpxEnvelope> {
    const res = await this.signed(method, endpoint, body, 'application/json', send);
    const parsed = EpxEnvelopeSchema.safeParse(res.json);
    const first = parsed.success ? parsed.data.errors[0] : undefined;
    if (res.status < 200 || res.status >= 300) {
      const text = first?.text || res.text.slice(0, 200) || `HTTP ${res.status}`;
      if (res.status === 404) throw new EpxApiError('not_found', `${text} (${first?.code ?? '404'})`, res.status);
      throw new EpxApiError(first?.code ?? String(res.status), text, res.status);
    }
    if (!parsed.success) throw new ProviderUnavailable('epx', `unexpected EPX answer from ${endpoint}: ${parsed.error.message}`);
    if (first && !parsed.data.data) throw new EpxApiError(first.code, first.text || 'refused', res.status);
    return parsed.data;
  }

  /**
   * Every server call carries EPI-Id and an EPI-Signature over exactly the endpoint and body bytes sent. No
   * answer, 5xx, 408 and 429 are ProviderUnavailable; every other answer goes back to the caller to read.
   */
  private async signed(method: 'GET' | 'POST', endpoint: string, body: string, contentType: string, send?: Send): Promise<HttpResponse> {
    const res = await (send ?? ((r) => this.http.send(r)))({
      method,
      url: `${this.baseUrl}${endpoint}`,
      headers: {
        'EPI-Id': epiId(this.cfg),
        'EPI-Signature': epxSignature(this.cfg.epiKey, endpoint, body),
        ...(body ? { 'content-type': contentType } : {}),
      },
      body: body || undefined,
    });
    if (isUnavailableStatus(res.status)) throw new ProviderUnavailable('epx', `${endpoint} answered HTTP ${res.status}`);
    return res;
  }
}
