import type { z } from 'zod';
import { safeEqual } from '../../security/constant-time';
import {
  autopayCancelCallbackSchema,
  autopaySuccessCallbackSchema,
  type AutopayCancelCallback,
  type AutopaySuccessCallback,
} from './wire';

/**
 * Verifying and parsing what Autopay sends to our two callback URLs. Autopay signs nothing, so the configured
 * secret (Basic, token or X-API-Key, per operator) is the only proof a callback came from Autopay; every
 * comparison is constant-time.
 */
export type CallbackAuth =
  | { method: 'basic'; username: string; password: string }
  /** Autopay sends the token as the Authorization header. */
  | { method: 'token'; token: string }
  /** Autopay sends the key in X-API-Key. */
  | { method: 'api_key'; key: string };

export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** One header value, case-insensitively; a header sent twice is ambiguous and treated as absent. */
function header(headers: IncomingHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  }
  return undefined;
}

export function verifyAutopayCallbackAuth(headers: IncomingHeaders, auth: CallbackAuth): boolean {
  switch (auth.method) {
    case 'basic': {
      const value = header(headers, 'authorization');
      const m = value ? /^Basic\s+(\S+)\s*$/i.exec(value) : null;
      if (!m) return false;
      // Compare the whole decoded "user:pass" so neither part short-circuits the other.
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      return safeEqual(decoded, `${auth.username}:${auth.password}`);
    }
    case 'token': {
      const value = header(headers, 'authorization');
      if (!value) return false;
      // Autopay's docs only say "token in the Authorization header"; accept it bare or as "Bearer <token>".
      const bearer = /^Bearer\s+(.+)$/i.exec(value.trim());
      const presented = bearer ? bearer[1].trim() : value.trim();
      return safeEqual(presented, auth.token);
    }
    case 'api_key': {
      const value = header(headers, 'x-api-key');
      if (!value) return false;
      return safeEqual(value.trim(), auth.key);
    }
  }
}

/** The headers Autopay (our sandbox) sends to a callback URL configured with `auth`. */
export function callbackAuthHeaders(auth: CallbackAuth): Record<string, string> {
  switch (auth.method) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
    case 'token':
      return { authorization: `Bearer ${auth.token}` };
    case 'api_key':
      return { 'x-api-key': auth.key };
  }
}

// ---------------------------------------------------------------- callback bodies

export interface CallbackFieldError {
  field: string;
  message: string;
}

export type CallbackParse<T> = { ok: true; value: T } | { ok: false; errors: CallbackFieldError[] };

function parseWith<S extends z.ZodType>(schema: S, body: unknown): CallbackParse<z.output<S>> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  };
}

/** "Successful end of parking": amounts become exact decimal strings and must add up (net + vat = gross). */
export function parseAutopaySuccessCallback(body: unknown): CallbackParse<AutopaySuccessCallback> {
  return parseWith(autopaySuccessCallbackSchema, body);
}

export function parseAutopayCancelCallback(body: unknown): CallbackParse<AutopayCancelCallback> {
  return parseWith(autopayCancelCallbackSchema, body);
}
