import type { ParkingSnapshot } from '../../workflows/messages';
import { ParkingAreaModel, ParkingModel, parkingRowId, type ParkingDoc } from './models/parking';

export function toParkingSnapshot(p: ParkingDoc): ParkingSnapshot {
  return {
    id: p.id,
    name: p.name,
    description: p.description ?? '',
    currency: p.currency,
    active: p.active ?? true,
    exclusivelyOnline: p.exclusivelyOnline ?? false,
    accessPoints: (p.accessPoints ?? []).map((a) => ({ macAddress: a.macAddress, direction: a.direction as 'entrance' | 'exit', name: a.name })),
    cardProvider: p.cardProvider as ParkingSnapshot['cardProvider'],
    vatPercent: p.vatPercent,
    timeZone: p.timeZone,
  };
}

/** By `_id` (src/db/models/parking.ts): one index lookup, however many parkings there are. */
export async function findParking(id: number): Promise<ParkingDoc | null> {
  return ParkingModel.findById(parkingRowId(id)).lean<ParkingDoc>();
}

/** Through the area's row, by `_id` twice (an unknown area is one index miss); the parking must still hold it. */
export async function findParkingByAreaCode(areaCode: string): Promise<ParkingDoc | null> {
  const area = await ParkingAreaModel.findById(areaCode).lean();
  const parking = area ? await findParking(area.parkingId) : null;
  return parking?.anpr?.areaCode === areaCode ? parking : null;
}
