import { ApplicationFailure } from '@temporalio/activity';
import { LedgerModel } from '../src/db/models';
import { money, round2, toAmountString } from '../src/domain/money';
import type { CardProvider, CardProviderName } from '../src/providers/card-provider';
import { recordLedgerEntry } from './ledger';

export interface RefundActivities {
  refundSessionPayment(req: { sessionId: number; requestId: string; amount: string | null; reason: string }): Promise<{ refundRef: string; amount: string; currency: string }>;
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
      if (!capture) throw ApplicationFailure.nonRetryable(`parking session ${sessionId} has no card capture to refund`, 'RefundRejected');
      const idempotencyKey = `${sessionId}-refund-${requestId}`;
      const ledgerKey = `refund-${idempotencyKey}`;
      const done = entries.find((e) => e.idempotencyKey === ledgerKey);
      if (done) return { refundRef: String((done.providerRefs as Record<string, string>).refundRef ?? ''), amount: done.gross, currency: done.currency };
      const refunded = entries.filter((e) => e.kind === 'refund' && e.sessionId === String(sessionId)).reduce((s, e) => s.plus(e.gross), money(0));
      const refundable = money(capture.gross).minus(refunded);
      const wanted = amount === null ? refundable : money(amount);
      if (wanted.lte(0)) throw ApplicationFailure.nonRetryable('refund amount must be positive', 'RefundRejected');
      if (wanted.gt(refundable)) throw ApplicationFailure.nonRetryable(`refund ${wanted.toFixed(2)} exceeds the refundable ${refundable.toFixed(2)} ${capture.currency}`, 'RefundRejected');
      const refs = capture.providerRefs as Record<string, string>;
      const provider = deps.cardProviders[capture.provider as CardProviderName];
      if (!provider) throw ApplicationFailure.nonRetryable(`no card provider ${capture.provider}`, 'RefundRejected');
      const res = await provider.refund({
        orderId: refs.orderId,
        providerRef: refs.providerRef,
        amount: toAmountString(wanted),
        currency: capture.currency,
        idempotencyKey,
      });
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
      return { refundRef: res.refundRef, amount: split.gross, currency: capture.currency };
    },
  };
}
