/**
 * The activities' signatures as the workflows see them (type-only imports: the workflow bundle never
 * contains activity code).
 */
import type { AmountView, AnprDetails, CardProviderName, FleetTransaction, OrderMoney, OrderRefundOutcome, OrderRefundRequest, SessionView, VippsUsage } from '../workflows/messages';

export interface LedgerEntryInput {
  /** Unique per money movement: a retried activity or a duplicate callback writes nothing new. */
  idempotencyKey: string;
  kind: 'attempt' | 'capture' | 'decline' | 'refund' | 'reversal' | 'chargeback' | 'refund_refused' | 'vipps_usage' | 'vipps_charge' | 'vipps_charge_failed' | 'fleet_transaction' | 'fleet_fee' | 'ops_action';
  source: 'barrier' | 'autopay' | 'vipps' | 'easypark';
  provider: 'netopia' | 'epx' | 'vipps' | 'autopay' | 'easypark' | 'none';
  sessionId: string | null;
  gross: string;
  net: string;
  vat: string;
  currency: string;
  occurredAt: string;
  providerRefs?: Record<string, string>;
  note?: string;
  /**
   * The IANA zone whose calendar day the row belongs to (the ledger's `day`). Unset: the parking's zone, found from
   * the session; UTC for rows with no parking (EasyPark fleet rows).
   */
  timeZone?: string;
}

export interface CardOrderRef {
  provider: CardProviderName;
  orderId: string;
  providerRef: string;
}

export interface ProviderOrderStatus {
  outcome: 'paid' | 'declined' | 'pending' | 'expired' | 'voided' | 'refunded' | 'reversed' | 'chargeback';
  providerRef: string;
  amount: string;
  currency: string;
  reason?: string;
  reasonCode?: string;
}

export interface ReturnedMoney {
  sessionId: number;
  orderId: string;
  provider: CardProviderName;
  /** Where the session came from; looked up from the session row when the caller does not know. */
  source?: 'barrier' | 'autopay';
  kind: 'refund' | 'reversal' | 'chargeback';
  /** What the provider reports as given back in total on this order. */
  amount: string;
  currency: string;
  providerRef: string;
}

export interface SessionActivities {
  priceSession(req: { parkingId: number; startTime: string; endTime: string }): Promise<AmountView>;
  projectSession(view: SessionView & { version: number }): Promise<void>;
  /**
   * One handled message's writes (lean-v3, run as a local activity): the ledger rows first (idempotent per key; a
   * failure throws, so it is retried), then the read model (best effort: `projected: false` instead of a throw).
   */
  recordSessionStep(step: { ledger: LedgerEntryInput[]; view: (SessionView & { version: number }) | null }): Promise<{ projected: boolean }>;
  recordLedgerEntry(entry: LedgerEntryInput): Promise<void>;
  startCardPayment(req: {
    sessionId: number;
    orderId: string;
    provider: CardProviderName;
    amount: string;
    currency: string;
    description: string;
  }): Promise<{ providerRef: string; redirectUrl: string }>;
  refundCardPayment(req: OrderMoney & { idempotencyKey: string }): Promise<{ refundRef: string }>;
  /** The provider's word on one order (server to server). Refusals fail with type CardProviderRejected. */
  cardPaymentStatus(req: CardOrderRef): Promise<ProviderOrderStatus>;
  /** Cancels an unpaid order at the provider; answers the order's status after it ('paid' if a capture won). */
  voidCardPayment(req: CardOrderRef): Promise<ProviderOrderStatus>;
  /**
   * Books money given back on a captured order (a refund the provider reports, a reversal, a chargeback) once.
   * Answers what was booked, or null when the ledger already held it (our own refund, a repeated notice).
   */
  recordReturnedMoney(req: ReturnedMoney): Promise<{ amount: string; note: string } | null>;
  autopayConnect(req: AnprDetails & { reference: string }): Promise<{ autopayParkingId: string; startTime: string }>;
  autopayManualStop(req: { operatorId: string; autopayParkingId: string; reference: string; endTime: string }): Promise<void>;
  findActiveVippsAgreement(req: { driverId: string }): Promise<{ agreementId: string } | null>;
  addVippsUsage(req: { agreementId: string; usage: VippsUsage }): Promise<void>;
}

// EasyPark Fleet (activities/fleet.ts).
export interface FleetBookingRequest {
  fleetId: string;
  transaction: FleetTransaction;
  endedAt: string;
}

export type RebillDecision =
  | { rebill: true; driverId: string; agreementId: string }
  | { rebill: false; reason: 'fleet_not_found' | 'fleet_does_not_rebill' | 'zero_price' | 'plate_unreadable' | 'no_driver_for_plate' | 'plate_ambiguous' | 'no_active_vipps_agreement' };

export interface FleetActivities {
  /** Two idempotent ledger rows: the price (with the fee noted) and the transaction fee. Returns their keys. */
  bookFleetTransaction(req: FleetBookingRequest): Promise<{ price: string; fee: string }>;
  decideFleetRebill(req: { fleetId: string; licenseNumber: string; currency: string; price: string }): Promise<RebillDecision>;
}

// Automatic order refunds (activities/order-refunds.ts).
export type LateCaptureBooking = OrderMoney;

export interface OrderRefundActivities {
  /** Gives back everything captured on one order. A refusal is an answer (booked, held for ops), not a failure. */
  refundCapturedOrder(req: OrderRefundRequest): Promise<OrderRefundOutcome>;
  /**
   * Starts the order's refund workflow (`order-refund-<orderId>`) unless it exists already. Started from an
   * activity rather than as a child, so it is independent of the session workflow's life.
   */
  startOrderRefund(req: OrderRefundRequest): Promise<{ started: boolean }>;
  /** Books a capture the session workflow never saw; false when the ledger already has it (nothing to do). */
  bookLateCapture(req: LateCaptureBooking): Promise<{ booked: boolean; source: 'barrier' | 'autopay' }>;
}
