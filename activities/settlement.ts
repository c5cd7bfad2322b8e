import { ledgerRowsOfOrder } from '../src/db/ledger-orders';
import { SessionModel, sessionRowId } from '../src/db/models';
import { money, round2, toAmountString } from '../src/domain/money';
import type { CardPaymentStatus, CardProvider, CardProviderName } from '../src/providers/card-provider';
import type { ProviderOrderStatus, SessionActivities } from './contracts';
import { recordLedgerEntry } from './ledger';
import { asActivityFailure, CARD_PROVIDER_REJECTED } from './provider-failures';
import { ApplicationFailure } from '@temporalio/activity';

const toOrderStatus = (s: CardPaymentStatus): ProviderOrderStatus => ({
  outcome: s.outcome,
  providerRef: s.providerRef,
  amount: s.amount,
  currency: s.currency,
  ...(s.reason ? { reason: s.reason } : {}),
  ...(s.reasonCode ? { reasonCode: s.reasonCode } : {}),
});

/**
 * Settling card orders with the provider: its status API is the safety net behind callbacks, and a void makes
 * sure an order we gave up on can never be captured afterwards.
 */
export function createSettlementActivities(deps: {
  cardProviders: Record<CardProviderName, CardProvider>;
}): Pick<SessionActivities, 'cardPaymentStatus' | 'voidCardPayment' | 'recordReturnedMoney'> {
  const provider = (name: CardProviderName) => {
    const p = deps.cardProviders[name];
    if (!p) throw ApplicationFailure.nonRetryable(`card provider ${name} is not configured`, CARD_PROVIDER_REJECTED);
    return p;
  };
  return {
    async cardPaymentStatus({ provider: name, orderId, providerRef }) {
      try {
        return toOrderStatus(await provider(name).status(orderId, providerRef));
      } catch (err) {
        asActivityFailure(err);
      }
    },
    async voidCardPayment({ provider: name, orderId, providerRef }) {
      try {
        return toOrderStatus(await provider(name).void(orderId, providerRef));
      } catch (err) {
        asActivityFailure(err);
      }
    },
    recordReturnedMoney,
  };
}

/** Refunds we made ourselves are already in the ledger: a provider's refund notice books only what is missing. */
export const recordReturnedMoney: SessionActivities['recordReturnedMoney'] = async (req) => {
  const rows = (await ledgerRowsOfOrder(req.orderId)).filter((r) => r.sessionId === String(req.sessionId));
  const capture = rows.find((r) => r.kind === 'capture');
  const alreadyReturned = rows.filter((r) => r.kind === req.kind).reduce((sum, r) => sum.plus(r.gross), money(0));
  const missing = money(req.amount).minus(alreadyReturned);
  if (missing.lte(0)) return null;
  const gross = toAmountString(missing);
  const vat = capture && !money(capture.gross).isZero() ? round2(money(capture.vat).times(missing).dividedBy(capture.gross)) : money(0);
  const note =
    req.kind === 'refund'
      ? 'refund reported by the provider'
      : req.kind === 'reversal'
        ? 'payment reversed by the provider or the bank'
        : 'chargeback opened by the card holder';
  const source = req.source ?? ((await SessionModel.findById(sessionRowId(req.sessionId), { kind: 1 }).lean())?.kind === 'anpr' ? 'autopay' : 'barrier');
  await recordLedgerEntry({
    idempotencyKey: `${req.kind}-${req.orderId}-${toAmountString(req.amount)}`,
    kind: req.kind,
    source,
    provider: req.provider,
    sessionId: String(req.sessionId),
    gross,
    vat: vat.toFixed(2),
    net: missing.minus(vat).toFixed(2),
    currency: req.currency,
    occurredAt: new Date().toISOString(),
    providerRefs: { orderId: req.orderId, providerRef: req.providerRef },
    note,
  });
  return { amount: gross, note };
};
