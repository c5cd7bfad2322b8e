/**
 * One EasyPark Fleet parking transaction (a finished, priced session sent by webhook): book it in the fleet's
 * ledger (price and transaction fee) and, when the plate belongs to a driver with an active Vipps agreement and
 * the fleet re-bills its drivers, hand the price to that driver's daily Vipps billing.
 * The workflow id `easypark-<parkingId>` is the idempotency key: the HTTP layer starts it with REJECT_DUPLICATE.
 */
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { FleetActivities, RebillDecision, SessionActivities } from '../activities/contracts';
import { money } from '../src/domain/money';
import { fleetSessionStateQuery, type FleetSessionInput, type FleetSessionState } from './messages';

/** The session id the driver's Vipps receipt and billing dedup use for this transaction. */
export const fleetUsageSessionId = (parkingId: number | string) => `easypark-${parkingId}`;

// Database work only: retried until it succeeds (a Mongo outage must delay the booking, never drop it).
const acts = proxyActivities<FleetActivities & Pick<SessionActivities, 'addVippsUsage'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/** VAT rate implied by EasyPark's split, to the whole percent (25, 12, 6 in Sweden); '0' when nothing is net. */
export function impliedVatPercent(net: string, vat: string): string {
  const n = money(net);
  return n.isZero() ? '0' : money(vat).dividedBy(n).times(100).toDecimalPlaces(0).toString();
}

export async function fleetSession(input: FleetSessionInput): Promise<FleetSessionState> {
  const tx = input.transaction;
  const state: FleetSessionState = { parkingId: tx.parkingId, fleetId: input.fleetId, phase: 'booking', ledgerKeys: null, rebill: null };
  setHandler(fleetSessionStateQuery, () => state);

  // Booking first: the fleet's books must hold the transaction even if re-billing is impossible.
  state.ledgerKeys = await acts.bookFleetTransaction({ fleetId: input.fleetId, transaction: tx, endedAt: input.endedAt });

  state.phase = 'rebilling';
  const decision: RebillDecision = await acts.decideFleetRebill({
    fleetId: input.fleetId,
    licenseNumber: tx.licenseNumber,
    currency: tx.currency,
    price: tx.price,
  });
  if (decision.rebill) {
    await acts.addVippsUsage({
      agreementId: decision.agreementId,
      usage: {
        sessionId: fleetUsageSessionId(tx.parkingId),
        source: 'easypark',
        occurredAt: input.endedAt,
        // The parking itself; EasyPark's transaction fee stays the fleet's cost.
        gross: tx.price,
        net: tx.priceExclusiveVatAmount,
        vat: tx.priceVatAmount,
        vatPercent: impliedVatPercent(tx.priceExclusiveVatAmount, tx.priceVatAmount),
        currency: tx.currency,
        description: `Parking ${tx.parkingAreaName} ${tx.licenseNumber}`.trim(),
      },
    });
    state.rebill = { status: 'billed', driverId: decision.driverId, agreementId: decision.agreementId };
  } else {
    state.rebill = { status: 'skipped', reason: decision.reason };
  }
  state.phase = 'done';
  return state;
}
