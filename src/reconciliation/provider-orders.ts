/**
 * Gathers the card orders a day's ledger and sessions know of, asks each provider for its record, and compares
 * them with the ledger (src/domain/provider-reconciliation.ts). Used by the daily report (on demand) and by the
 * daily reconciliation workflow, which turns each issue into an ops task.
 */
import { LedgerModel, SessionModel } from '../db/models';
import { reconcileProviderOrders, type ProviderIssue, type ProviderOrderFact } from '../domain/provider-reconciliation';
import type { CardProvider, CardProviderName } from '../providers/card-provider';
import type { SessionView } from '../../workflows/messages';

interface KnownOrder {
  orderId: string;
  sessionId: number;
  provider: CardProviderName;
  providerRef: string;
}

export interface ProviderReconciliation {
  ordersChecked: number;
  issues: ProviderIssue[];
  /** The provider's record of every order checked: what the daily workflow acts on. */
  orders: ProviderOrderFact[];
}

const isCardProvider = (p: unknown): p is CardProviderName => p === 'netopia' || p === 'epx';

/** Orders booked in the day's ledger, or attempted by sessions whose read model changed that day. */
async function ordersOfDay(date: string): Promise<KnownOrder[]> {
  const start = new Date(`${date}T00:00:00Z`);
  const end = new Date(start.getTime() + 86_400_000);
  const known = new Map<string, KnownOrder>();
  const rows = await LedgerModel.find({ day: date, provider: { $in: ['netopia', 'epx'] } }, { sessionId: 1, provider: 1, providerRefs: 1 }).lean();
  for (const r of rows) {
    const refs = (r.providerRefs ?? {}) as Record<string, string>;
    if (refs.orderId && isCardProvider(r.provider) && r.sessionId) {
      known.set(refs.orderId, { orderId: refs.orderId, sessionId: Number(r.sessionId), provider: r.provider, providerRef: refs.providerRef ?? '' });
    }
  }
  const sessions = await SessionModel.find({ updatedAt: { $gte: start, $lt: end }, view: { $ne: null } }, { view: 1 }).lean();
  for (const s of sessions) {
    const view = s.view as SessionView;
    for (const a of view.attempts ?? []) {
      if (a.status === 'open' || !a.providerRef || known.has(a.orderId)) continue;
      known.set(a.orderId, { orderId: a.orderId, sessionId: view.sessionId, provider: a.provider, providerRef: a.providerRef });
    }
  }
  return [...known.values()];
}

async function providerFact(o: KnownOrder, providers: Record<CardProviderName, CardProvider>): Promise<ProviderOrderFact> {
  try {
    const s = await providers[o.provider].status(o.orderId, o.providerRef);
    return { ...o, providerRef: s.providerRef || o.providerRef, outcome: s.outcome, amount: s.amount, currency: s.currency };
  } catch {
    return { ...o, outcome: 'unknown', amount: null, currency: null };
  }
}

/** At most `width` provider calls at a time: a day of orders must not hammer the provider. */
async function mapBounded<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

export async function reconcileProviderDay(date: string, providers: Record<CardProviderName, CardProvider>): Promise<ProviderReconciliation> {
  const known = await ordersOfDay(date);
  const orders = await mapBounded(known, 4, (o) => providerFact(o, providers));
  const ledger = known.length
    ? (await LedgerModel.find({ 'providerRefs.orderId': { $in: known.map((o) => o.orderId) } }, { kind: 1, gross: 1, currency: 1, providerRefs: 1 }).lean()).map((r) => ({
        orderId: String((r.providerRefs as Record<string, string>).orderId),
        kind: r.kind,
        gross: r.gross,
        currency: r.currency,
      }))
    : [];
  return { ordersChecked: orders.length, issues: reconcileProviderOrders(orders, ledger), orders };
}
