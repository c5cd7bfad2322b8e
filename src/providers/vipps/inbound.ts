import { z } from 'zod';
import { FailureReason, VippsCurrency } from './wire';

/**
 * Webhook events Vipps MobilePay sends us (PROVIDERS.md §1.11, §2.4), validated before anything acts
 * on them. Event names and agreementId/chargeId/eventType/actor are official; the remaining charge
 * and agreement fields come from secondary transcriptions, so they are optional and unknown fields
 * are kept. Webhooks only prompt us: money decisions read the charge back from the API.
 */

export const AGREEMENT_EVENT_TYPES = [
  'recurring.agreement-activated.v1',
  'recurring.agreement-rejected.v1',
  'recurring.agreement-stopped.v1',
  'recurring.agreement-expired.v1',
] as const;
export type AgreementEventType = (typeof AGREEMENT_EVENT_TYPES)[number];

/** Note the single "l" in canceled and that there is no charge-charged event. */
export const CHARGE_EVENT_TYPES = [
  'recurring.charge-reserved.v1',
  'recurring.charge-captured.v1',
  'recurring.charge-canceled.v1',
  'recurring.charge-failed.v1',
  'recurring.charge-refunded.v1',
  'recurring.charge-creation-failed.v1',
] as const;
export type ChargeEventType = (typeof CHARGE_EVENT_TYPES)[number];

export const EPAYMENT_EVENT_NAMES = [
  'CREATED',
  'ABORTED',
  'EXPIRED',
  'CANCELLED',
  'CAPTURED',
  'REFUNDED',
  'AUTHORIZED',
  'TERMINATED',
] as const;

const Actor = z.enum(['MERCHANT', 'USER', 'ADMIN']);

export const AgreementEventSchema = z.looseObject({
  eventType: z.enum(AGREEMENT_EVENT_TYPES),
  agreementId: z.string().min(1),
  occurred: z.string().min(1),
  actor: Actor.nullish(),
  agreementUUID: z.string().nullish(),
  agreementExternalId: z.string().nullish(),
  msn: z.string().nullish(),
});
export type AgreementEvent = z.infer<typeof AgreementEventSchema>;

export const ChargeEventSchema = z.looseObject({
  eventType: z.enum(CHARGE_EVENT_TYPES),
  agreementId: z.string().min(1),
  chargeId: z.string().min(1),
  occurred: z.string().min(1),
  amount: z.int().nullish(),
  currency: VippsCurrency.nullish(),
  chargeType: z.enum(['RECURRING', 'INITIAL', 'UNSCHEDULED']).nullish(),
  chargeExternalId: z.string().nullish(),
  amountCaptured: z.int().nullish(),
  amountCanceled: z.int().nullish(),
  amountRefunded: z.int().nullish(),
  // Kept as a string: new reasons must not make us drop a failure event.
  failureReason: z.union([FailureReason, z.string()]).nullish(),
  failureCode: z.string().nullish(),
  failureDescription: z.string().nullish(),
  transactionId: z.string().nullish(),
  actor: Actor.nullish(),
  msn: z.string().nullish(),
});
export type ChargeEvent = z.infer<typeof ChargeEventSchema>;

export const EPaymentEventSchema = z.looseObject({
  msn: z.string().min(1),
  reference: z.string().min(1),
  pspReference: z.string().min(1),
  name: z.enum(EPAYMENT_EVENT_NAMES),
  amount: z.object({ currency: VippsCurrency, value: z.int() }),
  timestamp: z.string().min(1),
  idempotencyKey: z.string().nullish(),
  success: z.boolean(),
});
export type EPaymentEvent = z.infer<typeof EPaymentEventSchema>;

export type VippsWebhookEvent =
  | ({ kind: 'agreement' } & AgreementEvent)
  | ({ kind: 'charge' } & ChargeEvent)
  | ({ kind: 'epayment' } & EPaymentEvent);

export class VippsWebhookParseError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'VippsWebhookParseError';
  }
}

export type ParseVippsWebhookResult = { ok: true; event: VippsWebhookEvent } | { ok: false; error: VippsWebhookParseError };

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** Routes on the shape: Recurring events carry `eventType`, ePayment events carry `name` + `pspReference`. */
export function safeParseVippsWebhookEvent(json: unknown): ParseVippsWebhookResult {
  const fail = (message: string, issues: string[] = []) => ({ ok: false as const, error: new VippsWebhookParseError(message, issues) });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('webhook body is not a JSON object');
  const eventType = (json as Record<string, unknown>).eventType;
  if (typeof eventType === 'string') {
    if ((AGREEMENT_EVENT_TYPES as readonly string[]).includes(eventType)) {
      const r = AgreementEventSchema.safeParse(json);
      return r.success ? { ok: true, event: { kind: 'agreement', ...r.data } } : fail(`invalid ${eventType}`, issuesOf(r.error));
    }
    if ((CHARGE_EVENT_TYPES as readonly string[]).includes(eventType)) {
      const r = ChargeEventSchema.safeParse(json);
      return r.success ? { ok: true, event: { kind: 'charge', ...r.data } } : fail(`invalid ${eventType}`, issuesOf(r.error));
    }
    return fail(`unknown Vipps eventType ${JSON.stringify(eventType)}`);
  }
  const r = EPaymentEventSchema.safeParse(json);
  return r.success ? { ok: true, event: { kind: 'epayment', ...r.data } } : fail('not a known Vipps webhook event', issuesOf(r.error));
}

export function parseVippsWebhookEvent(json: unknown): VippsWebhookEvent {
  const r = safeParseVippsWebhookEvent(json);
  if (!r.ok) throw r.error;
  return r.event;
}

/**
 * Stable inbox key: Vipps redelivers the same event (at-least-once), so the key must not depend on
 * delivery headers. Agreement events and most charge events happen once per resource; refunds can
 * repeat (partial refunds) so they also carry the refunded total and time. ePayment events are unique
 * per pspReference (the event's own reference, by design different from the API's).
 */
export function eventDedupKey(event: VippsWebhookEvent): string {
  switch (event.kind) {
    case 'agreement':
      return `vipps:${event.eventType}:${event.agreementId}`;
    case 'charge': {
      const base = `vipps:${event.eventType}:${event.agreementId}:${event.chargeId}`;
      return event.eventType === 'recurring.charge-refunded.v1'
        ? `${base}:${event.amountRefunded ?? ''}:${event.occurred}`
        : base;
    }
    case 'epayment':
      return `vipps:epayment:${event.msn}:${event.reference}:${event.name}:${event.pspReference}`;
  }
}
