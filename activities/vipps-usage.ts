import type { Client } from '@temporalio/client';
import { AgreementModel, SessionModel, sessionRowId } from '../src/db/models';
import { recordLedgerEntry } from './ledger';
import { vippsBillingWorkflowId } from '../src/temporal/ids';
import { addVippsUsageSignal } from '../workflows/messages';
import type { SessionActivities } from './contracts';
import { vippsBilling } from '../workflows/vipps-billing';

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
      await deps.temporal.workflow.signalWithStart(vippsBilling, {
        workflowId: vippsBillingWorkflowId(agreementId),
        taskQueue: deps.taskQueue,
        args: [{ agreementId }],
        signal: addVippsUsageSignal,
        signalArgs: [usage],
      });
      // The usage as the daily report counts it (no money moves: the day's charge is the money), and the
      // agreement on the session's read-model row, so ops see which agreement bills it.
      await recordLedgerEntry({
        idempotencyKey: `vipps-usage:${usage.sessionId}`,
        kind: 'vipps_usage',
        source: usage.source,
        provider: 'vipps',
        sessionId: usage.sessionId,
        gross: usage.gross,
        net: usage.net,
        vat: usage.vat,
        currency: usage.currency,
        occurredAt: usage.occurredAt,
        providerRefs: { agreementId },
      });
      if (/^\d{1,15}$/.test(usage.sessionId)) await SessionModel.updateOne({ _id: sessionRowId(Number(usage.sessionId)) }, { $set: { vippsAgreementId: agreementId } });
    },
  };
}
