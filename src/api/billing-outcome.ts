import { SessionModel, sessionRowId } from '../db/models';
import type { SessionView } from '../../workflows/messages';

/**
 * A Vipps-billed session's workflow has closed saying `billed`; the daily charge's outcome (paid, or failed with
 * Attention) is written to the read model afterwards (activities/vipps-session-outcome.ts). Answers that start
 * from the workflow's view take that outcome from the read model.
 */
export async function withBillingOutcome(view: SessionView): Promise<SessionView> {
  if (view.paymentStatus !== 'billed') return view;
  const row = await SessionModel.findById(sessionRowId(view.sessionId), { view: 1 }).lean();
  const stored = row?.view as Partial<SessionView> | null | undefined;
  if (!stored || (stored.paymentStatus !== 'paid' && stored.paymentStatus !== 'failed')) return view;
  return { ...view, paymentStatus: stored.paymentStatus, attention: stored.attention ?? view.attention, attentionCode: stored.attentionCode ?? view.attentionCode ?? null };
}
