/**
 * Writes reference data: the ops API and the demo seed both go through here, so a parking made by hand behaves
 * exactly like a demo parking. Secrets (gate keys, callback secrets, fleet passwords) are stored hashed; a gate's
 * key is returned once.
 */
import { hashPassword } from '../security/password';
import { createGate, newSecretToken } from '../db/credentials';
import { isDuplicateKey } from '../db/errors';
import { moveLegacyReferenceRow } from '../db/migrate';
import { CredentialKeyModel, FleetModel, GateModel, OperatorModel, ParkingAreaModel, ParkingModel, gateKeyId, parkingRowId } from '../db/models';
import { findParkingRow, forgetParking } from '../db/parking-snapshot';
import { forgetGateKeys } from '../db/credential-cache';
import type { ParkingDoc } from '../db/models/parking';
import { withTariffChange, type TariffTerms, type TariffVersion } from '../domain/tariff-versions';
import type { FleetBody, GateBody, OperatorBody, ParkingBody } from './schemas';

export class ReferenceDataRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReferenceDataRejected';
  }
}

const terms = (t: ParkingBody['tariff']): TariffTerms => ({
  graceMinutes: t.grace_minutes,
  intervalMinutes: t.interval_minutes,
  pricePerInterval: t.price_per_interval,
  dailyCap: t.daily_cap,
});

const storedTerms = (t: ParkingDoc['tariff'] | undefined | null): TariffTerms | null =>
  t ? { graceMinutes: t.graceMinutes, intervalMinutes: t.intervalMinutes, pricePerInterval: t.pricePerInterval, dailyCap: t.dailyCap ?? null } : null;

/** The parking holding an Autopay area: its row's parking, if that parking still names the area. */
async function areaHolder(areaCode: string): Promise<number | null> {
  const row = await ParkingAreaModel.findById(areaCode).lean();
  if (!row) return null;
  return (await findParkingRow(row.parkingId))?.anpr?.areaCode === areaCode ? row.parkingId : null;
}

/**
 * Points an area's row at this parking before the parking names the area: by unique insert, or by taking over a
 * row whose parking no longer holds the area. Of two parkings claiming a free area at once, one gets it.
 */
async function claimArea(areaCode: string, parkingId: number): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await ParkingAreaModel.updateOne({ _id: areaCode }, { $setOnInsert: { parkingId } }, { upsert: true }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
    const row = await ParkingAreaModel.findById(areaCode).lean();
    if (row?.parkingId === parkingId) return;
    const holder = row ? await areaHolder(areaCode) : null;
    if (holder !== null) throw new ReferenceDataRejected('area_taken', `Autopay area ${areaCode} belongs to parking ${holder}`);
    if (row) await ParkingAreaModel.updateOne({ _id: areaCode, parkingId: row.parkingId }, { $set: { parkingId } });
  }
  throw new ReferenceDataRejected('area_taken', `Autopay area ${areaCode} is being claimed by another parking`);
}

/** Creates or updates a parking; a tariff change becomes a new version (never rewrites one in force). */
export async function putParking(id: number, body: ParkingBody, now = new Date()): Promise<{ created: boolean; parking: ParkingDoc }> {
  if (body.anpr) {
    if (!(await OperatorModel.exists({ id: body.anpr.operator_id }))) {
      throw new ReferenceDataRejected('unknown_operator', `Autopay operator ${body.anpr.operator_id} does not exist: create it first`);
    }
    const owner = await areaHolder(body.anpr.area_code);
    if (owner !== null && owner !== id) throw new ReferenceDataRejected('area_taken', `Autopay area ${body.anpr.area_code} belongs to parking ${owner}`);
  }
  const _id = parkingRowId(id);
  let existing = await ParkingModel.findById(_id).lean<ParkingDoc>();
  if (!existing) {
    // New, or a row in the previous release's shape (ObjectId `_id`): move that first, keeping its history.
    await moveLegacyReferenceRow('parkings', { id });
    existing = await ParkingModel.findById(_id).lean<ParkingDoc>();
  }
  const effectiveFrom = body.tariff_effective_from ? new Date(body.tariff_effective_from) : now;
  const versions = withTariffChange((existing?.tariffVersions ?? []) as TariffVersion[], storedTerms(existing?.tariff), terms(body.tariff), effectiveFrom, now);
  const latest = versions[versions.length - 1];
  const fields = {
    name: body.name,
    description: body.description,
    currency: body.currency,
    timeZone: body.time_zone,
    vatPercent: body.vat_percent,
    cardProvider: body.card_provider,
    active: body.active,
    exclusivelyOnline: body.exclusively_online,
    tariff: { graceMinutes: latest.graceMinutes, intervalMinutes: latest.intervalMinutes, pricePerInterval: latest.pricePerInterval, dailyCap: latest.dailyCap },
    tariffVersions: versions,
    anpr: body.anpr ? { areaCode: body.anpr.area_code, operatorId: body.anpr.operator_id } : null,
  };
  if (body.anpr) await claimArea(body.anpr.area_code, id);
  const upsert = () =>
    ParkingModel.findOneAndUpdate({ _id }, { $set: fields, $setOnInsert: { id, accessPoints: [] } }, { upsert: true, returnDocument: 'after' }).lean<ParkingDoc>();
  // Two seeds creating it at once: the second insert fails on `_id`, and is then an update.
  const parking = await upsert().catch(async (err: unknown) => {
    if (!isDuplicateKey(err) || !(await ParkingModel.exists({ _id }))) throw err;
    return upsert();
  });
  // An area the parking gave up: its row goes (left behind by a crash, it points at a parking without the area).
  const oldArea = existing?.anpr?.areaCode;
  if (oldArea && oldArea !== body.anpr?.area_code) await ParkingAreaModel.deleteOne({ _id: oldArea, parkingId: id });
  forgetParking(id);
  return { created: !existing, parking: parking as ParkingDoc };
}

/**
 * Takes the access points with these MAC addresses off a parking, as whole elements as read (`$pullAll`):
 * FerretDB's `$pull` removes an element only when it equals the value given, so a condition on its `macAddress`
 * (or `$in`) removed nothing there, and a retired gate's access point stayed listed.
 */
async function dropAccessPoints(parkingId: number, macs: string[]): Promise<void> {
  const _id = parkingRowId(parkingId);
  const parking = await ParkingModel.findById(_id, { accessPoints: 1 }).lean<Pick<ParkingDoc, 'accessPoints'>>();
  const gone = (parking?.accessPoints ?? []).filter((a) => macs.includes(a.macAddress.toUpperCase()));
  if (gone.length > 0) await ParkingModel.collection.updateOne({ _id } as never, { $pullAll: { accessPoints: gone } } as never);
}

/**
 * Installs (or re-keys) the gate controller of one access point of a parking and lists the access point on the
 * parking, so the app shows it and gate events from it are accepted. Returns the key to configure, once.
 */
export async function putGate(parkingId: number, gateId: string, body: GateBody, key = newSecretToken()): Promise<{ id: string; key: string }> {
  const mac = body.mac_address.toUpperCase();
  if (!(await ParkingModel.exists({ _id: parkingRowId(parkingId) }))) throw new ReferenceDataRejected('unknown_parking', `parking ${parkingId} does not exist`);
  const other = await GateModel.findOne({ macAddress: mac, id: { $ne: gateId } }, { id: 1 }).lean();
  if (other) throw new ReferenceDataRejected('mac_taken', `MAC ${mac} belongs to gate ${other.id}`);
  if (!(await GateModel.exists({ _id: gateId }))) await moveLegacyReferenceRow('gates', { id: gateId });
  const previous = await GateModel.findById(gateId, { parkingId: 1, macAddress: 1 }).lean();
  if (previous && previous.parkingId !== parkingId) throw new ReferenceDataRejected('gate_elsewhere', `gate ${gateId} belongs to parking ${previous.parkingId}`);
  const gate = await createGate({ id: gateId, parkingId, direction: body.direction, macAddress: mac }, key);
  const name = body.name ?? (body.direction === 'entrance' ? 'Entrance' : 'Exit');
  // Two writes, in an order that is safe to repeat: drop the gate's old MAC, then add the new one.
  const drop = [mac, ...(previous ? [previous.macAddress.toUpperCase()] : [])];
  await dropAccessPoints(parkingId, drop);
  // $addToSet: two seeds racing add the same access point once.
  await ParkingModel.updateOne({ _id: parkingRowId(parkingId) }, { $addToSet: { accessPoints: { macAddress: mac, direction: body.direction, name } } });
  forgetParking(parkingId);
  forgetGateKeys();
  return gate;
}

/** Takes a gate out of service: its key stops working and its access point leaves the parking. */
export async function retireGate(parkingId: number, gateId: string): Promise<boolean> {
  if (!(await GateModel.exists({ _id: gateId }))) await moveLegacyReferenceRow('gates', { id: gateId });
  const gate = await GateModel.findOne({ _id: gateId, parkingId }, { macAddress: 1, keyHash: 1 }).lean();
  if (!gate) return false;
  await GateModel.updateOne({ _id: gateId }, { $set: { active: false } });
  // The key's lookup row goes too (the inactive gate already refuses it).
  await CredentialKeyModel.deleteOne({ _id: gateKeyId(gate.keyHash), owner: gateId });
  await dropAccessPoints(parkingId, [gate.macAddress.toUpperCase()]);
  forgetParking(parkingId);
  forgetGateKeys();
  return true;
}

export async function putOperator(id: string, body: OperatorBody): Promise<{ created: boolean }> {
  const res = await OperatorModel.updateOne(
    { id },
    { $set: { name: body.name, callbackAuth: { method: body.callback_auth.method, secretHash: await hashPassword(body.callback_auth.secret) } } },
    { upsert: true },
  );
  return { created: res.upsertedCount > 0 };
}

export async function putFleet(id: string, body: FleetBody): Promise<{ created: boolean }> {
  const other = await FleetModel.findOne({ username: body.username, id: { $ne: id } }, { id: 1 }).lean();
  if (other) throw new ReferenceDataRejected('username_taken', `username ${body.username} belongs to fleet ${other.id}`);
  const res = await FleetModel.updateOne(
    { id },
    { $set: { name: body.name, username: body.username, passwordHash: await hashPassword(body.password), currency: body.currency, rebillDrivers: body.rebill_drivers } },
    { upsert: true },
  );
  return { created: res.upsertedCount > 0 };
}
