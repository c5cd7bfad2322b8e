import { ApplicationFailure } from '@temporalio/activity';
import { LedgerModel } from '../src/db/models';
import { money, round2, toAmountString } from '../src/domain/money';
import type { CardProvider, CardProviderName } from '../src/providers/card-provider';
import { recordLedgerEntry } from './ledger';

export interface RefundRequest {
  sessionId: number;
  requestId: string;
  /** Decimal string; null refunds everything still refundable. */
  amount: string | null;
  reason: string;
}

/**
 * A refund either happened or was refused for a business reason (amount above what is refundable, the
 * provider does not know the payment). Refusals are results, not failures: nothing to retry, nothing red in
 * the Temporal UI. Only outages (provider or database unreachable) throw and are retried.
 */
export type RefundOutcome =
  | { outcome: 'refunded'; refundRef: string; amount: string; currency: string }
  | { outcome: 'refused'; code: RefundRefusalCode; message: string };

export type RefundRefusalCode = 'no_capture' | 'nothing_to_refund' | 'amount_not_positive' | 'exceeds_refundable' | 'provider_refused';

export interface RefundActivities {
  refundSessionPayment(req: RefundRequest): Promise<RefundOutcome>;
}

const refused = (code: RefundRefusalCode, message: string): RefundOutcome => ({ outcome: 'refused', code, message });

/**
 * The provider said no to this refund (as opposed to being unreachable). ProviderRefusal is the providers'
 * own class for it; until every client throws it, a 4xx answer or a "not_found" code means the same.
 */
export function isProviderRefusal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code, httpStatus } = err as { name?: unknown; code?: unknown; httpStatus?: unknown };
  if (name === 'ProviderRefusal') return true;
  if (name === 'ProviderUnavailable') return false;
  if (code === 'not_found') return true;
  return typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429;
}

/**
 * Refunds against the session's capture in the ledger: never more than captured minus already refunded.
 * The provider call carries `<sessionId>-refund-<requestId>`, so a retried activity refunds once.
 */
export function createRefundActivities(deps: { cardProviders: Record<CardProviderName, CardProvider> }): RefundActivities {
  return {
    async refundSessionPayment({ sessionId, requestId, amount, reason }) {
      const entries = await LedgerModel.find({ sessionId: String(sessionId), kind: { $in: ['capture', 'refund'] } }).lean();
      const capture = entries.find((e) => e.kind === 'capture' && !e.note);
      if (!capture) return refused('no_capture', `parking session ${sessionId} has no card capture to refund`);
      const idempotencyKey = `${sessionId}-refund-${requestId}`;
      const ledgerKey = `refund-${idempotencyKey}`;
      const done = entries.find((e) => e.idempotencyKey === ledgerKey);
      if (done) return { outcome: 'refunded', refundRef: String((done.providerRefs as Record<string, string>).refundRef ?? ''), amount: done.gross, currency: done.currency };
      const refunded = entries.filter((e) => e.kind === 'refund' && e.sessionId === String(sessionId)).reduce((s, e) => s.plus(e.gross), money(0));
      const refundable = money(capture.gross).minus(refunded);
      if (amount === null && refundable.lte(0)) return refused('nothing_to_refund', `parking session ${sessionId} has nothing left to refund`);
      const wanted = amount === null ? refundable : money(amount);
      if (wanted.lte(0)) return refused('amount_not_positive', 'refund amount must be positive');
      if (wanted.gt(refundable)) return refused('exceeds_refundable', `refund ${wanted.toFixed(2)} exceeds the refundable ${refundable.toFixed(2)} ${capture.currency}`);
      const refs = capture.providerRefs as Record<string, string>;
      const provider = deps.cardProviders[capture.provider as CardProviderName];
      // A capture by a provider this deployment does not know is a data fault, not a refusal.
      if (!provider) throw ApplicationFailure.nonRetryable(`no card provider ${capture.provider}`, 'RefundRejected');
      let res;
      try {
        res = await provider.refund({
          orderId: refs.orderId,
          providerRef: refs.providerRef,
          amount: toAmountString(wanted),
          currency: capture.currency,
          idempotencyKey,
        });
      } catch (err) {
        if (isProviderRefusal(err)) return refused('provider_refused', `${capture.provider} refused the refund: ${(err as Error).message}`);
        throw err;
      }
      // VAT is given back in the capture's proportion; net is the remainder, so net + vat = gross exactly.
      const vat = round2(money(capture.vat).times(wanted).dividedBy(capture.gross));
      const split = { gross: toAmountString(wanted), vat: vat.toFixed(2), net: wanted.minus(vat).toFixed(2) };
      await recordLedgerEntry({
        idempotencyKey: ledgerKey,
        kind: 'refund',
        source: capture.source as 'barrier' | 'autopay',
        provider: capture.provider as CardProviderName,
        sessionId: String(sessionId),
        gross: split.gross,
        net: split.net,
        vat: split.vat,
        currency: capture.currency,
        occurredAt: new Date().toISOString(),
        providerRefs: { ...refs, refundRef: res.refundRef },
        note: reason,
      });
      return { outcome: 'refunded', refundRef: res.refundRef, amount: split.gross, currency: capture.currency };
    },
  };
}
