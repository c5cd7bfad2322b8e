/**
 * Business metrics from what the worker did: ledger rows written (exactly once per idempotency key, counted where
 * the row is inserted), session projections (started, closed) and the daily reconciliation's findings (from the
 * activity interceptor, after the activity succeeded).
 */
import { SessionModel, sessionRowId } from '../db/models';
import { isTerminal, type SessionState } from '../domain/session';
import { payments, reconciliationDifferences, reconciliationOrdersChecked, sessionsClosed, sessionsStarted, vippsCharges } from './metrics';

const PAYMENT_EVENT: Record<string, string> = { attempt: 'started', capture: 'captured', decline: 'declined', refund: 'refunded' };

/** Called once per ledger row actually inserted. */
export function countLedgerEntry(entry: { kind: string; provider: string }): void {
  const event = PAYMENT_EVENT[entry.kind];
  if (event) payments.inc({ provider: entry.provider, event });
  else if (entry.kind === 'vipps_charge') vippsCharges.inc({ status: 'charged' });
  else if (entry.kind === 'vipps_charge_failed') vippsCharges.inc({ status: 'failed' });
}

interface ProjectedView {
  sessionId: number;
  kind: string;
  state: string;
  version: number;
}

const isView = (v: unknown): v is ProjectedView =>
  typeof v === 'object' && v !== null && typeof (v as ProjectedView).sessionId === 'number' && typeof (v as ProjectedView).version === 'number';

/**
 * Before a projection is written: a terminal view over a row that was not yet terminal is a session closing.
 * Only terminal views cost the extra read (one to three per session).
 */
export async function beforeProjection(view: unknown): Promise<(() => void) | null> {
  if (!isView(view)) return null;
  if (view.version === 1) return () => sessionsStarted.inc({ kind: view.kind });
  if (!isTerminal(view.state as SessionState)) return null;
  const row = await SessionModel.findById(sessionRowId(view.sessionId), { state: 1, version: 1 }).lean<{ state: string; version: number } | null>();
  const closing = !row || (row.version < view.version && !isTerminal(row.state as SessionState));
  return closing ? () => sessionsClosed.inc({ kind: view.kind, state: view.state }) : null;
}

interface ReconciliationResult {
  ordersChecked: number;
  issues: Array<{ provider: string; code: string }>;
}

export function countReconciliation(result: unknown): void {
  const r = result as ReconciliationResult;
  if (typeof r?.ordersChecked !== 'number' || !Array.isArray(r.issues)) return;
  reconciliationDifferences.reset();
  for (const issue of r.issues) reconciliationDifferences.inc({ provider: issue.provider, code: issue.code });
  reconciliationOrdersChecked.set(r.ordersChecked);
}
