/**
 * NETOPIA Payments v2 JSON as it crosses the wire (PROVIDERS.md §3), and what its codes mean to us.
 * The client validates every response with these schemas; the sandbox validates every request with them, so
 * both sides of our offline world speak one format.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CardOutcome } from '../card-provider';

/** Netopia writes codes as strings ("00", "19", "101"); accept numbers too and keep the string form. */
const Code = z.union([z.string(), z.number()]).transform(String);

export const NetopiaErrorSchema = z.object({
  code: Code,
  message: z.string().nullish().transform((m) => m ?? ''),
  details: z.array(z.unknown()).nullish(),
});
export type NetopiaError = z.infer<typeof NetopiaErrorSchema>;

// ---- requests ---------------------------------------------------------------------------------------

export const NetopiaStartRequestSchema = z.object({
  config: z.object({
    emailTemplate: z.string().optional(),
    emailSubject: z.string().optional(),
    cancelUrl: z.string().optional(),
    notifyUrl: z.url(),
    redirectUrl: z.url(),
    language: z.string().optional(),
  }),
  payment: z.object({
    options: z.object({ installments: z.number().int(), bonus: z.number().int() }).partial().optional(),
    // Card data never travels with start: the shopper types it on the hosted page (as the WooCommerce plugin does).
    instrument: z.object({ type: z.literal('card') }).optional(),
    data: z.record(z.string(), z.string()).optional(),
  }),
  order: z.object({
    ntpID: z.string().optional(),
    posSignature: z.string().min(1),
    dateTime: z.string().min(1),
    description: z.string(),
    orderID: z.string().min(1).max(64),
    amount: z.number().positive(),
    currency: z.string().length(3),
  }),
});

export const NetopiaStatusRequestSchema = z.object({
  posID: z.string().min(1),
  ntpID: z.string().min(1),
  orderID: z.string().min(1),
});
export type NetopiaStatusRequest = z.infer<typeof NetopiaStatusRequestSchema>;

/** Cancel an unpaid order (POST /operation/cancel): same body as status. NETOPIA's real path is UNCONFIRMED. */
export const NetopiaCancelRequestSchema = NetopiaStatusRequestSchema;
export type NetopiaCancelRequest = NetopiaStatusRequest;

/** Refund ("credit"). Path and body are our sandbox's: NETOPIA's v2 refund call is UNCONFIRMED in PROVIDERS.md. */
export const NetopiaCreditRequestSchema = z.object({
  posID: z.string().min(1),
  ntpID: z.string().min(1),
  orderID: z.string().min(1),
  amount: z.number().positive(),
  idempotencyKey: z.string().min(1).max(128),
});

// ---- responses --------------------------------------------------------------------------------------

export const NetopiaPaymentSchema = z.object({
  method: z.string().nullish(),
  ntpID: Code,
  status: z.number().int(),
  amount: z.number().nullish(),
  currency: z.string().nullish(),
  paymentURL: z.string().nullish(),
  token: z.string().nullish(),
  operationDate: z.string().nullish(),
  instrument: z.object({ panMasked: z.string().nullish() }).nullish(),
  /** Sandbox extension on credit responses: the refund's own id. */
  refundID: z.string().nullish(),
});

/** Every Netopia answer: the go-sdk's ApiResponse puts code/message at the top, error{} beside payment{}. */
export const NetopiaResponseSchema = z.object({
  code: Code.nullish(),
  message: z.string().nullish(),
  error: NetopiaErrorSchema.nullish(),
  payment: NetopiaPaymentSchema.nullish(),
  order: z
    .object({ orderID: Code.nullish(), ntpID: Code.nullish(), amount: z.number().nullish(), currency: z.string().nullish() })
    .nullish(),
  customerAction: z.unknown().optional(),
});
export type NetopiaResponse = z.infer<typeof NetopiaResponseSchema>;

/** The IPN body. Official code reads order.orderID, payment.status/code/message; the rest is UNCONFIRMED. */
export const NetopiaIpnBodySchema = z.object({
  order: z.object({
    orderID: Code,
    ntpID: Code.nullish(),
    amount: z.number().nullish(),
    currency: z.string().nullish(),
  }),
  payment: z.object({
    ntpID: Code.nullish(),
    status: z.number().int(),
    amount: z.number().nullish(),
    currency: z.string().nullish(),
    code: Code.nullish(),
    message: z.string().nullish(),
    instrument: z.object({ panMasked: z.string().nullish() }).nullish(),
  }),
});
export type NetopiaIpnBody = z.infer<typeof NetopiaIpnBodySchema>;

/** The merchant's answer to an IPN (SDK convention): 0 none, 1 temporary (re-send), 2 permanent. */
export const NetopiaIpnReplySchema = z.object({
  errorType: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  errorCode: z.number().int().nullable(),
  errorMessage: z.string(),
});
export type NetopiaIpnReply = z.infer<typeof NetopiaIpnReplySchema>;

// ---- codes ------------------------------------------------------------------------------------------

/** payment.status values (go-sdk / sdk-php constants). */
export const NETOPIA_STATUS = {
  NEW: 1,
  OPENED: 2,
  PAID: 3,
  CANCELED: 4,
  CONFIRMED: 5,
  PENDING: 6,
  CREDIT: 8,
  CHARGEBACK_INIT: 9,
  CHARGEBACK_ACCEPT: 10,
  ERROR: 11,
  DECLINED: 12,
  FRAUD: 13,
  PENDING_AUTH: 14,
  AUTH_3D: 15,
  CHARGEBACK_REPRESENTMENT: 16,
  REVERSED: 17,
  PENDING_ANY: 18,
  EXPIRED: 23,
} as const;

/** error.code values that mean "the call worked" on start (101: sandbox's "redirect user to payment page"). */
export const NETOPIA_START_OK_CODES: ReadonlySet<string> = new Set(['0', '00', '100', '101']);
export const NETOPIA_OK_CODES: ReadonlySet<string> = new Set(['0', '00']);

export interface NetopiaDecline {
  reasonCode: string;
  reason: string;
}

/** error.code → our decline reason. v2 codes plus the v1 ones the sandbox cards use (PROVIDERS.md §3.3). */
export function netopiaDecline(code: string | undefined, providerMessage?: string): NetopiaDecline {
  switch (code) {
    case '19':
      return { reasonCode: 'expired_card', reason: 'Card expired' };
    case '20':
      return { reasonCode: 'insufficient_funds', reason: 'Insufficient funds' };
    case '21':
    case '22':
      return { reasonCode: 'cvv_error', reason: 'Wrong CVV code' };
    case '34':
      return { reasonCode: 'not_allowed', reason: 'Transaction not allowed for this card' };
    case '16':
    case '36':
      return { reasonCode: 'antifraud', reason: 'Rejected by the anti-fraud check' };
    case '99':
    case '11':
      return { reasonCode: 'bank_error', reason: 'The bank could not process the payment' };
    default:
      return { reasonCode: 'declined', reason: providerMessage || 'Card declined' };
  }
}

export interface NetopiaOutcome {
  outcome: CardOutcome;
  reasonCode?: string;
  reason?: string;
}

/**
 * payment.status (+ error.code for the reason) → our outcome. Only 3/5 count as paid; 8/9/10/16/17 were captured
 * once but the money went back, so they are never "paid" now. Anything we do not recognise stays pending rather
 * than being guessed.
 */
export function netopiaOutcome(status: number, errorCode?: string, errorMessage?: string): NetopiaOutcome {
  switch (status) {
    case NETOPIA_STATUS.PAID:
    case NETOPIA_STATUS.CONFIRMED:
      return { outcome: 'paid' };
    case NETOPIA_STATUS.CANCELED:
      return { outcome: 'voided', reasonCode: 'cancelled', reason: 'The payment was cancelled' };
    case NETOPIA_STATUS.CREDIT:
      return { outcome: 'refunded' };
    case NETOPIA_STATUS.CHARGEBACK_INIT:
    case NETOPIA_STATUS.CHARGEBACK_ACCEPT:
    case NETOPIA_STATUS.CHARGEBACK_REPRESENTMENT:
      return { outcome: 'chargeback' };
    case NETOPIA_STATUS.REVERSED:
      return { outcome: 'reversed' };
    case NETOPIA_STATUS.EXPIRED:
      return { outcome: 'expired', reasonCode: 'payment_expired', reason: 'The payment was not completed in time' };
    case NETOPIA_STATUS.DECLINED:
    case NETOPIA_STATUS.ERROR:
      return { outcome: 'declined', ...netopiaDecline(errorCode, errorMessage) };
    default:
      // 1 new, 2 opened, 6 pending, 13 fraud review, 14 pending auth, 15 3DS, 18 pending any, ...
      return { outcome: 'pending' };
  }
}

// ---- amounts as JSON numbers without floats -----------------------------------------------------------

/**
 * Netopia takes amounts as JSON numbers in major units. Node 20 has no JSON.rawJSON, so a JsonDecimal marks the
 * spot and stringifyWithDecimals writes its digits verbatim: the amount never passes through a JS float.
 */
export class JsonDecimal {
  constructor(readonly digits: string) {
    if (!/^\d+(\.\d+)?$/.test(digits)) throw new RangeError(`not a plain decimal: ${digits}`);
  }
}

export function stringifyWithDecimals(value: unknown): string {
  // A fresh nonce per call, so no string inside the body can be mistaken for a marker.
  const nonce = `~dec${randomBytes(8).toString('hex')}~`;
  const json = JSON.stringify(value, (_key, v: unknown) => (v instanceof JsonDecimal ? `${nonce}${v.digits}` : v));
  return json.split(`"${nonce}`).map((part, i) => (i === 0 ? part : part.replace(/^([\d.]+)"/, '$1'))).join('');
}

/** A request type with every `amount` written as a JsonDecimal (what the client sends). */
export type WithDecimalAmounts<T> = T extends (infer U)[]
  ? WithDecimalAmounts<U>[]
  : T extends object
    ? { [K in keyof T]: K extends 'amount' ? JsonDecimal : WithDecimalAmounts<T[K]> }
    : T;

export type NetopiaStartRequestOut = WithDecimalAmounts<z.input<typeof NetopiaStartRequestSchema>>;
export type NetopiaCreditRequestOut = WithDecimalAmounts<z.input<typeof NetopiaCreditRequestSchema>>;
