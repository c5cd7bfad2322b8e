import { Router, type Request } from 'express';
import { z } from 'zod';
import { FleetModel, OperatorModel, ParkingModel } from '../../db/models';
import type { ParkingDoc } from '../../db/models/parking';
import { findParkingRow } from '../../db/parking-snapshot';
import { TariffChangeRejected } from '../../domain/tariff-versions';
import { putFleet, putGate, putOperator, putParking, ReferenceDataRejected, retireGate } from '../../reference-data/service';
import { FleetBody, GateBody, OperatorBody, ParkingBody, SlugId } from '../../reference-data/schemas';
import { audited } from '../audit';
import { requireOps } from '../auth';
import { ApiError, badRequest, notFound, zodDetails } from '../errors';
import { IdText } from '../schemas/ids';

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`invalid ${what}`, zodDetails(r.error));
  return r.data;
}

/** Domain refusals are the client's to fix: 409 for a clash with other data, 422 for a rule. */
async function refusalsAsClientErrors<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (err) {
    if (err instanceof TariffChangeRejected) throw new ApiError(422, 'tariff_change_rejected', err.message);
    if (err instanceof ReferenceDataRejected) throw new ApiError(err.code.endsWith('_taken') || err.code === 'gate_elsewhere' ? 409 : 422, err.code, err.message);
    throw err;
  }
}

const parkingView = (p: ParkingDoc) => ({
  id: p.id,
  name: p.name,
  description: p.description ?? '',
  currency: p.currency,
  time_zone: p.timeZone,
  vat_percent: p.vatPercent,
  card_provider: p.cardProvider,
  active: p.active ?? true,
  exclusively_online: p.exclusivelyOnline ?? false,
  tariff: p.tariff
    ? { grace_minutes: p.tariff.graceMinutes, interval_minutes: p.tariff.intervalMinutes, price_per_interval: p.tariff.pricePerInterval, daily_cap: p.tariff.dailyCap ?? null }
    : null,
  tariff_versions: (p.tariffVersions ?? []).map((v) => ({
    effective_from: v.effectiveFrom,
    grace_minutes: v.graceMinutes,
    interval_minutes: v.intervalMinutes,
    price_per_interval: v.pricePerInterval,
    daily_cap: v.dailyCap ?? null,
  })),
  access_points: (p.accessPoints ?? []).map((a) => ({ mac_address: a.macAddress, direction: a.direction, name: a.name })),
  anpr: p.anpr ? { area_code: p.anpr.areaCode, operator_id: p.anpr.operatorId } : null,
});

const pathParkingId = (req: Request) => parse(IdText, req.params.id, 'parking id');
const pathSlug = (req: Request, name: string) => parse(SlugId, req.params[name], name);
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), after_id: IdText.optional() }).strict();

/**
 * Reference data for production: parkings with their tariff versions and gates, Autopay operators (and their
 * areas, on the parking) and EasyPark fleets. Every change is audited; secrets are write-only.
 */
export function opsReferenceDataRoutes(): Router {
  const r = Router();
  r.use(['/api/ops/parkings', '/api/ops/operators', '/api/ops/fleets'], requireOps);

  r.get('/api/ops/parkings', async (req, res) => {
    const q = parse(ListQuery, req.query, 'query');
    // Id order with an id cursor: bounded on any backend, however many parkings there are.
    const rows = await ParkingModel.find(q.after_id ? { id: { $gt: q.after_id } } : {}).sort({ id: 1 }).limit(q.limit).lean<ParkingDoc[]>();
    res.json({ parkings: rows.map(parkingView), next_after_id: rows.length === q.limit ? rows[rows.length - 1].id : null });
  });

  r.get('/api/ops/parkings/:id', async (req, res) => {
    const id = pathParkingId(req);
    // Ops see what the database holds, not this process's memo of it.
    const p = await findParkingRow(id);
    if (!p) throw notFound(`parking ${id} not found`);
    res.json({ parking: parkingView(p) });
  });

  r.put('/api/ops/parkings/:id', async (req, res) => {
    const id = pathParkingId(req);
    const body = parse(ParkingBody, req.body, 'parking');
    const { created, parking } = await audited(req, 'parking_put', `parking:${id}`, { ...body }, () => refusalsAsClientErrors(() => putParking(id, body)));
    res.status(created ? 201 : 200).json({ parking: parkingView(parking) });
  });

  r.put('/api/ops/parkings/:id/gates/:gateId', async (req, res) => {
    const id = pathParkingId(req);
    const gateId = pathSlug(req, 'gateId');
    const body = parse(GateBody, req.body, 'gate');
    const gate = await audited(req, 'gate_put', `gate:${gateId}`, { parkingId: id, ...body }, () => refusalsAsClientErrors(() => putGate(id, gateId, body)));
    // The key is shown once: only its hash is stored. Re-putting the gate issues a new key.
    res.status(201).json({ gate: { id: gate.id, parking_id: id, direction: body.direction, mac_address: body.mac_address.toUpperCase(), api_key: gate.key } });
  });

  r.delete('/api/ops/parkings/:id/gates/:gateId', async (req, res) => {
    const id = pathParkingId(req);
    const gateId = pathSlug(req, 'gateId');
    const retired = await audited(req, 'gate_retire', `gate:${gateId}`, { parkingId: id }, () => retireGate(id, gateId));
    if (!retired) throw notFound(`parking ${id} has no gate ${gateId}`);
    res.status(204).end();
  });

  r.get('/api/ops/operators', async (_req, res) => {
    const rows = await OperatorModel.find({}, { id: 1, name: 1, callbackAuth: 1 }).sort({ id: 1 }).limit(500).lean();
    const areas = await ParkingModel.find({ anpr: { $ne: null } }, { id: 1, anpr: 1 }).limit(5000).lean<ParkingDoc[]>();
    res.json({
      operators: rows.map((o) => ({
        id: o.id,
        name: o.name ?? '',
        callback_auth_method: o.callbackAuth?.method ?? null,
        areas: areas.filter((p) => p.anpr?.operatorId === o.id).map((p) => ({ area_code: p.anpr?.areaCode, parking_id: p.id })),
      })),
    });
  });

  r.put('/api/ops/operators/:id', async (req, res) => {
    const id = pathSlug(req, 'id');
    const body = parse(OperatorBody, req.body, 'operator');
    const { created } = await audited(req, 'operator_put', `operator:${id}`, { name: body.name, method: body.callback_auth.method }, () => putOperator(id, body));
    res.status(created ? 201 : 200).json({ operator: { id, name: body.name, callback_auth_method: body.callback_auth.method } });
  });

  r.get('/api/ops/fleets', async (_req, res) => {
    const rows = await FleetModel.find({}, { id: 1, name: 1, username: 1, currency: 1, rebillDrivers: 1 }).sort({ id: 1 }).limit(500).lean();
    res.json({ fleets: rows.map((f) => ({ id: f.id, name: f.name ?? '', username: f.username, currency: f.currency, rebill_drivers: f.rebillDrivers ?? false })) });
  });

  r.put('/api/ops/fleets/:id', async (req, res) => {
    const id = pathSlug(req, 'id');
    const body = parse(FleetBody, req.body, 'fleet');
    const { password: _secret, ...visible } = body;
    const { created } = await audited(req, 'fleet_put', `fleet:${id}`, visible, () => refusalsAsClientErrors(() => putFleet(id, body)));
    res.status(created ? 201 : 200).json({ fleet: { id, ...visible } });
  });

  return r;
}
