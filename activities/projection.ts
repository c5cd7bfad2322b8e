import { SessionModel } from '../src/db/models';
import { isDuplicateKey } from '../src/db/connection';
import type { SessionActivities } from './contracts';

/**
 * Keeps the session read model in step with the workflow. Projections may arrive out of order (retries);
 * the version guard keeps the newest.
 */
export function createProjectionActivities(): Pick<SessionActivities, 'projectSession'> {
  return {
    async projectSession(view) {
      const fields = {
        driverId: view.driverId,
        parkingId: view.parkingId,
        kind: view.kind,
        state: view.state,
        paymentStatus: view.paymentStatus,
        plate: view.plate,
        amountGross: view.amount?.gross ?? null,
        currency: view.amount?.currency ?? null,
        version: view.version,
        view,
      };
      const res = await SessionModel.updateOne({ sessionId: view.sessionId, version: { $lt: view.version } }, { $set: fields });
      if (res.matchedCount > 0) return;
      try {
        await SessionModel.create({ sessionId: view.sessionId, ...fields });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // exists with a newer version: nothing to do
      }
    },
  };
}
