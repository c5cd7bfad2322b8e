import { ApplicationFailure } from '@temporalio/common';
import { AgreementModel } from '../src/db/models';
import { assertTimeZone } from '../src/domain/calendar';
import type { BillingLine } from '../src/domain/vipps-billing';
import { VippsApiError, type VippsClient } from '../src/providers/vipps/client';
import { VIPPS_CHARGE_REJECTED, VIPPS_NOT_FOUND } from '../workflows/vipps-billing-messages';
import { fromOre, percentToTaxRate, toOre, type Receipt, type VippsCurrency } from '../src/providers/vipps/wire';

/**
 * The Vipps billing workflow's I/O: settings, agreement read-back, charge create/read, receipt. This
 * file is the provider edge of billing: decimal strings come in, øre go out to Vipps and come back as
 * decimal strings. Every mutating call carries the key the workflow derived, so retries are the same
 * request (Vipps replays the stored response for a repeated key).
 */

export interface VippsBillingDeps {
  vipps: VippsClient;
  /** VIPPS_BILLING_TIME_ZONE: the merchant's calendar for "one charge per day". */
  billingTimeZone: string;
  /** VIPPS_CHARGE_RETRY_DAYS: Vipps retries a DUE charge this many days before FAILED. */
  retryDays: number;
  /** VIPPS_MAX_FAILED_CHARGE_DAYS: failed charges a usage may be carried through before ops take over. */
  maxFailedChargeDays: number;
  /** Receipt bottomLine.posId (optional). */
  posId?: string;
  /** How often an open charge is read back when no webhook arrives; default 4 h. */
  pollIntervalMinutes?: number;
}

export interface VippsBillingSettings {
  timeZone: string;
  retryDays: number;
  maxFailedChargeDays: number;
  pollIntervalMs: number;
}

export interface VippsAgreementSnapshot {
  status: 'PENDING' | 'ACTIVE' | 'STOPPED' | 'EXPIRED';
  currency: string;
  suggestedMaxAmount: string | null;
  maxAmount: string | null;
  /** max(suggestedMaxAmount, maxAmount): what one day's charges may total (PROVIDERS.md §1.6). */
  limit: string;
}

export interface VippsChargeSnapshot {
  chargeId: string;
  status: string;
  failureReason: string | null;
  amount: string;
}

export interface CreateVippsChargeRequest {
  agreementId: string;
  /** Also the orderId, so the chargeId is known before the response (a lost response loses nothing). */
  idempotencyKey: string;
  amount: string;
  description: string;
  due: string;
  retryDays: number;
}

export interface SendVippsReceiptRequest {
  chargeId: string;
  currency: string;
  lines: BillingLine[];
}

export interface VippsBillingActivities {
  vippsBillingSettings(): Promise<VippsBillingSettings>;
  syncVippsAgreement(req: { agreementId: string }): Promise<VippsAgreementSnapshot>;
  createVippsCharge(req: CreateVippsChargeRequest): Promise<{ chargeId: string }>;
  getVippsCharge(req: { agreementId: string; chargeId: string }): Promise<VippsChargeSnapshot>;
  sendVippsReceipt(req: SendVippsReceiptRequest): Promise<'created' | 'already_exists'>;
}


/** Permanent provider answers are not retried: Vipps binds a 4xx to the key, a retry would get it again. */
function permanent(err: unknown, type: string): never {
  if (err instanceof VippsApiError && err.isPermanent) {
    throw ApplicationFailure.nonRetryable(err.message, err.status === 404 ? VIPPS_NOT_FOUND : type, {
      status: err.status,
      title: err.title,
      detail: err.detail ?? null,
    });
  }
  throw err;
}

const CURRENCIES: readonly string[] = ['NOK', 'DKK', 'EUR'];
function vippsCurrency(currency: string): VippsCurrency {
  if (!CURRENCIES.includes(currency)) throw ApplicationFailure.nonRetryable(`Vipps does not take ${currency}`, 'VippsCurrency');
  return currency as VippsCurrency;
}

export function receiptFor(req: SendVippsReceiptRequest, posId?: string): Receipt {
  return {
    orderLines: req.lines.map((l) => ({
      name: l.description.slice(0, 100) || `Parking ${l.sessionId}`,
      id: l.part ? `${l.sessionId}-${l.part}` : l.sessionId,
      totalAmount: toOre(l.gross),
      totalAmountExcludingTax: toOre(l.net),
      totalTaxAmount: toOre(l.vat),
      taxRate: percentToTaxRate(l.vatPercent),
      unitInfo: { quantity: '1', quantityUnit: 'PCS' as const, unitPrice: toOre(l.gross) },
    })),
    bottomLine: { currency: vippsCurrency(req.currency), receiptNumber: req.chargeId, ...(posId ? { posId } : {}) },
  };
}

export function createVippsBillingActivities(deps: VippsBillingDeps): VippsBillingActivities {
  assertTimeZone(deps.billingTimeZone);
  return {
    async vippsBillingSettings() {
      return {
        timeZone: deps.billingTimeZone,
        retryDays: deps.retryDays,
        maxFailedChargeDays: deps.maxFailedChargeDays,
        pollIntervalMs: (deps.pollIntervalMinutes ?? 240) * 60_000,
      };
    },

    async syncVippsAgreement({ agreementId }) {
      const a = await deps.vipps.getAgreement(agreementId).catch((err: unknown) => permanent(err, 'VippsAgreementRead'));
      const suggested = a.pricing.suggestedMaxAmount ?? null;
      const max = a.pricing.maxAmount ?? null;
      // Reference data follows Vipps (the user may have changed maxAmount or stopped in the app).
      await AgreementModel.updateOne(
        { agreementId },
        { $set: { status: a.status, maxAmountMinor: max, ...(suggested !== null ? { suggestedMaxAmountMinor: suggested } : {}) } },
      );
      return {
        status: a.status,
        currency: a.pricing.currency,
        suggestedMaxAmount: suggested === null ? null : fromOre(suggested),
        maxAmount: max === null ? null : fromOre(max),
        limit: fromOre(Math.max(suggested ?? 0, max ?? 0)),
      };
    },

    async createVippsCharge(req) {
      const { chargeId } = await deps.vipps
        .createCharge(
          req.agreementId,
          {
            amountMinor: toOre(req.amount),
            description: req.description,
            due: req.due,
            retryDays: req.retryDays,
            orderId: req.idempotencyKey,
            transactionType: 'DIRECT_CAPTURE',
          },
          req.idempotencyKey,
        )
        .catch((err: unknown) => permanent(err, VIPPS_CHARGE_REJECTED));
      return { chargeId };
    },

    async getVippsCharge({ agreementId, chargeId }) {
      const c = await deps.vipps.getCharge(agreementId, chargeId).catch((err: unknown) => permanent(err, 'VippsChargeRead'));
      return { chargeId: c.id, status: c.status, failureReason: c.failureReason ?? null, amount: fromOre(c.amount) };
    },

    async sendVippsReceipt(req) {
      // Receipts are immutable: 409 from a retry or a second run means it is already there.
      return deps.vipps.sendReceipt('RECURRING', req.chargeId, receiptFor(req, deps.posId));
    },
  };
}
