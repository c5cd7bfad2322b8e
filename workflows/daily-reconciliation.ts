/**
 * The provider reconciliation of one day, run every night by a Temporal Schedule (and on demand by ops): every
 * card order the ledger or the sessions know of is compared with its provider's record; each finding becomes an
 * ops task (a late capture delivered, or Attention on the session).
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/reconciliation';

const { reconcileProvidersAndEscalate } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2 },
});

export async function dailyReconciliation(input: { date?: string } = {}): ReturnType<ReconciliationActivities['reconcileProvidersAndEscalate']> {
  // A scheduled run checks the day that just ended; the schedule's start time is deterministic workflow data.
  const at = workflowInfo().startTime ?? new Date(Date.now());
  const date = input.date ?? new Date(at.getTime() - 86_400_000).toISOString().slice(0, 10);
  return reconcileProvidersAndEscalate({ date });
}
