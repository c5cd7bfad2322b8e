import type { z } from 'zod';
import { BoundedHttp, boundedOptions, type ProviderClientBounds } from '../bounded-http';
import { ProviderUnavailable } from '../card-provider';
import type { HttpResponse } from '../http';
import { AutopayError, errorIdForStatus, isAutopayErrorId } from './errors';
import {
  AUTOPAY_DEFAULT_AUDIENCE,
  autopayErrorResponseSchema,
  autopayTokenErrorSchema,
  autopayTokenResponseSchema,
  connectParkingResponseSchema,
  formatAutopayDateTime,
  parseAutopayDateTime,
  type ConnectParkingRequest,
  type ConnectParkingResponse,
} from './wire';

/**
 * Autopay Payment API client. Autopay issues one set of OAuth2 client credentials per operator, so tokens are
 * minted and cached per operator; Autopay warns that excessive token minting may end API access, hence the
 * cache, the single in-flight mint per operator and the single re-mint on a 401.
 */

export interface AutopayOperatorCredentials {
  clientId: string;
  clientSecret: string;
}

export interface AutopayClientOptions extends ProviderClientBounds {
  /** e.g. https://api.autopay.io (or the sandbox's /autopay). */
  apiBaseUrl: string;
  /** Full token URL, e.g. https://api-auth.autopay.io/oauth/token. */
  authUrl: string;
  operators: Record<string, AutopayOperatorCredentials>;
  audience?: string;
  // timeoutMs (per attempt), retries (≤ 2, on no answer, 5xx, 429), deadlineMs, breaker: ProviderClientBounds.
  /** A token is renewed this long before Autopay says it expires (clock skew, requests in flight). */
  tokenRefreshMarginSeconds?: number;
  now?: () => number;
}

export interface ConnectParkingInput {
  parking_area_code: string;
  /** Our unique id for the parking: the session id, so callbacks map straight to the workflow. */
  reference: string;
  vehicle_reg: string;
  /** ISO 3166-1 alpha-3. */
  plate_issuer: string;
  plate_subdivision?: string | null;
}

export interface ManualStopInput {
  parking_id: string;
  reference: string;
  /** A Date or an ISO 8601 string; sent in Autopay's own form "2019-02-28T11:52:16+0000". */
  end_time: Date | string;
}

interface CachedToken {
  token: string;
  /** Epoch ms after which the token is no longer used. */
  renewAt: number;
}

export class AutopayClient {
  private readonly apiBaseUrl: string;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly minting = new Map<string, Promise<string>>();
  private readonly now: () => number;
  /** Deadline, quick retries and circuit breaker (an open circuit is a retryable server_communication_error). */
  readonly http: BoundedHttp;

  constructor(private readonly options: AutopayClientOptions) {
    this.apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.http = new BoundedHttp('autopay', boundedOptions(options));
  }

  /** Claims payment responsibility for the ongoing parking of a plate; idempotent on `reference`. */
  async connectParking(operatorId: string, input: ConnectParkingInput): Promise<ConnectParkingResponse> {
    const body: ConnectParkingRequest = {
      parking_area_code: input.parking_area_code,
      reference: input.reference,
      vehicle_reg: input.vehicle_reg,
      plate_issuer: input.plate_issuer,
      ...(input.plate_subdivision != null ? { plate_subdivision: input.plate_subdivision } : {}),
    };
    const res = await this.call(operatorId, '/payment/v1/connect_parking', body);
    return this.parseBody(res, connectParkingResponseSchema, 'connect_parking');
  }

  /** Only for a missed exit: Autopay then sends the success callback and opens a follow-up session. */
  async manualStop(operatorId: string, input: ManualStopInput): Promise<void> {
    await this.call(operatorId, '/payment/v1/manual_stop', {
      parking_id: input.parking_id,
      reference: input.reference,
      end_time: toAutopayDateTime(input.end_time),
    });
  }

  /** Drops cached tokens (all, or one operator's), e.g. after rotating credentials. */
  forgetTokens(operatorId?: string): void {
    if (operatorId === undefined) this.tokens.clear();
    else this.tokens.delete(operatorId);
  }

  // ------------------------------------------------------------ internals

  /** POSTs with the operator's token; on a 401 the token is re-minted once and the call repeated once. */
  private async call(operatorId: string, path: string, body: unknown): Promise<HttpResponse> {
    let token = await this.token(operatorId);
    let res = await this.send(path, body, token);
    if (res.status === 401) {
      this.tokens.delete(operatorId);
      token = await this.token(operatorId);
      res = await this.send(path, body, token);
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw apiError(res);
  }

  private async send(path: string, body: unknown, token: string): Promise<HttpResponse> {
    return this.transport(`${this.apiBaseUrl}${path}`, body, { authorization: `Bearer ${token}` });
  }

  private async transport(url: string, body: unknown, headers?: Record<string, string>): Promise<HttpResponse> {
    try {
      return await this.http.send({ method: 'POST', url, body, headers });
    } catch (err) {
      // Only thrown after the quick retries (no answer, deadline) or by an open circuit → retryable later.
      if (err instanceof ProviderUnavailable) {
        throw new AutopayError({ errorId: 'server_communication_error', message: err.message, status: 0, cause: err });
      }
      throw err;
    }
  }

  private async token(operatorId: string): Promise<string> {
    const cached = this.tokens.get(operatorId);
    if (cached && this.now() < cached.renewAt) return cached.token;
    // Concurrent calls for one operator share one mint instead of each asking for a token.
    const inFlight = this.minting.get(operatorId);
    if (inFlight) return inFlight;
    const mint = this.mint(operatorId).finally(() => this.minting.delete(operatorId));
    this.minting.set(operatorId, mint);
    return mint;
  }

  private async mint(operatorId: string): Promise<string> {
    const creds = this.options.operators[operatorId];
    if (!creds) {
      throw new AutopayError({
        errorId: 'missing_operator_token_error',
        message: `no Autopay credentials configured for operator ${JSON.stringify(operatorId)}`,
        status: 0,
        retryable: false,
      });
    }
    const res = await this.transport(this.options.authUrl, {
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
      audience: this.options.audience ?? AUTOPAY_DEFAULT_AUDIENCE,
      grant_type: 'client_credentials',
    });
    if (res.status < 200 || res.status >= 300) {
      const oauth = autopayTokenErrorSchema.safeParse(res.json);
      throw new AutopayError({
        errorId: res.status >= 500 ? 'internal_server_error' : 'authentication_error',
        message: oauth.success ? oauth.data.error : `token request failed with HTTP ${res.status}`,
        description: oauth.success ? oauth.data.error_description : undefined,
        status: res.status,
      });
    }
    const parsed = this.parseBody(res, autopayTokenResponseSchema, 'oauth/token');
    const lifetimeMs = parsed.expires_in * 1000;
    // Renew a margin before expiry, but never spend more than half a (short) lifetime on the margin.
    const marginMs = Math.min((this.options.tokenRefreshMarginSeconds ?? 300) * 1000, lifetimeMs / 2);
    this.tokens.set(operatorId, { token: parsed.access_token, renewAt: this.now() + lifetimeMs - marginMs });
    return parsed.access_token;
  }

  private parseBody<S extends z.ZodType>(res: HttpResponse, schema: S, what: string): z.output<S> {
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) {
      throw new AutopayError({
        errorId: 'internal_server_error',
        message: `unexpected ${what} response from Autopay`,
        description: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        status: res.status,
        retryable: false,
      });
    }
    return parsed.data;
  }
}

/** Maps a non-2xx answer to AutopayError, reading Autopay's {error_id, message, description?} when present. */
function apiError(res: HttpResponse): AutopayError {
  const body = autopayErrorResponseSchema.safeParse(res.json);
  if (!body.success) {
    return new AutopayError({
      errorId: errorIdForStatus(res.status),
      message: `HTTP ${res.status} from Autopay`,
      description: res.text ? res.text.slice(0, 500) : undefined,
      status: res.status,
    });
  }
  const { error_id, message, description } = body.data;
  return new AutopayError({
    errorId: isAutopayErrorId(error_id) ? error_id : errorIdForStatus(res.status),
    rawErrorId: isAutopayErrorId(error_id) ? undefined : error_id,
    message,
    description: description ?? undefined,
    status: res.status,
  });
}

function toAutopayDateTime(value: Date | string): string {
  const date = typeof value === 'string' ? parseAutopayDateTime(value) : value;
  if (!date || Number.isNaN(date.getTime())) throw new RangeError(`end_time is not a date-time: ${String(value)}`);
  return formatAutopayDateTime(date);
}
