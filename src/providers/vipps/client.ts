import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { BoundedHttp, boundedOptions, type ProviderClientBounds } from '../bounded-http';
import type { HttpRequest, HttpResponse } from '../http';
import {
  AccessTokenResponseSchema,
  AgreementResponseSchema,
  ChargeResponseSchema,
  CreateChargeResponseSchema,
  DraftAgreementResponseSchema,
  IdempotencyKeySchema,
  MerchantRedirectQrResponseSchema,
  ProblemSchema,
  type AgreementResponse,
  type ChargeResponse,
  type CreateChargeRequest,
  type DraftAgreementRequest,
  type MerchantRedirectQrResponse,
  type Receipt,
  type ReceiptPaymentType,
  type VippsCurrency,
} from './wire';

/**
 * Server-to-server client for Vipps MobilePay: access token, Recurring v3, Order Management receipts
 * and merchant-redirect QR. Amounts are integer øre here (callers convert with wire.ts toOre); every
 * response is validated with the zod schemas in wire.ts so nothing unchecked leaves this file.
 */

export interface VippsClientOptions extends ProviderClientBounds {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
  merchantSerialNumber: string;
  /** Vipps-System-Name header (≤30 chars): lets Vipps support identify our integration. */
  systemName?: string;
  systemVersion?: string;
  // timeoutMs/retries/deadlineMs (ProviderClientBounds): quick retries of network/5xx/429 reuse the SAME idempotency key.
  /** Injected for tests of the token cache. */
  now?: () => number;
}

/** A 4xx/5xx from Vipps, mapped from its RFC 7807 problem body when there is one. */
export class VippsApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extraDetails: Array<{ field?: string; text?: string }>;
  readonly type: string | undefined;
  readonly contextId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    title: string;
    detail?: string;
    extraDetails?: Array<{ field?: string; text?: string }>;
    type?: string;
    contextId?: string;
    retryAfterSeconds?: number;
    method: string;
    path: string;
  }) {
    super(`Vipps ${init.method} ${init.path} → ${init.status} ${init.title}${init.detail ? `: ${init.detail}` : ''}`);
    this.name = 'VippsApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.extraDetails = init.extraDetails ?? [];
    this.type = init.type;
    this.contextId = init.contextId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** 4xx other than 408/429 will not change on retry (Vipps binds 4xx results to the key). */
  get isPermanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/** A 2xx whose body does not match the documented shape: a contract break, never retried blindly. */
export class VippsResponseError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'VippsResponseError';
  }
}

export class InvalidIdempotencyKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid Vipps Idempotency-Key ${JSON.stringify(key)}: 1–40 chars without # ? / \\`);
    this.name = 'InvalidIdempotencyKeyError';
  }
}

/** Throws before any request goes out: Vipps would answer 400 and bind nothing to the key. */
export function assertIdempotencyKey(key: string): void {
  if (!IdempotencyKeySchema.safeParse(key).success) throw new InvalidIdempotencyKeyError(key);
}

/** A stable key for calls that are naturally idempotent by resource (receipt per order, QR per id). */
export function derivedIdempotencyKey(prefix: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('base64url');
  return `${prefix}-${digest}`.slice(0, 40);
}

export function problemToError(res: HttpResponse, method: string, path: string): VippsApiError {
  const parsed = ProblemSchema.safeParse(res.json);
  const retryAfter = Number(res.headers.get('retry-after'));
  const common = {
    status: res.status,
    method,
    path,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
  if (!parsed.success) {
    return new VippsApiError({ ...common, title: `HTTP ${res.status}`, detail: res.text.slice(0, 500) || undefined });
  }
  const p = parsed.data;
  return new VippsApiError({
    ...common,
    title: p.title ?? `HTTP ${res.status}`,
    detail: p.detail ?? undefined,
    type: p.type,
    contextId: p.contextId ?? p.traceId ?? undefined,
    extraDetails: (p.extraDetails ?? []).map((d) => ({ field: d.field ?? undefined, text: d.text ?? undefined })),
  });
}

export interface DraftAgreementInput {
  phoneNumber?: string;
  productName: string;
  productDescription?: string;
  suggestedMaxAmountMinor: number;
  currency: VippsCurrency;
  merchantRedirectUrl: string;
  merchantAgreementUrl: string;
  externalId?: string;
  idempotencyKey: string;
}

export interface DraftAgreementResult {
  agreementId: string;
  vippsConfirmationUrl: string;
  uuid: string;
}

export interface CreateChargeInput {
  amountMinor: number;
  description: string;
  /** YYYY-MM-DD; at least one day ahead. */
  due: string;
  retryDays: number;
  /** Becomes the chargeId when given (unique per MSN), e.g. our `<sessionDay>` order id. */
  orderId?: string;
  externalId?: string;
  transactionType: 'DIRECT_CAPTURE';
}

export interface RefundChargeInput {
  amountMinor: number;
  description: string;
}

export type ReceiptResult = 'created' | 'already_exists';

type Method = HttpRequest['method'];

interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
  /** Statuses that are not errors for this call (e.g. 409 for receipts). */
  accept?: number[];
}

interface CachedToken {
  token: string;
  /** Epoch ms after which we fetch a new one (before the real expiry). */
  refreshAt: number;
}

export class VippsClient {
  private readonly baseUrl: string;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private inflightToken: Promise<string> | undefined;
  /** Deadline, quick retries and circuit breaker: no answer in time is ProviderUnavailable. */
  readonly http: BoundedHttp;

  constructor(private readonly opts: VippsClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.http = new BoundedHttp('vipps', boundedOptions(opts));
  }

  // ---- Access token ----------------------------------------------------------------------------

  /**
   * Tokens last 1 h (test) / 24 h (prod) and may be reused; we refresh a little before expiry so a
   * call never leaves with a token that expires in flight. Concurrent callers share one fetch.
   */
  async accessToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    if (!this.inflightToken) {
      this.inflightToken = this.fetchToken().finally(() => {
        this.inflightToken = undefined;
      });
    }
    return this.inflightToken;
  }

  private async fetchToken(): Promise<string> {
    const path = '/accesstoken/get';
    const res = await this.http.send({
      method: 'POST',
      url: this.baseUrl + path,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        client_id: this.opts.clientId,
        client_secret: this.opts.clientSecret,
        'ocp-apim-subscription-key': this.opts.subscriptionKey,
        'merchant-serial-number': this.opts.merchantSerialNumber,
        ...this.systemHeaders(),
      },
      body: '',
    });
    if (res.status !== 200) throw problemToError(res, 'POST', path);
    const token = this.parse(AccessTokenResponseSchema, res, path);
    const lifetimeMs = Number(token.expires_in) * 1000;
    // Margin: 5 minutes, but never more than a tenth of the lifetime (short sandbox tokens).
    const margin = Math.min(5 * 60_000, lifetimeMs / 10);
    this.cached = { token: token.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return token.access_token;
  }

  /** Drops the cached token, e.g. after a 401 caused by key rotation. */
  invalidateToken(): void {
    this.cached = undefined;
  }

  // ---- Recurring v3: agreements ------------------------------------------------------------------

  async draftAgreement(input: DraftAgreementInput): Promise<DraftAgreementResult> {
    const body: DraftAgreementRequest = {
      pricing: { type: 'VARIABLE', currency: input.currency, suggestedMaxAmount: input.suggestedMaxAmountMinor },
      // Pay-as-you-go: one daily interval, the user's maxAmount caps each day's charge.
      interval: { unit: 'DAY', count: 1 },
      merchantRedirectUrl: input.merchantRedirectUrl,
      merchantAgreementUrl: input.merchantAgreementUrl,
      productName: input.productName,
      ...(input.productDescription !== undefined ? { productDescription: input.productDescription } : {}),
      ...(input.phoneNumber !== undefined ? { phoneNumber: input.phoneNumber } : {}),
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
    };
    const res = await this.call('POST', '/recurring/v3/agreements', { body, idempotencyKey: input.idempotencyKey });
    const data = this.parse(DraftAgreementResponseSchema, res, '/recurring/v3/agreements');
    return { agreementId: data.agreementId, vippsConfirmationUrl: data.vippsConfirmationUrl, uuid: data.uuid };
  }

  async getAgreement(agreementId: string): Promise<AgreementResponse> {
    const path = `/recurring/v3/agreements/${encodeURIComponent(agreementId)}`;
    return this.parse(AgreementResponseSchema, await this.call('GET', path), path);
  }

  /** Irreversible. `status` is sent alone because Vipps rejects a stop combined with other updates. */
  async stopAgreement(agreementId: string, idempotencyKey: string): Promise<void> {
    const path = `/recurring/v3/agreements/${encodeURIComponent(agreementId)}`;
    await this.call('PATCH', path, { body: { status: 'STOPPED' }, idempotencyKey });
  }

  /** Test environment only: accepts a PENDING agreement as if the user did it in the app. */
  async forceAcceptAgreement(agreementId: string, phoneNumber: string, idempotencyKey: string): Promise<void> {
    const path = `/recurring/v3/agreements/${encodeURIComponent(agreementId)}/accept`;
    await this.call('PATCH', path, { body: { phoneNumber }, idempotencyKey });
  }

  // ---- Recurring v3: charges -----------------------------------------------------------------------

  async createCharge(agreementId: string, input: CreateChargeInput, idempotencyKey: string): Promise<{ chargeId: string }> {
    const path = `/recurring/v3/agreements/${encodeURIComponent(agreementId)}/charges`;
    const body: CreateChargeRequest = {
      amount: input.amountMinor,
      transactionType: input.transactionType,
      description: input.description,
      due: input.due,
      retryDays: input.retryDays,
      ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
    };
    const res = await this.call('POST', path, { body, idempotencyKey });
    return { chargeId: this.parse(CreateChargeResponseSchema, res, path).chargeId };
  }

  async getCharge(agreementId: string, chargeId: string): Promise<ChargeResponse> {
    const path = this.chargePath(agreementId, chargeId);
    return this.parse(ChargeResponseSchema, await this.call('GET', path), path);
  }

  /** Cancels a PENDING/DUE/RESERVED charge (DELETE). */
  async cancelCharge(agreementId: string, chargeId: string, idempotencyKey: string): Promise<void> {
    await this.call('DELETE', this.chargePath(agreementId, chargeId), { idempotencyKey });
  }

  async refundCharge(
    agreementId: string,
    chargeId: string,
    input: RefundChargeInput,
    idempotencyKey: string,
  ): Promise<void> {
    const path = `${this.chargePath(agreementId, chargeId)}/refund`;
    await this.call('POST', path, { body: { amount: input.amountMinor, description: input.description }, idempotencyKey });
  }

  // ---- Order Management --------------------------------------------------------------------------

  /**
   * Receipts are immutable: 409 means one already exists for the order, which for a retried send is
   * success. The key defaults to one derived from the order so a retry is the same request.
   */
  async sendReceipt(
    paymentType: ReceiptPaymentType,
    orderId: string,
    receipt: Receipt,
    idempotencyKey: string = derivedIdempotencyKey('rcpt', paymentType, orderId),
  ): Promise<ReceiptResult> {
    const path = `/order-management/v2/${paymentType}/receipts/${encodeURIComponent(orderId)}`;
    const res = await this.call('POST', path, { body: receipt, idempotencyKey, accept: [409] });
    return res.status === 409 ? 'already_exists' : 'created';
  }

  // ---- QR -------------------------------------------------------------------------------------------

  async createMerchantRedirectQr(
    input: { id: string; redirectUrl: string },
    idempotencyKey: string = derivedIdempotencyKey('qr', input.id, input.redirectUrl),
  ): Promise<MerchantRedirectQrResponse> {
    const path = '/qr/v1/merchant-redirect';
    const res = await this.call('POST', path, { body: { id: input.id, redirectUrl: input.redirectUrl }, idempotencyKey });
    return this.parse(MerchantRedirectQrResponseSchema, res, path);
  }

  async getMerchantRedirectQr(id: string): Promise<MerchantRedirectQrResponse> {
    const path = `/qr/v1/merchant-redirect/${encodeURIComponent(id)}`;
    return this.parse(MerchantRedirectQrResponseSchema, await this.call('GET', path), path);
  }

  // ---- Plumbing ---------------------------------------------------------------------------------------

  private chargePath(agreementId: string, chargeId: string): string {
    return `/recurring/v3/agreements/${encodeURIComponent(agreementId)}/charges/${encodeURIComponent(chargeId)}`;
  }

  private systemHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.opts.systemName) h['vipps-system-name'] = this.opts.systemName.slice(0, 30);
    if (this.opts.systemVersion) h['vipps-system-version'] = this.opts.systemVersion.slice(0, 30);
    return h;
  }

  private async call(method: Method, path: string, options: CallOptions = {}): Promise<HttpResponse> {
    const mutating = method !== 'GET';
    if (mutating) {
      if (options.idempotencyKey === undefined) throw new InvalidIdempotencyKeyError('');
      assertIdempotencyKey(options.idempotencyKey);
    }
    const send = async (): Promise<HttpResponse> =>
      this.http.send({
        method,
        url: this.baseUrl + path,
        headers: {
          authorization: `Bearer ${await this.accessToken()}`,
          'ocp-apim-subscription-key': this.opts.subscriptionKey,
          'merchant-serial-number': this.opts.merchantSerialNumber,
          ...(mutating && options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
          ...this.systemHeaders(),
        },
        body: options.body,
      });
    let res = await send();
    if (res.status === 401) {
      // A cached token can be revoked early (key rotation); one fresh token, same idempotency key.
      this.invalidateToken();
      res = await send();
    }
    if (res.status >= 200 && res.status < 300) return res;
    if (options.accept?.includes(res.status)) return res;
    throw problemToError(res, method, path);
  }

  private parse<T extends z.ZodType>(schema: T, res: HttpResponse, path: string): z.infer<T> {
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) {
      throw new VippsResponseError(`unexpected Vipps response from ${path}: ${parsed.error.message}`, res.status, res.text);
    }
    return parsed.data;
  }
}
