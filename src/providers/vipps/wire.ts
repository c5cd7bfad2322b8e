import { z } from 'zod';
import { fromMinorUnits, toMinorUnits, type MoneyInput } from '../../domain/money';

/**
 * Wire formats of the Vipps MobilePay APIs we use (PROVIDERS.md §1–2), shared by the client and the
 * sandbox so both sides agree on one definition. Amounts on the wire are integer minor units (øre);
 * the rest of the product uses decimal strings, converted only by the helpers at the bottom.
 * Response schemas are loose (unknown fields kept) because Vipps adds fields over time; request
 * schemas are strict where the provider rejects unknown input.
 */

// ---- Common ----------------------------------------------------------------------------------

export const VippsCurrency = z.enum(['NOK', 'DKK', 'EUR']);
export type VippsCurrency = z.infer<typeof VippsCurrency>;

/** Integer minor units; Recurring requires at least 100 (1 kr) for prices and charges. */
export const MinorAmount = z.int().min(0);
export const ChargeableMinorAmount = z.int().min(100);

/** RFC 7807 problem body returned on every 4xx/5xx. */
export const ProblemSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.int().optional(),
  detail: z.string().nullish(),
  instance: z.string().nullish(),
  contextId: z.string().nullish(),
  traceId: z.string().nullish(),
  extraDetails: z.array(z.looseObject({ field: z.string().nullish(), text: z.string().nullish() })).nullish(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** Idempotency-Key rule of Recurring v3: 1–40 characters, none of `#`, `?`, `/`, `\`. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[^#?/\\]+$/, 'must not contain #, ?, / or \\');

// ---- Access token (POST /accesstoken/get) --------------------------------------------------------

export const AccessTokenResponseSchema = z.looseObject({
  token_type: z.string(),
  /** Seconds, sent as a STRING by Vipps. Numbers are tolerated in case that ever changes. */
  expires_in: z.union([z.string().regex(/^\d+$/), z.int()]),
  ext_expires_in: z.union([z.string(), z.int()]).optional(),
  expires_on: z.union([z.string(), z.int()]).optional(),
  not_before: z.union([z.string(), z.int()]).optional(),
  resource: z.string().optional(),
  access_token: z.string().min(1),
});
export type AccessTokenResponse = z.infer<typeof AccessTokenResponseSchema>;

// ---- Recurring v3: agreements --------------------------------------------------------------------

export const IntervalUnit = z.enum(['YEAR', 'MONTH', 'WEEK', 'DAY']);
export const TimePeriodSchema = z.object({ unit: IntervalUnit, count: z.int().min(1).max(31) });

export const PricingType = z.enum(['LEGACY', 'VARIABLE', 'FLEXIBLE']);

/** Only VARIABLE is drafted by this product (pay-as-you-go parking); the schema says so. */
export const VariablePricingRequestSchema = z.strictObject({
  type: z.literal('VARIABLE'),
  currency: VippsCurrency,
  suggestedMaxAmount: ChargeableMinorAmount.max(2_000_000),
});

const HttpsOrDeeplink = z.string().min(1).max(1024);

export const DraftAgreementRequestSchema = z.strictObject({
  pricing: VariablePricingRequestSchema,
  interval: TimePeriodSchema,
  merchantRedirectUrl: HttpsOrDeeplink,
  merchantAgreementUrl: HttpsOrDeeplink,
  productName: z.string().min(1).max(45),
  productDescription: z.string().max(100).optional(),
  phoneNumber: z.string().regex(/^\d{1,15}$/).optional(),
  externalId: z.string().min(1).max(64).optional(),
  scope: z.string().optional(),
  isApp: z.boolean().optional(),
  countryCode: z.enum(['NO', 'DK', 'FI']).optional(),
});
export type DraftAgreementRequest = z.infer<typeof DraftAgreementRequestSchema>;

export const DraftAgreementResponseSchema = z.looseObject({
  agreementId: z.string().min(1),
  uuid: z.string().min(1),
  vippsConfirmationUrl: z.string().min(1),
  chargeId: z.string().nullish(),
});
export type DraftAgreementResponse = z.infer<typeof DraftAgreementResponseSchema>;

export const AgreementStatus = z.enum(['PENDING', 'ACTIVE', 'STOPPED', 'EXPIRED']);
export type AgreementStatus = z.infer<typeof AgreementStatus>;

export const AgreementPricingResponseSchema = z.looseObject({
  type: PricingType,
  currency: VippsCurrency,
  amount: MinorAmount.nullish(),
  suggestedMaxAmount: MinorAmount.nullish(),
  /** Chosen by the user when accepting; null until then. */
  maxAmount: MinorAmount.nullish(),
});

export const AgreementResponseSchema = z.looseObject({
  id: z.string(),
  uuid: z.string().nullish(),
  status: AgreementStatus,
  created: z.string().nullish(),
  start: z.string().nullish(),
  stop: z.string().nullish(),
  productName: z.string(),
  productDescription: z.string().nullish(),
  pricing: AgreementPricingResponseSchema,
  interval: z.looseObject({ unit: IntervalUnit, count: z.int(), text: z.string().nullish() }).nullish(),
  merchantRedirectUrl: z.string().nullish(),
  merchantAgreementUrl: z.string().nullish(),
  phoneNumber: z.string().nullish(),
  sub: z.string().nullish(),
  userinfoUrl: z.string().nullish(),
  externalId: z.string().nullish(),
  countryCode: z.string().nullish(),
  vippsConfirmationUrl: z.string().nullish(),
});
export type AgreementResponse = z.infer<typeof AgreementResponseSchema>;

/** PATCH body to stop: `status` must be the only field, else Vipps answers 400. */
export const StopAgreementRequestSchema = z.strictObject({ status: z.literal('STOPPED') });

/** Other PATCH updates this product may send (never together with `status`). */
export const UpdateAgreementRequestSchema = z.strictObject({
  productName: z.string().min(1).max(45).optional(),
  productDescription: z.string().max(100).optional(),
  merchantAgreementUrl: HttpsOrDeeplink.optional(),
  externalId: z.string().min(1).max(64).optional(),
  pricing: z.strictObject({ suggestedMaxAmount: ChargeableMinorAmount.max(2_000_000) }).optional(),
});

export const ForceAcceptRequestSchema = z.strictObject({ phoneNumber: z.string().regex(/^\d{8,15}$/) });

// ---- Recurring v3: charges -----------------------------------------------------------------------

export const ChargeStatus = z.enum([
  'PENDING',
  'DUE',
  'PROCESSING',
  'CHARGED',
  'FAILED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
  'RESERVED',
  'PARTIALLY_CAPTURED',
  'CANCELLED',
  'UNKNOWN',
]);
export type ChargeStatus = z.infer<typeof ChargeStatus>;

export const FailureReason = z.enum([
  'user_action_required',
  'charge_amount_too_high',
  'non_technical_error',
  'technical_error',
]);
export type FailureReason = z.infer<typeof FailureReason>;

/** YYYY-MM-DD, validated as a real calendar date. */
export const IsoDate = z.iso.date();

export const CreateChargeRequestSchema = z.strictObject({
  amount: ChargeableMinorAmount,
  transactionType: z.enum(['DIRECT_CAPTURE', 'RESERVE_CAPTURE']),
  description: z.string().min(1).max(45),
  due: IsoDate,
  retryDays: z.int().min(0).max(14),
  orderId: z
    .string()
    .min(1)
    .max(50)
    .regex(/^[a-zA-Z0-9-]+$/)
    .optional(),
  externalId: z.string().min(1).max(64).optional(),
});
export type CreateChargeRequest = z.infer<typeof CreateChargeRequestSchema>;

export const CreateChargeResponseSchema = z.looseObject({ chargeId: z.string().min(1) });

export const ChargeHistoryEntrySchema = z.looseObject({
  occurred: z.string(),
  event: z.enum(['CREATE', 'RESERVE', 'CAPTURE', 'REFUND', 'CANCEL', 'FAIL']),
  amount: MinorAmount,
  idempotencyKey: z.string().nullish(),
  success: z.boolean(),
});

export const ChargeResponseSchema = z.looseObject({
  id: z.string(),
  agreementId: z.string(),
  amount: MinorAmount,
  currency: VippsCurrency,
  description: z.string(),
  due: z.string(),
  status: ChargeStatus,
  transactionId: z.string().nullish(),
  type: z.enum(['INITIAL', 'RECURRING', 'UNSCHEDULED']).nullish(),
  transactionType: z.enum(['DIRECT_CAPTURE', 'RESERVE_CAPTURE']).nullish(),
  retryDays: z.int().nullish(),
  externalId: z.string().nullish(),
  failureReason: FailureReason.nullish(),
  failureDescription: z.string().nullish(),
  summary: z
    .looseObject({ captured: MinorAmount, refunded: MinorAmount, cancelled: MinorAmount })
    .nullish(),
  history: z.array(ChargeHistoryEntrySchema).nullish(),
});
export type ChargeResponse = z.infer<typeof ChargeResponseSchema>;

export const ChargeListResponseSchema = z.array(ChargeResponseSchema);
export const AgreementListResponseSchema = z.array(AgreementResponseSchema);

/** Body of refund (and capture): both fields required. */
export const ModifyChargeRequestSchema = z.strictObject({
  amount: ChargeableMinorAmount,
  description: z.string().min(1).max(45),
});
export type ModifyChargeRequest = z.infer<typeof ModifyChargeRequestSchema>;

// ---- Order Management receipts ---------------------------------------------------------------------

export const ReceiptPaymentType = z.enum(['ECOM', 'RECURRING']);
export type ReceiptPaymentType = z.infer<typeof ReceiptPaymentType>;

/** orderId in the receipts path: the Recurring chargeId / ePayment reference. */
export const ReceiptOrderId = z.string().regex(/^[0-9A-Za-z\-_.]+$/);

export const OrderLineSchema = z
  .object({
    name: z.string().min(1),
    id: z.string().min(1),
    totalAmount: MinorAmount,
    totalAmountExcludingTax: MinorAmount,
    totalTaxAmount: MinorAmount,
    /** Basis points: 2500 = 25 %. Preferred over the deprecated taxPercentage. */
    taxRate: z.int().min(0).max(10_000).optional(),
    taxPercentage: z.int().min(0).max(100).optional(),
    unitInfo: z
      .object({
        unitPrice: MinorAmount.optional(),
        quantity: z.string().regex(/^\d+([.]\d{1,8})?$/),
        quantityUnit: z.enum(['PCS', 'KG', 'KM', 'MINUTE', 'LITRE', 'KWH']),
      })
      .optional(),
    discount: MinorAmount.optional(),
    productUrl: z.string().optional(),
    isReturn: z.boolean().optional(),
    isShipping: z.boolean().optional(),
  })
  .refine((line) => line.taxRate !== undefined || line.taxPercentage !== undefined, {
    message: 'one of taxRate or taxPercentage is required',
    path: ['taxRate'],
  });
export type OrderLine = z.infer<typeof OrderLineSchema>;

export const BottomLineSchema = z.object({
  currency: VippsCurrency,
  tipAmount: MinorAmount.optional(),
  posId: z.string().optional(),
  receiptNumber: z.string().optional(),
  paymentSources: z
    .object({
      giftCard: MinorAmount.optional(),
      card: MinorAmount.optional(),
      voucher: MinorAmount.optional(),
      cash: MinorAmount.optional(),
    })
    .optional(),
  barcode: z.object({ format: z.enum(['EAN-13', 'CODE 39', 'CODE 128']), data: z.string() }).optional(),
});

export const ReceiptSchema = z.object({
  orderLines: z.array(OrderLineSchema).min(1),
  bottomLine: BottomLineSchema,
});
export type Receipt = z.infer<typeof ReceiptSchema>;

// ---- QR: merchant redirect -------------------------------------------------------------------------

export const MerchantRedirectQrRequestSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-zA-Z0-9_-]+$/),
  redirectUrl: z.string().min(1).max(1024),
});
export type MerchantRedirectQrRequest = z.infer<typeof MerchantRedirectQrRequestSchema>;

export const MerchantRedirectQrResponseSchema = z.looseObject({
  id: z.string().optional(),
  url: z.string().min(1),
  redirectUrl: z.string().optional(),
});
export type MerchantRedirectQrResponse = z.infer<typeof MerchantRedirectQrResponseSchema>;

// ---- Login (OIDC) -----------------------------------------------------------------------------------

export const LoginTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  id_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.union([z.int(), z.string()]).optional(),
  scope: z.string().optional(),
});
export type LoginTokenResponse = z.infer<typeof LoginTokenResponseSchema>;

export const UserinfoResponseSchema = z.looseObject({
  sub: z.string().min(1),
  phone_number: z.string().optional(),
  name: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
});
export type UserinfoResponse = z.infer<typeof UserinfoResponseSchema>;

/** OAuth2 error body of the token endpoint (RFC 6749 §5.2), not a problem+json. */
export const OAuthErrorSchema = z.looseObject({ error: z.string(), error_description: z.string().optional() });

// ---- Amount helpers: the only place decimal strings become øre and back --------------------------

/** "326.00" → 32600. Throws on sub-øre precision rather than rounding money silently. */
export function toOre(amount: MoneyInput): number {
  return toMinorUnits(amount);
}

/** 32600 → "326.00". */
export function fromOre(minor: number): string {
  return fromMinorUnits(minor).toFixed(2);
}

/** "25" (%) → 2500 basis points for OrderLine.taxRate. */
export function percentToTaxRate(percent: MoneyInput): number {
  return toMinorUnits(percent);
}
