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

export type CardOutcome = 'paid' | 'declined' | 'pending' | 'expired';

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
}

/** A card amount as both providers send it: positive, at most 2 decimals, always printed with 2 ("10.00"). */
export function cardAmount(amount: string): string {
  const d = money(amount);
  if (d.lte(0) || !hasAtMost2Decimals(d)) throw new RangeError(`invalid card amount: ${amount}`);
  return d.toFixed(2);
}
