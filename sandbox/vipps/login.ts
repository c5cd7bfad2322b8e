import { createHmac, randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { layoutPage } from '../../src/api/pages-layout';
import { safeEqual } from '../../src/security/constant-time';
import { LOGIN_AUTHORIZE_PATH, LOGIN_TOKEN_PATH, LOGIN_USERINFO_PATH } from '../../src/providers/vipps/login';
import { escapeHtml, normalizePhone, withQuery } from './http';
import type { SandboxUsers } from './users';

/**
 * Vipps Login (OIDC authorization code) for the sandbox: an authorize page where the demo user types
 * a phone number instead of confirming in the app, a token endpoint (client_secret_basic, single-use
 * codes bound to redirect_uri) and userinfo. Token lifetimes use real time: they are checked against
 * real clocks by clients, unlike charges which follow the sandbox clock.
 */

export interface SandboxLoginOptions {
  clientId: string;
  clientSecret: string;
  users: SandboxUsers;
  /** Public base of the sandbox mount, e.g. http://127.0.0.1:4010/vipps (issuer and form targets). */
  publicBaseUrl: string;
  log: (message: string) => void;
}

export interface SandboxLoginRecord {
  at: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  phoneNumber: string;
  sub: string;
  exchanged: boolean;
  userinfoCalls: number;
}

interface CodeGrant {
  record: SandboxLoginRecord;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

interface LoginToken {
  record: SandboxLoginRecord;
  expiresAt: number;
}

const CODE_TTL_MS = 5 * 60_000;
const TOKEN_TTL_S = 3600;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export class SandboxLogin {
  readonly records: SandboxLoginRecord[] = [];
  private readonly codes = new Map<string, CodeGrant>();
  private readonly tokens = new Map<string, LoginToken>();

  constructor(private readonly opts: SandboxLoginOptions) {}

  get issuer(): string {
    return `${this.opts.publicBaseUrl}/access-management-1.0/access/`;
  }

  routes(): Router {
    const r = Router();
    const form = express.urlencoded({ extended: false });

    r.get('/access-management-1.0/access/.well-known/openid-configuration', (_req, res) => {
      res.json({
        issuer: this.issuer,
        authorization_endpoint: this.opts.publicBaseUrl + LOGIN_AUTHORIZE_PATH,
        token_endpoint: this.opts.publicBaseUrl + LOGIN_TOKEN_PATH,
        userinfo_endpoint: this.opts.publicBaseUrl + LOGIN_USERINFO_PATH,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        id_token_signing_alg_values_supported: ['HS256'],
        scopes_supported: ['openid', 'phoneNumber', 'name'],
      });
    });

    r.get(LOGIN_AUTHORIZE_PATH, (req, res) => this.authorizePage(req, res));
    r.post(LOGIN_AUTHORIZE_PATH, form, (req, res) => this.authorizeSubmit(req, res));
    r.post(LOGIN_TOKEN_PATH, form, (req, res) => this.token(req, res));
    r.get(LOGIN_USERINFO_PATH, (req, res) => this.userinfo(req, res));
    return r;
  }

  private authorizePage(req: Request, res: Response): void {
    const q = stringParams(req.query);
    const problem = this.checkAuthorizeParams(q);
    if (problem) {
      htmlError(res, problem);
      return;
    }
    const hidden = ['client_id', 'redirect_uri', 'state', 'scope', 'nonce', 'response_type']
      .filter((k) => q[k] !== undefined)
      .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(q[k] ?? '')}">`)
      .join('\n  ');
    res.type('html').send(
      layoutPage(
        'Log in with Vipps (sandbox)',
        `<form method="post" action="${escapeHtml(this.opts.publicBaseUrl + LOGIN_AUTHORIZE_PATH)}">
  ${hidden}
  <label>Phone number <input name="phone_number" inputmode="tel" autocomplete="tel" required></label>
  <button name="action" value="login">Log in</button>
  <button name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</form>`,
        { heading: 'Log in with Vipps MobilePay', footerHtml: 'Vipps MobilePay sandbox: any valid number logs in.' },
      ),
    );
  }

  private authorizeSubmit(req: Request, res: Response): void {
    const f = stringParams(req.body);
    const problem = this.checkAuthorizeParams(f);
    if (problem) {
      htmlError(res, problem);
      return;
    }
    const redirectUri = f.redirect_uri ?? '';
    const state = f.state ?? '';
    if (f.action === 'cancel') {
      res.redirect(302, withQuery(redirectUri, { error: 'access_denied', ...(state ? { state } : {}) }));
      return;
    }
    const phone = normalizePhone(f.phone_number ?? '');
    if (!phone) {
      htmlError(res, 'Enter a valid phone number');
      return;
    }
    const user = this.opts.users.lookup(phone);
    const record: SandboxLoginRecord = {
      at: new Date().toISOString(),
      clientId: f.client_id ?? '',
      redirectUri,
      scope: f.scope ?? '',
      phoneNumber: user.phoneNumber,
      sub: user.sub,
      exchanged: false,
      userinfoCalls: 0,
    };
    this.records.push(record);
    const code = b64url(randomBytes(24));
    this.codes.set(code, { record, nonce: f.nonce, expiresAt: Date.now() + CODE_TTL_MS, used: false });
    res.redirect(302, withQuery(redirectUri, { code, ...(state ? { state } : {}) }));
  }

  private checkAuthorizeParams(p: Record<string, string | undefined>): string | undefined {
    if (p.client_id !== this.opts.clientId) return 'Unknown client_id';
    if (p.response_type !== undefined && p.response_type !== 'code') return 'Only response_type=code is supported';
    if (!(p.scope ?? '').split(' ').includes('openid')) return 'scope must include openid';
    try {
      new URL(p.redirect_uri ?? '');
    } catch {
      return 'redirect_uri must be an absolute URL';
    }
    return undefined;
  }

  private token(req: Request, res: Response): void {
    const oauthError = (status: number, error: string, description: string) => {
      if (status === 401) res.set('www-authenticate', 'Basic realm="vipps-login"');
      res.status(status).json({ error, error_description: description });
    };
    const client = parseBasic(req.get('authorization'));
    if (!client || client.id !== this.opts.clientId || !safeEqual(client.secret, this.opts.clientSecret)) {
      oauthError(401, 'invalid_client', 'client_secret_basic authentication failed');
      return;
    }
    const f = stringParams(req.body);
    if (f.grant_type !== 'authorization_code') {
      oauthError(400, 'unsupported_grant_type', 'only authorization_code');
      return;
    }
    const grant = this.codes.get(f.code ?? '');
    if (!grant || grant.used || grant.expiresAt < Date.now() || grant.record.clientId !== client.id) {
      oauthError(400, 'invalid_grant', 'code is unknown, used or expired');
      return;
    }
    if (grant.record.redirectUri !== f.redirect_uri) {
      oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorize request');
      return;
    }
    grant.used = true;
    grant.record.exchanged = true;
    const accessToken = b64url(randomBytes(32));
    this.tokens.set(accessToken, { record: grant.record, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    res.set('cache-control', 'no-store').json({
      access_token: accessToken,
      id_token: this.idToken(grant),
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_S,
      scope: grant.record.scope,
    });
  }

  /** HS256 with the client secret: the OIDC option for confidential clients, no key material needed. */
  private idToken(grant: CodeGrant): string {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        iss: this.issuer,
        sub: grant.record.sub,
        aud: this.opts.clientId,
        iat: now,
        auth_time: now,
        exp: now + TOKEN_TTL_S,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      }),
    );
    const signature = createHmac('sha256', this.opts.clientSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  private userinfo(req: Request, res: Response): void {
    const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    const token = match ? this.tokens.get(match[1]) : undefined;
    if (!token || token.expiresAt < Date.now()) {
      res.set('www-authenticate', 'Bearer error="invalid_token"').status(401).json({ error: 'invalid_token' });
      return;
    }
    const { record } = token;
    record.userinfoCalls++;
    const scopes = record.scope.split(' ');
    const user = this.opts.users.lookup(record.phoneNumber);
    const [given, ...family] = user.name.split(' ');
    res.json({
      sub: user.sub,
      ...(scopes.includes('phoneNumber') ? { phone_number: user.phoneNumber } : {}),
      ...(scopes.includes('name') ? { name: user.name, given_name: given, family_name: family.join(' ') } : {}),
    });
  }
}

function stringParams(source: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof source !== 'object' || source === null) return out;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic (\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function htmlError(res: Response, message: string): void {
  res.status(400).type('html').send(layoutPage('Login error', `<p>${escapeHtml(message)}</p>`, { footerHtml: 'Vipps MobilePay sandbox' }));
}
