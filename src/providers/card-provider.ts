/**
 * What the payment activities need from a card provider (Netopia, EPX). Amounts are decimal strings
 * ("10.00") in major units; each provider converts at its own edge.
 */
import { hasAtMost2Decimals, money } from '../domain/money';

export type CardProviderName = 'netopia' | 'epx';

export interface CardPaymentStart {
  /** Our order id `<sessionId>-<attempt>`: also the provider-side idempotency key. */
  orderId: string;
  amount: string;
  currency: string;
  description: string;
  /** Where the provider sends the browser back. */
  returnUrl: string;
  /** Where the provider posts its server-to-server notification (IPN). */
  notifyUrl: string;
}

export interface CardPaymentStarted {
  /** The provider's id for this payment (Netopia ntpID, EPX TAC / transaction reference). */
  providerRef: string;
  /** Page the browser is sent to for card entry. */
  redirectUrl: string;
}

/**
 * What the provider says happened to one order.
 * - pending: nothing final yet (order open, card page not submitted, 3DS, fraud review, no transaction yet)
 * - paid: captured; declined: the card was refused; expired: the provider let the order lapse unpaid
 * - voided: we cancelled the unpaid order at the provider; it can never be captured
 * - refunded / reversed / chargeback: captured earlier, money since given back (by us / the bank / a dispute)
 */
export type CardOutcome = 'paid' | 'declined' | 'pending' | 'expired' | 'voided' | 'refunded' | 'reversed' | 'chargeback';

export interface CardPaymentStatus {
  orderId: string;
  outcome: CardOutcome;
  /** A person-readable decline reason (e.g. "Card expired"), when declined. */
  reason?: string;
  /** Machine-readable decline code, e.g. "expired_card", "insufficient_funds". */
  reasonCode?: string;
  providerRef: string;
  amount: string;
  currency: string;
  /** Masked card, last 4 digits only. */
  cardLast4?: string;
}

export interface CardRefundRequest {
  orderId: string;
  providerRef: string;
  amount: string;
  currency: string;
  /** Unique per refund, e.g. `<sessionId>-refund-<n>`. */
  idempotencyKey: string;
}

export interface CardRefundResult {
  refundRef: string;
  amount: string;
}

export interface CardProvider {
  readonly name: CardProviderName;
  start(req: CardPaymentStart): Promise<CardPaymentStarted>;
  /** Server-to-server status: the only thing we trust to mark a payment paid. */
  status(orderId: string, providerRef: string): Promise<CardPaymentStatus>;
  refund(req: CardRefundRequest): Promise<CardRefundResult>;
  /**
   * Cancels an order that was not paid, so no later card submission can capture it. Idempotent. Answers the
   * order's status after the call: 'voided' (or 'expired'/'declined'), or 'paid' when a capture won the race
   * (the caller then books and refunds it).
   */
  void(orderId: string, providerRef: string): Promise<CardPaymentStatus>;
}

/**
 * The provider answered and said no (unknown order, amount above refundable, invalid request): the same call
 * gets the same answer, so it must not be retried. `code` is the provider's own error code.
 */
export class ProviderRefusal extends Error {
  constructor(
    readonly provider: string,
    readonly code: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ProviderRefusal';
  }
}

/** The provider could not answer now (network, timeout, 5xx, 429, circuit open): try again later. */
export class ProviderUnavailable extends Error {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderUnavailable';
  }
}

/** A card amount as both providers send it: positive, at most 2 decimals, always printed with 2 ("10.00"). */
export function cardAmount(amount: string): string {
  const d = money(amount);
  if (d.lte(0) || !hasAtMost2Decimals(d)) throw new RangeError(`invalid card amount: ${amount}`);
  return d.toFixed(2);
}

export function isProviderRefusal(err: unknown): err is ProviderRefusal {
  return err instanceof ProviderRefusal;
}

export function isProviderUnavailable(err: unknown): err is ProviderUnavailable {
  return err instanceof ProviderUnavailable;
}

/** Statuses that mean "not now" rather than "no": timeouts, rate limits and server faults. */
export function isUnavailableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}
