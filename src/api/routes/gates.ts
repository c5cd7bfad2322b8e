import { Router } from 'express';
import { z } from 'zod';
import { SessionModel } from '../../db/models';
import { findParking } from '../../db/parking-snapshot';
import { gateEventSignal } from '../../../workflows/messages';
import { requireGate } from '../auth';
import { IntegerId } from '../schemas/ids';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, unprocessable, zodDetails } from '../errors';
import { loadSession, sessionHandle } from '../sessions';

const mac = z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'must be a MAC address like 76:86:BB:DE:63:AD');
const GateEventBody = z
  .object({
    event: z.enum(['entered', 'exited']),
    occurred_at: z.iso.datetime({ offset: true }).optional(),
    // A gate knows its own MAC address and the access command the car presented ...
    mac_address: mac.optional(),
    access_command: z.string().regex(/^[0-9a-f]{32}$/, 'must be the 32-character access command of a smart key').optional(),
    // ... a back office may name the session directly.
    parking_session_id: IntegerId.optional(),
  })
  .refine((b) => b.parking_session_id !== undefined || (b.mac_address && b.access_command), {
    message: 'give mac_address and access_command (or parking_session_id)',
  });

/** The session whose smart key carries this access command (read model; the workflow then decides). */
async function sessionByAccessCommand(command: string): Promise<number | null> {
  const row = await SessionModel.findOne({ $or: [{ 'view.entranceKey.accessCommand': command }, { 'view.exitKey.accessCommand': command }] }, { sessionId: 1 }).lean();
  return row?.sessionId ?? null;
}

/** Gate controllers confirm that a car really passed the barrier; the workflow decides what it means. */
export function gateRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/api/gates/events', requireGate(deps.config.DEMO_GATE_API_KEY), async (req, res) => {
    const parsed = GateEventBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid gate event', zodDetails(parsed.error));
    const body = parsed.data;
    const id = body.parking_session_id ?? (await sessionByAccessCommand(body.access_command!));
    if (id === null) throw notFound('no parking session has this access command');
    const view = await loadSession(deps.temporal, id);
    const direction = body.event === 'entered' ? 'entrance' : 'exit';
    if (body.mac_address) {
      const parking = await findParking(view.parkingId);
      const known = parking?.accessPoints?.some((p) => p.direction === direction && p.macAddress.toUpperCase() === body.mac_address!.toUpperCase());
      if (!known) throw unprocessable(`${body.mac_address} is not an ${direction} access point of parking ${view.parkingId}`);
    }
    await sessionHandle(deps.temporal, id).signal(gateEventSignal, {
      direction,
      ...(body.occurred_at ? { occurredAt: new Date(body.occurred_at).toISOString() } : {}),
    });
    res.status(202).json({ status: 'accepted', parking_session_id: id, event: body.event });
  });
  return r;
}
