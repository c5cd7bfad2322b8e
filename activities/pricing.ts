import { ApplicationFailure } from '@temporalio/activity';
import { priceStay } from '../src/domain/pricing';
import { splitGross } from '../src/domain/vat';
import { ParkingModel } from '../src/db/models';
import type { SessionActivities } from './contracts';

/** Prices with the parking's tariff as it is at finalize time (tariffs live in the database, not the workflow). */
export function createPricingActivities(): Pick<SessionActivities, 'priceSession'> {
  return {
    async priceSession({ parkingId, startTime, endTime }) {
      const parking = await ParkingModel.findOne({ id: parkingId }).lean();
      if (!parking?.tariff) throw ApplicationFailure.nonRetryable(`parking ${parkingId} not found`, 'NotFound');
      try {
        const { amount } = priceStay(new Date(startTime), new Date(endTime), {
          graceMinutes: parking.tariff.graceMinutes,
          intervalMinutes: parking.tariff.intervalMinutes,
          pricePerInterval: parking.tariff.pricePerInterval,
          dailyCap: parking.tariff.dailyCap ?? null,
          timeZone: parking.timeZone,
        });
        const split = splitGross(amount, parking.vatPercent);
        return { ...split, currency: parking.currency };
      } catch (err) {
        // Pricing is pure: the same stay fails the same way every time, so retrying would only hold the session.
        throw ApplicationFailure.nonRetryable(`the stay ${startTime} → ${endTime} cannot be priced: ${(err as Error).message}`, 'PricingRejected');
      }
    },
  };
}
