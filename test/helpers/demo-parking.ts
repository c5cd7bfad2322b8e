import { ParkingModel } from '../../src/db/models';
import { forgetParking } from '../../src/db/parking-snapshot';

/**
 * A demo parking without its grace period, so a session finalized at once has something to pay. The seed gives
 * each demo parking one tariff version (in force since the epoch); the stay is priced with it, so both change.
 */
export async function withoutGrace(parkingId: number): Promise<void> {
  const res = await ParkingModel.updateOne({ id: parkingId }, { $set: { 'tariff.graceMinutes': 0, 'tariffVersions.0.graceMinutes': 0 } });
  if (res.matchedCount !== 1) throw new Error(`demo parking ${parkingId} not found`);
  // An ops write through the API would forget the API's memo of the parking; this write goes to the database.
  forgetParking(parkingId);
}
