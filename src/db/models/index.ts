export { ParkingModel } from './parking';
export { DriverModel, AccessTokenModel } from './driver';
export { SessionModel } from './session';
export { LedgerModel } from './ledger';
export { WebhookInboxModel } from './webhook-inbox';
export { OperatorModel, FleetModel } from './operator';
export { AgreementModel } from './agreement';
export { GateModel } from './gate';
export { OpsUserModel, OpsAuditModel } from './ops-user';
