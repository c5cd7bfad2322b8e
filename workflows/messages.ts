/**
 * The one contract between the HTTP layer and the workflows: signal, update and query definitions and
 * their payloads. Imported by workflows/*, activities/* and src/api/*.
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

export interface ParkingSessionInput {
  sessionId: number;
  driverId: string;
  kind: SessionKind;
  parking: ParkingSnapshot;
  anpr?: AnprDetails;
  createdAt: string;
  settings: {
    entryTimeoutMs: number;
    paymentAttemptTtlMs: number;
    smartKeyTries: number;
  };
}

export interface SmartKeyView {
  id: number;
  direction: Direction;
  accessCommand: string;
  remainingTries: number;
  startTime: string;
  endTime: string | null;
}

export interface PaymentAttemptView {
  attempt: number;
  orderId: string;
  provider: CardProviderName;
  status: 'open' | 'started' | 'paid' | 'declined' | 'expired';
  providerRef: string | null;
  redirectUrl: string | null;
  reason: string | null;
  reasonCode: string | null;
  expiresAt: string;
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
  closedReason: string | null;
}

// Signals: facts that happened elsewhere; the workflow decides what they mean.
export interface GateEvent {
  direction: Direction;
  occurredAt?: string;
}
export interface PaymentResult {
  orderId: string;
  outcome: 'paid' | 'declined' | 'expired';
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
export const addVippsUsageSignal = defineSignal<[VippsUsage]>('addUsage');
