import { ApplicationFailure } from '@temporalio/activity';
import { priceStay } from '../src/domain/pricing';
import { tariffInForce } from '../src/domain/tariff-versions';
import { splitGross } from '../src/domain/vat';
import { ParkingModel, parkingRowId } from '../src/db/models';
import type { SessionActivities } from './contracts';

/**
 * Prices with the tariff version in force when the stay started (src/domain/tariff-versions.ts); parkings from
 * before versions have only `tariff`. VAT and currency are the parking's at finalize: VAT is due when the
 * service is paid for.
 */
export function createPricingActivities(): Pick<SessionActivities, 'priceSession'> {
  return {
    async priceSession({ parkingId, startTime, endTime }) {
      const parking = await ParkingModel.findById(parkingRowId(parkingId)).lean();
      if (!parking?.tariff) throw ApplicationFailure.nonRetryable(`parking ${parkingId} not found`, 'NotFound');
      const tariff = tariffInForce(parking.tariffVersions ?? [], new Date(startTime)) ?? parking.tariff;
      try {
        const { amount } = priceStay(new Date(startTime), new Date(endTime), {
          graceMinutes: tariff.graceMinutes,
          intervalMinutes: tariff.intervalMinutes,
          pricePerInterval: tariff.pricePerInterval,
          dailyCap: tariff.dailyCap ?? null,
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
