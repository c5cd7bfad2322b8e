// Every workflow the worker runs; the worker bundles this file.
export { parkingSession } from './parking-session';
export { sessionRefund } from './session-refund';
export { fleetSession } from './fleet-session';
export { vippsBilling } from './vipps-billing';
export { orderRefund } from './order-refund';
export { lateCapture } from './late-capture';
export { dailyReconciliation } from './daily-reconciliation';
