/**
 * EasyPark Fleet activities: book a transaction in the ledger, and decide whether its price is re-billed to a
 * driver through Vipps. The re-bill itself is the existing addVippsUsage activity (activities/vipps-usage.ts).
 */
import { AgreementModel, DriverModel, FleetModel } from '../src/db/models';
import { money } from '../src/domain/money';
import { normalisePlate } from '../src/domain/plate';
import type { FleetActivities } from './contracts';
import { recordLedgerEntry } from './ledger';

export function createFleetActivities(): FleetActivities {
  return {
    async bookFleetTransaction({ fleetId, transaction: tx, endedAt }) {
      const keys = { price: `easypark-${tx.parkingId}-price`, fee: `easypark-${tx.parkingId}-fee` };
      const common = {
        source: 'easypark' as const,
        provider: 'easypark' as const,
        // Not a numeric parking-session id: the report's session reconciliation leaves these rows alone.
        sessionId: `easypark-${tx.parkingId}`,
        currency: tx.currency,
        occurredAt: endedAt,
        providerRefs: {
          fleetId,
          parkingId: String(tx.parkingId),
          parkingUserId: String(tx.parkingUserId),
          licenseNumber: tx.licenseNumber,
          parkingAreaId: String(tx.parkingAreaId),
          parkingOperatorId: String(tx.parkingOperatorId),
        },
      };
      // `fee` on the price row records the fee that came with it; the fee row carries the fee as its own money, so
      // the day's gross is price + fee and the report's `fees` column says how much of that gross was fees.
      await recordLedgerEntry({
        ...common,
        idempotencyKey: keys.price,
        kind: 'fleet_transaction',
        gross: tx.price,
        net: tx.priceExclusiveVatAmount,
        vat: tx.priceVatAmount,
        fee: tx.transactionFee,
        note: `${tx.parkingAreaName} (${tx.parkingOperatorName}) ${tx.startDate}..${tx.endDate}`,
      });
      await recordLedgerEntry({
        ...common,
        idempotencyKey: keys.fee,
        kind: 'fleet_fee',
        gross: tx.transactionFee,
        net: tx.transactionFeeExclusiveVatAmount,
        vat: tx.transactionFeeVatAmount,
        note: 'EasyPark transaction fee',
      });
      return keys;
    },

    async decideFleetRebill({ fleetId, licenseNumber, currency, price }) {
      const fleet = await FleetModel.findOne({ id: fleetId }).lean();
      if (!fleet) return { rebill: false, reason: 'fleet_not_found' };
      if (!fleet.rebillDrivers) return { rebill: false, reason: 'fleet_does_not_rebill' };
      if (money(price).isZero()) return { rebill: false, reason: 'zero_price' };
      const plate = normalisePlate(licenseNumber);
      if (!plate) return { rebill: false, reason: 'plate_unreadable' };
      // Two drivers claiming one plate: billing either would be a guess, so neither is billed.
      const drivers = await DriverModel.find({ 'vehicles.plate': plate }).limit(2).lean();
      if (drivers.length === 0) return { rebill: false, reason: 'no_driver_for_plate' };
      if (drivers.length > 1) return { rebill: false, reason: 'plate_ambiguous' };
      const driverId = drivers[0].id;
      // Same query as findActiveVippsAgreement, plus the currency: a Vipps agreement bills in its own currency,
      // and adding SEK usage to a NOK agreement would sum different currencies into one charge.
      const agreement = await AgreementModel.findOne({ driverId, status: 'ACTIVE', currency }).sort({ updatedAt: -1 }).lean();
      if (!agreement) return { rebill: false, reason: 'no_active_vipps_agreement' };
      return { rebill: true, driverId, agreementId: agreement.agreementId };
    },
  };
}
