import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SessionModel, sessionRowId } from '../src/db/models';
import type { ProviderIssue } from '../src/domain/provider-reconciliation';
import type { CardProvider, CardProviderName } from '../src/providers/card-provider';
import { reconcileProviderDay } from '../src/reconciliation/provider-orders';
import { sessionWorkflowId } from '../src/temporal/ids';
import { deliverProviderResult } from '../src/temporal/provider-results';
import { attentionSignal } from '../workflows/messages';

export interface ReconciliationActivities {
  /** Compares a day's card orders with their providers and turns every finding into an ops task. */
  reconcileProvidersAndEscalate(req: { date: string }): Promise<{ date: string; ordersChecked: number; issues: ProviderIssue[]; escalated: string[] }>;
}

export function createReconciliationActivities(deps: {
  cardProviders: Record<CardProviderName, CardProvider>;
  temporal: Client;
  taskQueue: string;
}): ReconciliationActivities {
  return {
    async reconcileProvidersAndEscalate({ date }) {
      const { ordersChecked, issues, orders } = await reconcileProviderDay(date, deps.cardProviders);
      const escalated: string[] = [];
      for (const issue of issues) {
        const fact = orders.find((o) => o.orderId === issue.orderId)!;
        if (issue.code === 'charge_without_capture' && fact.outcome !== 'unknown' && fact.outcome !== 'pending' && fact.amount && fact.currency) {
          // The provider's record is the missing callback: deliver it like one (session, or late-capture workflow).
          const where = await deliverProviderResult(deps.temporal, deps.taskQueue, issue.sessionId, fact.provider as CardProviderName, {
            orderId: fact.orderId,
            outcome: fact.outcome,
            providerRef: fact.providerRef,
            amount: fact.amount,
            currency: fact.currency,
          });
          escalated.push(`${issue.orderId}: delivered to ${where}`);
          continue;
        }
        await flagSession(deps.temporal, issue);
        escalated.push(`${issue.orderId}: attention on session ${issue.sessionId}`);
      }
      return { date, ordersChecked, issues, escalated };
    },
  };
}

/** Attention on the running workflow when there is one; on the read model once the workflow is gone. */
async function flagSession(temporal: Client, issue: ProviderIssue): Promise<void> {
  const notice = { code: `reconciliation_${issue.code}`, message: `${issue.orderId}: ${issue.message}` };
  try {
    await temporal.workflow.getHandle(sessionWorkflowId(issue.sessionId)).signal(attentionSignal, notice);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await SessionModel.updateOne({ _id: sessionRowId(issue.sessionId) }, { $set: { 'view.attention': notice.message, 'view.attentionCode': notice.code } });
  }
}
