/**
 * The one contract between the HTTP layer and the workflows: signal, update and query definitions and
 * their payloads, and the workflows' inputs and results. Imported by workflows/*, activities/* and src/api/*.
 * The Vipps billing workflow's own messages are its part of this contract in vipps-billing-messages.ts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentStatus, SessionKind, SessionState } from '../src/domain/session';

export type Direction = 'entrance' | 'exit';
export type CardProviderName = 'netopia' | 'epx';

export interface AccessPoint {
  macAddress: string;
  direction: Direction;
  name: string;
}

/** The parking as it was when the session started: the workflow never reads reference data itself. */
export interface ParkingSnapshot {
  id: number;
  name: string;
  description: string;
  currency: string;
  active: boolean;
  exclusivelyOnline: boolean;
  accessPoints: AccessPoint[];
  cardProvider: CardProviderName;
  vatPercent: string;
  timeZone: string;
}

export interface AnprDetails {
  operatorId: string;
  areaCode: string;
  vehicleReg: string;
  plateIssuer: string;
  plateSubdivision: string | null;
}

/** What the API puts in ParkingSessionInput.revision now: 4 = lean-v4 (no patch markers, kept wake-up timers). */
export const SESSION_INPUT_REVISION = 4;

export interface ParkingSessionInput {
  sessionId: number;
  driverId: string;
  kind: SessionKind;
  parking: ParkingSnapshot;
  anpr?: AnprDetails;
  createdAt: string;
  /**
   * The entrance key's id, made by the API, which writes the command derived from it (src/security/access-command.ts)
   * to the gate's lookup before the app hears of it, so a gate finds it at once. Its presence is what makes the
   * session's keys hold ids instead of access commands.
   */
  entranceKeyId?: string;
  /** Sessions started before key ids: the entrance key's access command itself, made by the API. */
  entranceAccessCommand?: string;
  /**
   * The workflow revision the API started the session for (SESSION_INPUT_REVISION). From 4 (lean-v4) it decides what
   * patch markers decide for older executions, so a new session records none (workflows/parking-session.ts).
   * Executions whose input lacks it replay their patched() code unchanged.
   */
  revision?: number;
  settings: {
    entryTimeoutMs: number;
    paymentAttemptTtlMs: number;
    smartKeyTries: number;
    /** Longer stays, or prices above maxAmount (in the parking's currency), go to ops instead of being charged. */
    maxStayMs?: number;
    maxAmount?: string;
    /** How far a gate's occurred_at may lie before the session's creation or after now; further is clamped. */
    gateClockSkewMs?: number;
    /** How long an ANPR session keeps asking Autopay to connect while the camera has not seen the car. */
    anprConnectWindowMs?: number;
    /** Longer in `active` / `exiting` (since entering it, or since ops resolved it) and the session goes to ops. */
    maxActiveMs?: number;
    maxExitingMs?: number;
  };
}

export interface SmartKeyView {
  id: number;
  direction: Direction;
  /** The key's id; its access command is derived from it outside the workflow (src/security/access-command.ts). */
  keyId?: string;
  /** Sessions started before key ids (no `entranceKeyId` in their input): the access command itself. */
  accessCommand?: string;
  remainingTries: number;
  startTime: string;
  endTime: string | null;
}

export interface PaymentAttemptView {
  attempt: number;
  orderId: string;
  provider: CardProviderName;
  /** 'paid' is the pre-settlement-v2 name of 'captured' (kept for sessions started by that code). */
  status: 'open' | 'started' | 'captured' | 'declined' | 'expired' | 'voided' | 'paid';
  providerRef: string | null;
  redirectUrl: string | null;
  reason: string | null;
  reasonCode: string | null;
  expiresAt: string;
  /** What the provider captured on this attempt, when it did (may differ from the price: then it is refunded). */
  capture?: { amount: string; currency: string } | null;
  /** Money given back on this attempt after its capture: refunds, reversals, chargebacks. */
  returned?: Array<{ kind: 'refund' | 'reversal' | 'chargeback'; amount: string; reason: string }>;
}

export interface AmountView {
  gross: string;
  net: string;
  vat: string;
  vatPercent: string;
  currency: string;
}

export interface SessionView {
  sessionId: number;
  driverId: string;
  kind: SessionKind;
  parkingId: number;
  state: SessionState;
  paymentStatus: PaymentStatus;
  paidVia: 'card' | 'vipps' | 'free' | null;
  createdAt: string;
  startTime: string | null;
  endTime: string | null;
  amount: AmountView | null;
  entranceKey: SmartKeyView;
  exitKey: SmartKeyView | null;
  attempts: PaymentAttemptView[];
  plate: string | null;
  anpr: (AnprDetails & { autopayParkingId: string | null }) | null;
  attention: string | null;
  /** Machine-readable reason for attention (the `Attention` search attribute): amount_mismatch, refund_refused, ... */
  attentionCode?: string | null;
  /** Something the driver should know now, in words a driver understands (e.g. the camera has not seen the car). */
  notice?: string | null;
  /** The last thing a person did about this session's attention (the ops queue). */
  lastOpsAction?: (OpsAction & { at: string; attentionCode: string | null }) | null;
  closedReason: string | null;
}

// Signals: facts that happened elsewhere; the workflow decides what they mean.
export interface GateEvent {
  direction: Direction;
  occurredAt?: string;
}
export interface PaymentResult {
  orderId: string;
  /** A provider-confirmed outcome (never 'pending'): from a verified callback or a status query. */
  outcome: 'paid' | 'declined' | 'expired' | 'voided' | 'refunded' | 'reversed' | 'chargeback';
  reason?: string;
  reasonCode?: string;
  providerRef: string;
  amount: string;
  currency: string;
  cardLast4?: string;
}
export interface AutopayEnded {
  autopayParkingId: string;
  endTime: string;
  cost: { currency: string; vatPercent: string; net: string; vat: string; gross: string };
}
export interface AutopayCancelled {
  autopayParkingId: string;
}

export const gateEventSignal = defineSignal<[GateEvent]>('gateEvent');
export const paymentResultSignal = defineSignal<[PaymentResult]>('paymentResult');
export const autopayEndedSignal = defineSignal<[AutopayEnded]>('autopayEnded');
export const autopayCancelledSignal = defineSignal<[AutopayCancelled]>('autopayCancelled');
/** Something outside the workflow (the daily provider reconciliation, ops) found this session needs a person. */
export interface AttentionNotice {
  code: string;
  message: string;
}
export const attentionSignal = defineSignal<[AttentionNotice]>('attention');
/**
 * A person acted on a session that needs one (the ops queue): `resolve` clears the attention (and, for a stay or
 * an amount held for review, lets it be charged); `retry` asks the provider about unsettled attempts now. Who, why
 * and when stay in the history with the signal.
 */
export interface OpsAction {
  action: 'resolve' | 'retry';
  by: string;
  note: string;
}
export const opsActionSignal = defineSignal<[OpsAction]>('opsAction');

// Updates: requests that need an answer, rejected by their validators in a wrong state.
export interface AccessAttemptRequest {
  direction: Direction;
  macAddress: string;
}
export interface AccessAttemptResult {
  key: SmartKeyView;
  view: SessionView;
}
export interface FinalizeRequest {
  securedParkingId: number;
}
export interface CancelRequest {
  by: 'driver' | 'ops';
  reason: string;
}
export interface StartPaymentResult {
  attempt: PaymentAttemptView | null;
  view: SessionView;
}

export const accessAttemptUpdate = defineUpdate<AccessAttemptResult, [AccessAttemptRequest]>('accessAttempt');
export const finalizeUpdate = defineUpdate<SessionView, [FinalizeRequest]>('finalize');
export const cancelUpdate = defineUpdate<SessionView, [CancelRequest]>('cancel');
export const startPaymentUpdate = defineUpdate<StartPaymentResult, []>('startPayment');
export const requestManualStopUpdate = defineUpdate<SessionView, [{ endTime: string }]>('requestManualStop');

export const sessionViewQuery = defineQuery<SessionView>('sessionView');

// Vipps billing per agreement.
export interface VippsUsage {
  sessionId: string;
  source: 'autopay' | 'easypark' | 'barrier';
  occurredAt: string;
  gross: string;
  net: string;
  vat: string;
  vatPercent: string;
  currency: string;
  description: string;
}
// A provider fact about an order whose session workflow is gone (late capture, chargeback after close).
export interface LateCaptureInput {
  orderId: string;
  sessionId: number;
}
export const lateProviderResultSignal = defineSignal<[PaymentResult & { provider: CardProviderName }]>('lateProviderResult');

export const addVippsUsageSignal = defineSignal<[VippsUsage]>('addUsage');

// An automatic refund of one card order (workflows/order-refund.ts), its ops decision and its state.
/** Money the provider took on one order of one session. */
export interface OrderMoney {
  sessionId: number;
  orderId: string;
  provider: CardProviderName;
  providerRef: string;
  amount: string;
  currency: string;
}

export interface OrderRefundRequest extends OrderMoney {
  reason: string;
  source: 'barrier' | 'autopay';
}

export type OrderRefundOutcome = { status: 'refunded'; refundRef: string } | { status: 'refused'; code: string; message: string };

export interface OpsRefundDecision {
  action: 'retry' | 'resolve';
  by: string;
  note: string;
}
export const opsRefundDecisionSignal = defineSignal<[OpsRefundDecision]>('opsRefundDecision');

/** Where the refund stands: `waitingForDecision` is the one phase in which opsRefundDecision is acted on. */
export interface OrderRefundState {
  request: OrderRefundRequest;
  phase: 'refunding' | 'waiting_for_decision' | 'done';
  /** The provider's last refusal, while it is the latest word. */
  refusal: { code: string; message: string } | null;
  decisions: OpsRefundDecision[];
}
export const orderRefundStateQuery = defineQuery<OrderRefundState>('orderRefundState');

// One EasyPark Fleet transaction (workflows/fleet-session.ts).
/** The parsed webhook body: amounts are exact "0.00" strings (src/providers/easypark/wire.ts ParkingTransaction). */
export interface FleetTransaction {
  parkingId: number;
  parkingUserId: number;
  licenseNumber: string;
  startDate: string;
  endDate: string;
  parkingAreaId: number;
  parkingAreaName: string;
  parkingOperatorId: number;
  parkingOperatorName: string;
  price: string;
  priceVatAmount: string;
  priceExclusiveVatAmount: string;
  transactionFeeExclusiveVatAmount: string;
  transactionFeeVatAmount: string;
  transactionFee: string;
  currency: string;
}

export interface FleetSessionInput {
  /** FleetModel.id of the fleet whose Basic credentials the webhook carried. */
  fleetId: string;
  transaction: FleetTransaction;
  /** endDate as a UTC ISO instant: when the parking ended, the ledger's occurredAt (and so the report's day). */
  endedAt: string;
  receivedAt: string;
}

export type RebillOutcome = { status: 'billed'; driverId: string; agreementId: string } | { status: 'skipped'; reason: string };

export interface FleetSessionState {
  parkingId: number;
  fleetId: string;
  phase: 'booking' | 'rebilling' | 'done';
  ledgerKeys: { price: string; fee: string } | null;
  rebill: RebillOutcome | null;
}

export const fleetSessionStateQuery = defineQuery<FleetSessionState>('fleetSessionState');
