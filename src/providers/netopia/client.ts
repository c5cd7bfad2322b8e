/**
 * NETOPIA Payments v2 client (PROVIDERS.md §3): hosted-page card payments. start() opens an order and returns
 * NETOPIA's payment page; status() is the server-to-server truth; refund() credits a captured payment.
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
import { BoundedHttp, boundedOptions, type ProviderClientBounds } from '../bounded-http';
import type { HttpResponse } from '../http';
import { parseProviderAmount, toAmountString } from '../../domain/money';
import {
  JsonDecimal,
  NETOPIA_OK_CODES,
  NETOPIA_START_OK_CODES,
  NetopiaResponseSchema,
  netopiaOutcome,
  stringifyWithDecimals,
  type NetopiaCancelRequest,
  type NetopiaCreditRequestOut,
  type NetopiaResponse,
  type NetopiaStartRequestOut,
  type NetopiaStatusRequest,
} from './wire';

export interface NetopiaClientConfig extends ProviderClientBounds {
  /** e.g. https://secure-sandbox.netopia-payments.com, or `${sandboxBaseUrl}/netopia` offline. */
  baseUrl: string;
  /** Sent raw in Authorization (no "Bearer"). */
  apiKey: string;
  posSignature: string;
  /** posID for status/credit; the go-sdk sends the POS signature there, so that is the default. */
  posId?: string;
  language?: string;
  emailTemplate?: string;
  now?: () => Date;
}

/**
 * NETOPIA answered and refused: code is NETOPIA's error.code (or the HTTP status; 'not_found' for an order it
 * does not know). A ProviderRefusal, so it is never retried.
 */
export class NetopiaApiError extends ProviderRefusal {
  constructor(code: string, message: string, httpStatus: number) {
    super('netopia', code, `NETOPIA ${code}: ${message}`, httpStatus);
    this.name = 'NetopiaApiError';
  }
}

function amountDigits(amount: string): JsonDecimal {
  return new JsonDecimal(cardAmount(amount));
}

export class NetopiaClient implements CardProvider {
  readonly name = 'netopia' as const;
  private readonly baseUrl: string;
  readonly http: BoundedHttp;

  constructor(private readonly cfg: NetopiaClientConfig) {
    this.baseUrl = cfg.baseUrl.replace(/\/+$/, '');
    this.http = new BoundedHttp('netopia', boundedOptions(cfg));
  }

  private get posId(): string {
    return this.cfg.posId ?? this.cfg.posSignature;
  }

  /** Idempotent on orderId: NETOPIA (and our sandbox) answer a repeated orderID with the same payment. */
  async start(req: CardPaymentStart): Promise<CardPaymentStarted> {
    const body: NetopiaStartRequestOut = {
      config: {
        emailTemplate: this.cfg.emailTemplate ?? '',
        notifyUrl: req.notifyUrl,
        redirectUrl: req.returnUrl,
        language: this.cfg.language ?? 'ro',
      },
      payment: { options: { installments: 0, bonus: 0 }, instrument: { type: 'card' } },
      order: {
        ntpID: '',
        posSignature: this.cfg.posSignature,
        dateTime: (this.cfg.now?.() ?? new Date()).toISOString(),
        description: req.description,
        orderID: req.orderId,
        amount: amountDigits(req.amount),
        currency: req.currency,
      },
    };
    const res = await this.call('/payment/card/start', body);
    const code = res.error?.code;
    if (code !== undefined && !NETOPIA_START_OK_CODES.has(code)) {
      throw new NetopiaApiError(code, res.error?.message || 'start refused', 200);
    }
    const payment = res.payment;
    if (!payment?.ntpID || !payment.paymentURL) {
      throw new ProviderUnavailable('netopia', 'unexpected NETOPIA answer: start lacks payment.ntpID or payment.paymentURL');
    }
    return { providerRef: payment.ntpID, redirectUrl: payment.paymentURL };
  }

  async status(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    const body: NetopiaStatusRequest = { posID: this.posId, ntpID: providerRef, orderID: orderId };
    return this.statusFrom(orderId, await this.call('/operation/status', body));
  }

  /**
   * POST /operation/cancel is our sandbox's path; NETOPIA's real v2 cancel endpoint is UNCONFIRMED (not in
   * PROVIDERS.md): verify with NETOPIA before going live. Idempotent: cancelling a cancelled order changes
   * nothing, and an order already paid (a capture won the race), expired or refunded is left as it is. The answer
   * is the order's status after the call.
   */
  async void(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    const body: NetopiaCancelRequest = { posID: this.posId, ntpID: providerRef, orderID: orderId };
    return this.statusFrom(orderId, await this.call('/operation/cancel', body));
  }

  private statusFrom(orderId: string, res: NetopiaResponse): CardPaymentStatus {
    const payment = res.payment;
    if (!payment) {
      const code = res.error?.code;
      if (code && !NETOPIA_OK_CODES.has(code)) throw new NetopiaApiError(code, res.error?.message || 'status refused', 200);
      throw new ProviderUnavailable('netopia', 'unexpected NETOPIA answer: status lacks payment');
    }
    const amount = payment.amount ?? res.order?.amount;
    const currency = payment.currency ?? res.order?.currency;
    if (amount == null || !currency) throw new ProviderUnavailable('netopia', 'unexpected NETOPIA answer: status lacks amount or currency');
    const mapped = netopiaOutcome(payment.status, res.error?.code, res.error?.message);
    const panMasked = payment.instrument?.panMasked;
    return {
      orderId,
      providerRef: payment.ntpID,
      amount: toAmountString(parseProviderAmount(amount)),
      currency,
      ...mapped,
      ...(panMasked ? { cardLast4: maskPan(panMasked) } : {}),
    };
  }

  /**
   * POST /operation/credit is our sandbox's refund path; NETOPIA's real v2 refund endpoint is UNCONFIRMED
   * (not in PROVIDERS.md): verify with NETOPIA before going live. idempotencyKey makes retries safe.
   */
  async refund(req: CardRefundRequest): Promise<CardRefundResult> {
    const body: NetopiaCreditRequestOut = {
      posID: this.posId,
      ntpID: req.providerRef,
      orderID: req.orderId,
      amount: amountDigits(req.amount),
      idempotencyKey: req.idempotencyKey,
    };
    const res = await this.call('/operation/credit', body);
    const code = res.error?.code ?? '00';
    if (!NETOPIA_OK_CODES.has(code)) throw new NetopiaApiError(code, res.error?.message || 'refund refused', 200);
    const payment = res.payment;
    return {
      refundRef: payment?.refundID ?? `${req.providerRef}-${req.idempotencyKey}`,
      amount: toAmountString(payment?.amount != null ? parseProviderAmount(payment.amount) : req.amount),
    };
  }

  /**
   * One JSON call: auth header, retries via httpRequest. No answer, 5xx, 408, 429 → ProviderUnavailable; any other
   * non-2xx → NetopiaApiError (a ProviderRefusal); a 2xx that is not NETOPIA's JSON → ProviderUnavailable.
   */
  private async call(path: string, body: unknown): Promise<NetopiaResponse> {
    const res = await this.http.send({
      method: 'POST',
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.cfg.apiKey, 'content-type': 'application/json' },
      body: stringifyWithDecimals(body),
    });
    const parsed = NetopiaResponseSchema.safeParse(res.json);
    if (isUnavailableStatus(res.status)) throw new ProviderUnavailable('netopia', `${path} answered HTTP ${res.status}`);
    if (res.status < 200 || res.status >= 300) throw errorFrom(res, parsed.success ? parsed.data : undefined);
    if (!parsed.success) throw new ProviderUnavailable('netopia', `unexpected NETOPIA answer from ${path}: ${parsed.error.message}`);
    return parsed.data;
  }
}

function errorFrom(res: HttpResponse, body: NetopiaResponse | undefined): NetopiaApiError {
  const providerCode = body?.error?.code ?? body?.code ?? String(res.status);
  const message = body?.error?.message || body?.message || res.text.slice(0, 200) || `HTTP ${res.status}`;
  // An order NETOPIA does not know: one name for it across providers, NETOPIA's own code kept in the message.
  if (res.status === 404) return new NetopiaApiError('not_found', `${message} (${providerCode})`, res.status);
  return new NetopiaApiError(providerCode, message, res.status);
}
