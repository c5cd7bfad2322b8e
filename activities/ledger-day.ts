import { ParkingModel, SessionModel, parkingRowId, sessionRowId } from '../src/db/models';
import { localDay } from '../src/domain/calendar';
import type { LedgerEntryInput } from './contracts';

const ZONE_TTL_MS = 5 * 60_000;
const zones = new Map<number, { zone: string; until: number }>();

/** A parking's time zone, remembered for a few minutes (ledger writes come in bursts; zones almost never change). */
async function parkingZone(parkingId: number): Promise<string | null> {
  const hit = zones.get(parkingId);
  if (hit && hit.until > Date.now()) return hit.zone;
  const parking = await ParkingModel.findById(parkingRowId(parkingId), { timeZone: 1 }).lean<{ timeZone?: string } | null>();
  if (!parking?.timeZone) return null;
  zones.set(parkingId, { zone: parking.timeZone, until: Date.now() + ZONE_TTL_MS });
  return parking.timeZone;
}

/**
 * The ledger's `day` of a row: the calendar day in its parking's zone, so a Bucharest parking's day runs from
 * Bucharest midnight to midnight in the daily report. The zone comes with the row (Vipps billing's merchant zone) or
 * from the session's parking; rows with neither (EasyPark fleet rows) use UTC.
 */
export async function ledgerDay(entry: Pick<LedgerEntryInput, 'sessionId' | 'timeZone'>, occurredAt: Date): Promise<string> {
  let zone = entry.timeZone ?? null;
  if (!zone && entry.sessionId && /^\d{1,15}$/.test(entry.sessionId)) {
    const row = await SessionModel.findById(sessionRowId(Number(entry.sessionId)), { parkingId: 1 }).lean<{ parkingId?: number } | null>();
    if (row?.parkingId) zone = await parkingZone(row.parkingId);
  }
  return zone ? localDay(occurredAt.getTime(), zone) : occurredAt.toISOString().slice(0, 10);
}
