import { Router } from 'express';
import { z } from 'zod';
import { SessionKeyModel } from '../../db/models';
import { findParking } from '../../db/parking-snapshot';
import { gateEventSignal } from '../../../workflows/messages';
import { requireGate } from '../auth';
import { IntegerId } from '../schemas/ids';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, notFound, zodDetails } from '../errors';
import { readSession, sessionHandle } from '../sessions';

const mac = z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'must be a MAC address like 76:86:BB:DE:63:AD');
export const GateEventBody = z
  .object({
    event: z.enum(['entered', 'exited']),
    occurred_at: z.iso.datetime({ offset: true }).optional(),
    // Every event carries the gate's own MAC address, checked against the gate its key belongs to ...
    mac_address: mac,
    // ... and the access command the car presented, or the session id.
    access_command: z.string().regex(/^[0-9a-f]{32}$/, 'must be the 32-character access command of a smart key').optional(),
    parking_session_id: IntegerId.optional(),
  })
  .refine((b) => b.parking_session_id !== undefined || b.access_command, {
    message: 'give access_command (or parking_session_id)',
    path: ['access_command'],
  });

const forbidden = (message: string) => new ApiError(403, 'gate_mismatch', message);

/** The session whose smart key carries this access command, by `_id` (the workflow then decides). */
export async function sessionByAccessCommand(command: string): Promise<number | null> {
  const row = await SessionKeyModel.findById(command).lean();
  return row?.sessionId ?? null;
}

/**
 * Gate controllers confirm that a car really passed the barrier; the workflow decides what it means. A gate's key
 * is bound to one access point: the event's MAC, direction and session's parking must all be that gate's.
 */
export function gateRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/api/gates/events', requireGate, async (req, res) => {
    const gate = req.gate!;
    const parsed = GateEventBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid gate event', zodDetails(parsed.error));
    const body = parsed.data;
    const direction = body.event === 'entered' ? 'entrance' : 'exit';
    if (body.mac_address.toUpperCase() !== gate.macAddress) throw forbidden(`this API key belongs to gate ${gate.macAddress}, not ${body.mac_address}`);
    if (direction !== gate.direction) throw forbidden(`gate ${gate.macAddress} is an ${gate.direction} gate and cannot report "${body.event}"`);
    const id = body.parking_session_id ?? (await sessionByAccessCommand(body.access_command!));
    if (id === null) throw notFound('no parking session has this access command');
    // The parking never changes: the read model answers it, by `_id`, without a query task for the worker.
    const view = await readSession(deps.temporal, id);
    // Another parking's session looks the same as an unknown one: a gate learns nothing about other parkings.
    if (view.parkingId !== gate.parkingId) throw notFound(`parking session ${id} not found at parking ${gate.parkingId}`);
    const parking = await findParking(view.parkingId);
    if (!parking?.accessPoints?.some((p) => p.direction === direction && p.macAddress.toUpperCase() === gate.macAddress)) {
      throw forbidden(`${gate.macAddress} is no longer an ${direction} access point of parking ${view.parkingId}`);
    }
    await sessionHandle(deps.temporal, id).signal(gateEventSignal, {
      direction,
      ...(body.occurred_at ? { occurredAt: new Date(body.occurred_at).toISOString() } : {}),
    });
    res.status(202).json({ status: 'accepted', parking_session_id: id, event: body.event });
  });
  return r;
}
