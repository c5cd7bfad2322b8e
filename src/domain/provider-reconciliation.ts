/**
 * Ledger vs provider, order by order: the provider is the truth for money, the ledger must hold exactly what it
 * says. Pure: the caller fetches each order's provider status and its ledger rows.
 */
import { money } from './money';

export type ProviderOrderOutcome = 'paid' | 'declined' | 'pending' | 'expired' | 'voided' | 'refunded' | 'reversed' | 'chargeback' | 'unknown';

/** One order as its provider reports it ('unknown': the provider has no such order, or could not be asked). */
export interface ProviderOrderFact {
  orderId: string;
  sessionId: number;
  provider: string;
  providerRef: string;
  outcome: ProviderOrderOutcome;
  amount: string | null;
  currency: string | null;
}

/** A ledger row of that order (providerRefs.orderId). */
export interface OrderLedgerRow {
  orderId: string;
  kind: string;
  gross: string;
  currency: string;
}

export type ProviderIssueCode = 'charge_without_capture' | 'capture_without_charge' | 'amount_difference' | 'provider_unreachable';

export interface ProviderIssue {
  orderId: string;
  sessionId: number;
  provider: string;
  code: ProviderIssueCode;
  message: string;
}

/** Outcomes after which the provider holds (or held) the driver's money for this order. */
const CAPTURED: ReadonlySet<ProviderOrderOutcome> = new Set(['paid', 'refunded', 'reversed', 'chargeback']);

export function reconcileProviderOrders(orders: readonly ProviderOrderFact[], ledger: readonly OrderLedgerRow[]): ProviderIssue[] {
  const issues: ProviderIssue[] = [];
  for (const o of [...orders].sort((a, b) => a.orderId.localeCompare(b.orderId))) {
    const captures = ledger.filter((r) => r.orderId === o.orderId && r.kind === 'capture');
    const add = (code: ProviderIssueCode, message: string) => issues.push({ orderId: o.orderId, sessionId: o.sessionId, provider: o.provider, code, message });
    if (o.outcome === 'unknown') {
      if (captures.length > 0) add('provider_unreachable', `the ledger holds a capture but ${o.provider} could not confirm the order`);
      continue;
    }
    if (CAPTURED.has(o.outcome)) {
      if (captures.length === 0) {
        add('charge_without_capture', `${o.provider} captured ${o.amount} ${o.currency} (${o.outcome}) but the ledger has no capture`);
        continue;
      }
      const capture = captures[0]!;
      if (o.amount !== null && (!money(capture.gross).equals(money(o.amount)) || capture.currency !== o.currency)) {
        add('amount_difference', `${o.provider} captured ${o.amount} ${o.currency}, the ledger booked ${capture.gross} ${capture.currency}`);
      }
      continue;
    }
    if (captures.length > 0) add('capture_without_charge', `the ledger books a capture but ${o.provider} reports the order ${o.outcome}`);
  }
  return issues;
}
