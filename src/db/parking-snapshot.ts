import type { ParkingSnapshot } from '../../workflows/messages';
import { ParkingAreaModel, ParkingModel, parkingRowId, type ParkingDoc } from './models/parking';
import { ReadThroughCache, referenceCacheTtl } from './read-through-cache';

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
export async function findParkingRow(id: number): Promise<ParkingDoc | null> {
  return ParkingModel.findById(parkingRowId(id)).lean<ParkingDoc>();
}

const parkings = new ReadThroughCache<Readonly<ParkingDoc>>({ ttlMs: referenceCacheTtl, maxEntries: 10_000 });

/**
 * The request path's parking (start, smart keys, gate events, receipts): memoized for REFERENCE_CACHE_TTL_MS
 * (src/db/read-through-cache.ts). Frozen, because every caller shares the one object.
 */
export async function findParking(id: number): Promise<Readonly<ParkingDoc> | null> {
  return parkings.get(parkingRowId(id), async () => {
    const row = await findParkingRow(id);
    return row ? deepFreeze(row) : null;
  });
}

/** A write to a parking through this process is seen by its next request. */
export function forgetParking(id: number): void {
  parkings.forget(parkingRowId(id));
}

/** Plain objects and arrays only: BSON values (an ObjectId holds a byte array, which cannot be frozen) stay as read. */
function deepFreeze<T>(value: T): T {
  const plain = Array.isArray(value) || (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype);
  if (plain && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Through the area's row, by `_id` twice (an unknown area is one index miss); the parking must still hold it. */
export async function findParkingByAreaCode(areaCode: string): Promise<Readonly<ParkingDoc> | null> {
  const area = await ParkingAreaModel.findById(areaCode).lean();
  const parking = area ? await findParking(area.parkingId) : null;
  return parking?.anpr?.areaCode === areaCode ? parking : null;
}
