/**
 * NETOPIA Payments v2 client (PROVIDERS.md §3): hosted-page card payments. start() opens an order and returns
 * NETOPIA's payment page; status() is the server-to-server truth; refund() credits a captured payment.
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
import { parseProviderAmount, toAmountString } from '../../domain/money';
import {
  JsonDecimal,
  NETOPIA_OK_CODES,
  NETOPIA_START_OK_CODES,
  NetopiaResponseSchema,
  netopiaOutcome,
  stringifyWithDecimals,
  type NetopiaCreditRequestOut,
  type NetopiaResponse,
  type NetopiaStartRequestOut,
  type NetopiaStatusRequest,
} from './wire';

export interface NetopiaClientConfig {
  /** e.g. https://secure-sandbox.netopia-payments.com, or `${sandboxBaseUrl}/netopia` offline. */
  baseUrl: string;
  /** Sent raw in Authorization (no "Bearer"). */
  apiKey: string;
  posSignature: string;
  /** posID for status/credit; the go-sdk sends the POS signature there, so that is the default. */
  posId?: string;
  language?: string;
  emailTemplate?: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  now?: () => Date;
}

/** A call NETOPIA answered, but not with success: code is NETOPIA's error.code (or the HTTP status). */
export class NetopiaApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(`NETOPIA ${code}: ${message}`);
    this.name = 'NetopiaApiError';
  }
}

function amountDigits(amount: string): JsonDecimal {
  return new JsonDecimal(cardAmount(amount));
}

export class NetopiaClient implements CardProvider {
  readonly name = 'netopia' as const;
  private readonly baseUrl: string;

  constructor(private readonly cfg: NetopiaClientConfig) {
    this.baseUrl = cfg.baseUrl.replace(/\/+$/, '');
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
      throw new NetopiaApiError('invalid_response', 'start answer lacks payment.ntpID or payment.paymentURL', 200);
    }
    return { providerRef: payment.ntpID, redirectUrl: payment.paymentURL };
  }

  async status(orderId: string, providerRef: string): Promise<CardPaymentStatus> {
    const body: NetopiaStatusRequest = { posID: this.posId, ntpID: providerRef, orderID: orderId };
    const res = await this.call('/operation/status', body);
    const payment = res.payment;
    if (!payment) throw new NetopiaApiError(res.error?.code ?? 'invalid_response', 'status answer lacks payment', 200);
    const amount = payment.amount ?? res.order?.amount;
    const currency = payment.currency ?? res.order?.currency;
    if (amount == null || !currency) {
      throw new NetopiaApiError('invalid_response', 'status answer lacks amount or currency', 200);
    }
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

  /** One JSON call: auth header, retries via httpRequest, non-2xx → NetopiaApiError, body → schema. */
  private async call(path: string, body: unknown): Promise<NetopiaResponse> {
    const res = await httpRequest({
      method: 'POST',
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.cfg.apiKey, 'content-type': 'application/json' },
      body: stringifyWithDecimals(body),
      timeoutMs: this.cfg.timeoutMs,
      retries: this.cfg.retries,
      retryBaseMs: this.cfg.retryBaseMs,
    });
    const parsed = NetopiaResponseSchema.safeParse(res.json);
    if (res.status < 200 || res.status >= 300) throw errorFrom(res, parsed.success ? parsed.data : undefined);
    if (!parsed.success) throw invalid(res, parsed.error);
    return parsed.data;
  }
}

function errorFrom(res: HttpResponse, body: NetopiaResponse | undefined): NetopiaApiError {
  const code = body?.error?.code ?? body?.code ?? String(res.status);
  const message = body?.error?.message || body?.message || res.text.slice(0, 200) || `HTTP ${res.status}`;
  return new NetopiaApiError(code, message, res.status);
}

function invalid(res: HttpResponse, error: z.ZodError): NetopiaApiError {
  return new NetopiaApiError('invalid_response', `unexpected NETOPIA answer: ${error.message}`, res.status);
}
