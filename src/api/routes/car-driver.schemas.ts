import { z } from 'zod';
import { IntegerId } from '../schemas/ids';

const id = IntegerId;

export const StartBarrierSession = z.object({ secured_parking_id: id });
export const StartAnprSession = z.object({
  parking_area_code: z.string().min(1).max(64),
  vehicle_reg: z.string().min(1).max(20),
  plate_issuer: z.string().regex(/^[A-Za-z]{3}$/, 'must be an ISO 3166-1 alpha-3 code, e.g. NOR'),
  plate_subdivision: z.string().max(10).nullable().optional(),
});

export const FinalizeBody = z.object({ parking_session: z.object({ secured_parking_id: id }) });

export const AccessAttemptBody = z.object({
  direction: z.enum(['entrance', 'exit']),
  mac_address: z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'must be a MAC address like 76:86:BB:DE:63:AD'),
});
