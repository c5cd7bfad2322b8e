import { Router } from 'express';
import { z } from 'zod';
import { gateEventSignal } from '../../../workflows/messages';
import { requireGate } from '../auth';
import type { ApiDeps } from '../deps';
import { badRequest, zodDetails } from '../errors';
import { loadSession, sessionHandle } from '../sessions';

const GateEventBody = z.object({
  parking_session_id: z.coerce.number().int().positive(),
  event: z.enum(['entered', 'exited']),
  occurred_at: z.iso.datetime({ offset: true }).optional(),
});

/** Gate controllers confirm that a car really passed the barrier; the workflow decides what it means. */
export function gateRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/api/gates/events', requireGate(deps.config.DEMO_GATE_API_KEY), async (req, res) => {
    const parsed = GateEventBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid gate event', zodDetails(parsed.error));
    const { parking_session_id: id, event, occurred_at } = parsed.data;
    await loadSession(deps.temporal, id);
    await sessionHandle(deps.temporal, id).signal(gateEventSignal, {
      direction: event === 'entered' ? 'entrance' : 'exit',
      ...(occurred_at ? { occurredAt: new Date(occurred_at).toISOString() } : {}),
    });
    res.status(202).json({ status: 'accepted', parking_session_id: id, event });
  });
  return r;
}
