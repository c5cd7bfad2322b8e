import type { FleetActivities, OrderRefundActivities, SessionActivities } from './contracts';
import { createAutopayActivities, type AutopayPort } from './autopay';
import { createFleetActivities } from './fleet';
import { createLedgerActivities } from './ledger';
import { createPaymentActivities, type PaymentDeps } from './payments';
import { createPricingActivities } from './pricing';
import { createProjectionActivities } from './projection';
import { createRefundActivities, type RefundActivities } from './refunds';
import { createOrderRefundActivities } from './order-refunds';
import { createSessionStepActivities } from './session-step';
import { createSettlementActivities } from './settlement';
import { createReconciliationActivities, type ReconciliationActivities } from './reconciliation';
import { createVippsBillingActivities, type VippsBillingActivities, type VippsBillingDeps } from './vipps-billing';
import { createVippsUsageActivities, type VippsUsageDeps } from './vipps-usage';

export interface ActivityDeps extends PaymentDeps, VippsUsageDeps {
  autopay: AutopayPort;
  vippsBilling: VippsBillingDeps;
  /** ACCESS_COMMAND_KEY: smart keys' access commands are derived with it (src/security/access-command.ts). */
  accessCommandKey: string;
}

/** Every activity, with its dependencies injected (database models are module-level mongoose models). */
export function createActivities(deps: ActivityDeps): SessionActivities & RefundActivities & OrderRefundActivities & ReconciliationActivities & FleetActivities & VippsBillingActivities {
  return {
    ...createPricingActivities(),
    ...createProjectionActivities(deps.accessCommandKey),
    ...createLedgerActivities(),
    ...createSessionStepActivities(deps.accessCommandKey),
    ...createPaymentActivities(deps),
    ...createAutopayActivities(deps.autopay),
    ...createVippsUsageActivities(deps),
    ...createRefundActivities(deps),
    ...createSettlementActivities(deps),
    ...createOrderRefundActivities(deps),
    ...createReconciliationActivities(deps),
    ...createFleetActivities(),
    ...createVippsBillingActivities(deps.vippsBilling),
  };
}
export type { SessionActivities } from './contracts';
