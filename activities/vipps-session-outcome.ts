import { SessionModel, sessionRowId } from '../src/db/models';
import type { LedgerEntryInput } from './contracts';

/**
 * A Vipps-billed session's payment ends in the daily billing workflow, after the session workflow has closed:
 * its read-model row moves from `billed` to `paid` when the day's charge is CHARGED, and to `failed` (with
 * Attention) when the money finally goes to ops. The PaymentStatus search attribute of a closed workflow cannot
 * change, so for these sessions the read model is the source of payment_status (documented in ARCHITECTURE.md).
 * Driven by the billing workflow's own ledger rows, whose providerRefs.sessionIds name the sessions.
 */
export async function applyVippsBillingOutcome(entry: Pick<LedgerEntryInput, 'kind' | 'note' | 'providerRefs'>): Promise<void> {
  const outcome = vippsOutcome(entry);
  if (!outcome) return;
  const ids = (entry.providerRefs?.sessionIds ?? '')
    .split(',')
    .filter((id) => /^\d{1,15}$/.test(id))
    .map(Number);
  if (ids.length === 0) return;
  const chargeId = entry.providerRefs?.chargeId ?? null;
  const set: Record<string, unknown> = { paymentStatus: outcome.status, 'view.paymentStatus': outcome.status };
  if (outcome.status === 'failed') {
    set['view.attentionCode'] = 'vipps_charge_failed';
    set['view.attention'] = outcome.reason;
  }
  if (chargeId) set['view.vippsChargeId'] = chargeId;
  // Only rows still waiting on billing: a replayed ledger write never turns paid back into failed or vice versa.
  await SessionModel.updateMany({ _id: { $in: ids.map(sessionRowId) }, paymentStatus: 'billed' }, { $set: set });
}

function vippsOutcome(entry: Pick<LedgerEntryInput, 'kind' | 'note'>): { status: 'paid' } | { status: 'failed'; reason: string } | null {
  if (entry.kind === 'vipps_charge') return { status: 'paid' };
  // vipps_charge_failed rows are also written for a charge that is carried to the next day: only an ops debt is final.
  if (entry.kind === 'vipps_charge_failed' && entry.note?.startsWith('ops_debt: ')) {
    const reason = entry.note.slice('ops_debt: '.length).replace(/; sessions .*$/, '');
    return { status: 'failed', reason: `the Vipps charge failed (${reason}): ops collect it` };
  }
  return null;
}
