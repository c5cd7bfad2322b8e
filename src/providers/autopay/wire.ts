import { z } from 'zod';
import { parseProviderAmount, type Money } from '../../domain/money';
import { addsUp } from '../../domain/vat';

/**
 * Autopay's own JSON, as zod schemas: what we send (token, connect_parking, manual_stop), what it answers, and
 * the two callbacks it sends us. Everything that leaves this file is already normalised: amounts are exact
 * decimal strings, timestamps are ISO 8601 UTC strings.
 */

// ---------------------------------------------------------------- timestamps

/**
 * Autopay writes offsets without a colon ("2019-02-28T11:52:16+0000"), which Date.parse does not accept;
 * we also allow "Z", "+01:00", "+01" and fractional seconds.
 */
const AUTOPAY_DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an Autopay timestamp. A timestamp without an offset is read as UTC (Autopay's examples are all
 * +0000) rather than in this server's local zone. Returns undefined when it is not a real instant.
 */
export function parseAutopayDateTime(value: string): Date | undefined {
  const m = AUTOPAY_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, minutes, seconds = '00', fraction, offset = 'Z'] = m;
  const millis = fraction ? `.${fraction.padEnd(3, '0').slice(0, 3)}` : '';
  const tz = offset === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(3).replace(':', '') || '00'}`;
  const date = new Date(`${minutes}:${seconds}${millis}${tz}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date silently rolls "02-30" over to March; a real timestamp survives a round trip of its date part.
  const utcDay = new Date(`${value.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(utcDay.getTime()) || utcDay.toISOString().slice(0, 10) !== value.slice(0, 10)) return undefined;
  return date;
}

/** Autopay's documented form, "2019-02-28T11:52:16+0000" (UTC, whole seconds). */
export function formatAutopayDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+0000`;
}

/** A timestamp Autopay sends us, normalised to ISO 8601 UTC ("2019-02-28T11:52:16.000Z"). */
export const autopayDateTimeSchema = z.string().transform((value, ctx) => {
  const date = parseAutopayDateTime(value);
  if (!date) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 date-time: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return date.toISOString();
});

// ---------------------------------------------------------------- ids and amounts

/** Ids are documented as strings; a numeric id (Java long) is accepted and kept as its digits. */
const idSchema = z.union([z.string().min(1), z.number().int().nonnegative()]).transform((v) => String(v));

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/**
 * A decimal Autopay sends as a JSON number (20.0) or a string ("20.00"), read exactly as written
 * (parseProviderAmount, never float arithmetic) and returned as a plain decimal string in `format`.
 */
const decimal = (format: (d: Money) => string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'string' && !DECIMAL_STRING.test(value)) {
      ctx.addIssue({ code: 'custom', message: `not a decimal: ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    let d;
    try {
      d = parseProviderAmount(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a finite decimal: ${String(value)}` });
      return z.NEVER;
    }
    if (d.isNegative()) {
      ctx.addIssue({ code: 'custom', message: `must not be negative: ${d.toFixed()}` });
      return z.NEVER;
    }
    return format(d);
  });

/** Money: "120.00" (never fewer than 2 decimals, never rounded). */
const amountSchema = decimal((d) => (d.decimalPlaces() <= 2 ? d.toFixed(2) : d.toFixed()));
/** A percentage as written: 20.0 → "20", 12.5 → "12.5". */
const percentSchema = decimal((d) => d.toFixed());

// ---------------------------------------------------------------- OAuth2 (api-auth.autopay.io/oauth/token)

export const AUTOPAY_DEFAULT_AUDIENCE = 'https://api.autopay.io';

export const autopayTokenRequestSchema = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  audience: z.string().min(1).optional(),
  grant_type: z.literal('client_credentials'),
});
export type AutopayTokenRequest = z.infer<typeof autopayTokenRequestSchema>;

export const autopayTokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});
export type AutopayTokenResponse = z.infer<typeof autopayTokenResponseSchema>;

/** The auth server's error (OAuth2 style, not Autopay's API envelope). */
export const autopayTokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});
export type AutopayTokenError = z.infer<typeof autopayTokenErrorSchema>;

// ---------------------------------------------------------------- Payment API

export const connectParkingRequestSchema = z.object({
  parking_area_code: z.string().min(1),
  reference: z.string().min(1),
  vehicle_reg: z.string().min(1),
  /** ISO 3166-1 alpha-3, e.g. "NOR". */
  plate_issuer: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 3166-1 alpha-3 code'),
  plate_subdivision: z.string().nullish(),
});
export type ConnectParkingRequest = z.infer<typeof connectParkingRequestSchema>;

export const connectParkingResponseSchema = z.object({
  parking_id: idSchema,
  reference: idSchema,
  start_time: autopayDateTimeSchema,
});
export type ConnectParkingResponse = z.output<typeof connectParkingResponseSchema>;

export const manualStopRequestSchema = z.object({
  parking_id: z.string().min(1),
  reference: z.string().min(1),
  end_time: z.string().refine((v) => parseAutopayDateTime(v) !== undefined, 'must be an ISO 8601 date-time'),
});
export type ManualStopRequest = z.infer<typeof manualStopRequestSchema>;

/** Error envelope; error_id is kept as a string here and narrowed in errors.ts (unknown ids must not crash us). */
export const autopayErrorResponseSchema = z.object({
  error_id: z.string().min(1),
  message: z.string(),
  description: z.string().nullish(),
});
export type AutopayErrorResponse = z.infer<typeof autopayErrorResponseSchema>;

// ---------------------------------------------------------------- callbacks (Autopay → us)

export const autopayCostSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    vat_percent: percentSchema,
    net_amount: amountSchema,
    vat_amount: amountSchema,
    gross_amount: amountSchema,
  })
  .superRefine((cost, ctx) => {
    if (ctx.issues.length > 0) return; // an amount already failed: nothing sound to add up
    // We charge the driver gross and book net + VAT; a cost that does not add up must not be charged silently.
    if (!addsUp(cost.net_amount, cost.vat_amount, cost.gross_amount)) {
      ctx.addIssue({
        code: 'custom',
        path: ['gross_amount'],
        message: `net_amount ${cost.net_amount} + vat_amount ${cost.vat_amount} does not equal gross_amount ${cost.gross_amount}`,
      });
    }
  });
export type AutopayCost = z.output<typeof autopayCostSchema>;

/** "Successful end of parking": after a camera exit or our manual_stop. */
export const autopaySuccessCallbackSchema = z.object({
  parking_id: idSchema,
  reference: idSchema,
  end_time: autopayDateTimeSchema,
  cost: autopayCostSchema,
});
/** Parsed form: amounts are exact decimal strings, end_time is ISO 8601 UTC. */
export type AutopaySuccessCallback = z.output<typeof autopaySuccessCallbackSchema>;
/** As Autopay sends it (amounts as numbers or strings, end_time like "2019-02-28T11:52:16+0000"). */
export type AutopaySuccessCallbackWire = z.input<typeof autopaySuccessCallbackSchema>;

/** "Cancel parking": the parking errored in Autopay and must not be charged. */
export const autopayCancelCallbackSchema = z.object({
  parking_id: idSchema,
  reference: idSchema,
});
export type AutopayCancelCallback = z.output<typeof autopayCancelCallbackSchema>;
