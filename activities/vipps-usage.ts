import type { Client } from '@temporalio/client';
import { AgreementModel } from '../src/db/models';
import { vippsBillingWorkflowId } from '../src/temporal/ids';
import { addVippsUsageSignal } from '../workflows/messages';
import type { SessionActivities } from './contracts';

export interface VippsUsageDeps {
  temporal: Client;
  taskQueue: string;
}

/** Hands a finished session's cost to the driver's daily Vipps billing (one workflow per agreement). */
export function createVippsUsageActivities(deps: VippsUsageDeps): Pick<SessionActivities, 'findActiveVippsAgreement' | 'addVippsUsage'> {
  return {
    async findActiveVippsAgreement({ driverId }) {
      const agreement = await AgreementModel.findOne({ driverId, status: 'ACTIVE' }).sort({ updatedAt: -1 }).lean();
      return agreement ? { agreementId: agreement.agreementId } : null;
    },
    async addVippsUsage({ agreementId, usage }) {
      // signalWithStart: the billing workflow may not exist yet (first usage) or may be between runs.
      await deps.temporal.workflow.signalWithStart('vippsBilling', {
        workflowId: vippsBillingWorkflowId(agreementId),
        taskQueue: deps.taskQueue,
        args: [{ agreementId }],
        signal: addVippsUsageSignal,
        signalArgs: [usage],
      });
    },
  };
}
