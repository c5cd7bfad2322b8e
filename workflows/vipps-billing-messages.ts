/**
 * Messages of the Vipps billing workflow beyond the 'addUsage' entry point in messages.ts: webhook
 * prompts, the ops bill-now request and the state query. Shared by the workflow, its activities and
 * src/api (the webhook and ops routes), so both sides agree on one definition.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BillingLine } from '../src/domain/vipps-billing';

/** A verified Vipps charge webhook, reduced to what prompts a read-back (never trusted for money). */
export interface VippsChargeEventSignal {
  chargeId: string;
  eventType: string;
  occurred: string;
}

/** A verified agreement webhook: STOPPED/EXPIRED stops billing and hands pending usage to ops. */
export interface VippsAgreementStatusSignal {
  status: 'ACTIVE' | 'STOPPED' | 'EXPIRED';
  eventType: string;
  occurred: string;
}

export const chargeEventSignal = defineSignal<[VippsChargeEventSignal]>('chargeEvent');
export const agreementStatusSignal = defineSignal<[VippsAgreementStatusSignal]>('agreementStatus');
/** Ops: bill all pending usage now instead of at the end of the day (same per-day idempotency keys). */
export const billNowSignal = defineSignal<[{ requestedBy: string }]>('billNow');

/** ApplicationFailure types the billing activities throw for permanent Vipps answers (no retry). */
export const VIPPS_CHARGE_REJECTED = 'VippsChargeRejected';
export const VIPPS_NOT_FOUND = 'VippsNotFound';

export type ChargeOutcome = 'open' | 'charged' | 'failed' | 'cancelled' | 'rejected';

export interface VippsChargeRecord {
  chargeId: string;
  /** The Idempotency-Key sent (= orderId = chargeId). */
  idempotencyKey: string;
  billingDay: string;
  due: string;
  amount: string;
  net: string;
  vat: string;
  currency: string;
  outcome: ChargeOutcome;
  /** Last status read from Vipps. */
  status: string;
  failureReason: string | null;
  receipt: 'pending' | 'sent' | 'already_exists' | null;
  lines: BillingLine[];
  createdAt: string;
  settledAt: string | null;
}

export interface VippsOpsDebt {
  reason: string;
  amount: string;
  currency: string;
  sessionIds: string[];
  chargeIds: string[];
  at: string;
}

export interface VippsBillingState {
  agreementId: string;
  timeZone: string;
  agreementStatus: string | null;
  pending: BillingLine[];
  pendingTotal: string;
  openCharges: VippsChargeRecord[];
  /** Most recent settled charges (bounded). */
  settledCharges: VippsChargeRecord[];
  opsDebts: VippsOpsDebt[];
  /** Session ids seen (dedupe of addUsage), most recent last, bounded. */
  seenSessionIds: string[];
  /** Charges created per billing day (seq of the idempotency key). */
  daySeq: Record<string, number>;
  runs: number;
}

export const billingStateQuery = defineQuery<VippsBillingState>('billingState');

/** What a run hands to the next one at continue-as-new. */
export type VippsBillingCarried = Omit<VippsBillingState, 'agreementId' | 'timeZone' | 'pendingTotal'>;

export interface VippsBillingInput {
  agreementId: string;
  carried?: VippsBillingCarried;
}
