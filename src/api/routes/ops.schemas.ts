import { z } from 'zod';
import { PAYMENT_STATUSES, SESSION_STATES } from '../../domain/session';
import { IdText } from '../schemas/ids';

/** A day (yyyy-mm-dd, the whole UTC day) or an instant with an offset. */
const Instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be yyyy-mm-dd or an ISO 8601 date-time with offset' });

/**
 * GET /api/ops/sessions: every filter is checked, so a typo is a 400 naming it, never an empty list. Unknown
 * parameters are refused too. Newest first; `cursor` is the `next_cursor` of the previous page.
 */
export const OpsSessionQuery = z.strictObject({
  state: z.enum(SESSION_STATES).optional(),
  payment_status: z.enum(PAYMENT_STATUSES).optional(),
  // `any`: every session that needs a person; `none`: those that do not; or one reason (amount_mismatch, ...).
  attention: z.string().regex(/^[a-z_]{1,60}$/, 'attention: any, none, or a reason like amount_mismatch').optional(),
  parking_id: IdText.optional(),
  plate: z.string().regex(/^[A-Za-z0-9 .-]{1,20}$/, 'plate: 1-20 letters, digits, spaces, dots or dashes').optional(),
  vipps_agreement_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'vipps_agreement_id: 1-64 letters, digits, _ or -').optional(),
  /** Sessions created at or after (a day: from its start). */
  from: Instant.optional(),
  /** Sessions created before (a day: up to its end). */
  to: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: IdText.optional(),
});
export type OpsSessionQuery = z.infer<typeof OpsSessionQuery>;

export const OpsAgreementQuery = z.strictObject({
  status: z.enum(['PENDING', 'ACTIVE', 'STOPPED', 'EXPIRED']).optional(),
  driver_id: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'driver_id: 1-100 letters, digits, . _ : or -').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The `next_cursor` of the previous page. */
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'cursor: the next_cursor of the previous page').optional(),
});

/** Start (inclusive) of `from`, end (exclusive) of `to`: a day covers all of it. */
export function instantBound(value: string, edge: 'from' | 'to'): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = new Date(`${value}T00:00:00.000Z`);
    return edge === 'from' ? start : new Date(start.getTime() + 86_400_000);
  }
  return new Date(value);
}

/** GET /api/ops/plate-hash: the plate whose keyed hash (PlateHash search attribute) ops want to filter by. */
export const PlateHashQuery = z.strictObject({
  plate: z.string().regex(/^[A-Za-z0-9 .-]{1,20}$/, 'plate: 1-20 letters, digits, spaces, dots or dashes'),
});
