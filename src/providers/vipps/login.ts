import { httpRequest } from '../http';
import { problemToError } from './client';
import {
  LoginTokenResponseSchema,
  OAuthErrorSchema,
  UserinfoResponseSchema,
  type LoginTokenResponse,
  type UserinfoResponse,
} from './wire';

/**
 * Vipps MobilePay Login, OIDC authorization-code flow in the browser: we send the driver to the
 * authorize page, Vipps redirects back with ?code&state, we exchange the code server-side
 * (client_secret_basic) and read the verified phone number from userinfo. The caller owns `state`
 * (CSRF) and must compare it on return; nothing here trusts the redirect by itself.
 */

export const LOGIN_AUTHORIZE_PATH = '/access-management-1.0/access/oauth2/auth';
export const LOGIN_TOKEN_PATH = '/access-management-1.0/access/oauth2/token';
export const LOGIN_USERINFO_PATH = '/vipps-userinfo-api/userinfo';

export interface BuildAuthorizeUrlInput {
  baseUrl: string;
  clientId: string;
  redirectUri: string;
  state: string;
  /** Space separated; the parking flow needs `openid phoneNumber name`. */
  scope: string;
  nonce?: string;
}

export function buildAuthorizeUrl(input: BuildAuthorizeUrlInput): string {
  const url = new URL(input.baseUrl.replace(/\/+$/, '') + LOGIN_AUTHORIZE_PATH);
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', input.scope);
  url.searchParams.set('state', input.state);
  url.searchParams.set('redirect_uri', input.redirectUri);
  if (input.nonce) url.searchParams.set('nonce', input.nonce);
  return url.toString();
}

export class VippsLoginError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly error?: string,
  ) {
    super(message);
    this.name = 'VippsLoginError';
  }
}

export interface ExchangeCodeInput {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  code: string;
  /** Must equal the redirect_uri of the authorize request. */
  redirectUri: string;
  timeoutMs?: number;
}

/** Basic base64(client_id:client_secret), raw as Vipps documents it (no form-encoding of the parts). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
}

export async function exchangeCode(input: ExchangeCodeInput): Promise<LoginTokenResponse> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
  }).toString();
  const res = await httpRequest({
    method: 'POST',
    url: input.baseUrl.replace(/\/+$/, '') + LOGIN_TOKEN_PATH,
    headers: {
      authorization: basicAuthorization(input.clientId, input.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
    timeoutMs: input.timeoutMs,
    // A code is single-use: a blind retry after a lost response would only earn invalid_grant.
    retries: 0,
  });
  if (res.status !== 200) {
    const oauth = OAuthErrorSchema.safeParse(res.json);
    if (oauth.success) {
      throw new VippsLoginError(
        `token exchange failed: ${oauth.data.error}${oauth.data.error_description ? ` (${oauth.data.error_description})` : ''}`,
        res.status,
        oauth.data.error,
      );
    }
    throw problemToError(res, 'POST', LOGIN_TOKEN_PATH);
  }
  const parsed = LoginTokenResponseSchema.safeParse(res.json);
  if (!parsed.success) throw new VippsLoginError(`unexpected token response: ${parsed.error.message}`, res.status);
  return parsed.data;
}

export async function userinfo(input: { baseUrl: string; accessToken: string; timeoutMs?: number }): Promise<UserinfoResponse> {
  const res = await httpRequest({
    method: 'GET',
    url: input.baseUrl.replace(/\/+$/, '') + LOGIN_USERINFO_PATH,
    headers: { authorization: `Bearer ${input.accessToken}` },
    timeoutMs: input.timeoutMs,
  });
  if (res.status !== 200) throw problemToError(res, 'GET', LOGIN_USERINFO_PATH);
  const parsed = UserinfoResponseSchema.safeParse(res.json);
  if (!parsed.success) throw new VippsLoginError(`unexpected userinfo response: ${parsed.error.message}`, res.status);
  return parsed.data;
}
