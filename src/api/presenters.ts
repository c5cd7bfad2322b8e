/** The seed API's JSON shapes, built from the workflow's SessionView. */
import type { PaymentStatus } from '../domain/session';
import type { ParkingSnapshot, SessionView, SmartKeyView } from '../../workflows/messages';

/** "2017-09-07T08:00:00+00:00": ISO 8601 as the seed writes it. */
export function seedTime(iso: string | null): string | null {
  return iso ? new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00') : null;
}

/** Exactly the seed's parking_session fields (finalize response). */
export function seedParkingSession(v: SessionView) {
  return {
    id: v.sessionId,
    type: 'pay_per_use' as const,
    state: v.state,
    start_time: seedTime(v.startTime ?? v.createdAt),
    end_time: seedTime(v.endTime),
    entrance_remaining_tries: v.entranceKey.remainingTries,
    exit_remaining_tries: v.exitKey?.remainingTries ?? 0,
  };
}

/**
 * payment_status is the session's own word (src/domain/session.ts PAYMENT_STATUSES), the same in the driver API,
 * the ops API and the PaymentStatus search attribute: a UI filter on `declined` finds what ops see as declined.
 */
export function publicPaymentStatus(v: SessionView): PaymentStatus {
  return v.paymentStatus;
}

/** The seed fields plus what the app needs to show a session (GET endpoints). */
export function parkingSessionDetails(v: SessionView, payUrl: string | null) {
  const last = v.attempts[v.attempts.length - 1];
  return {
    ...seedParkingSession(v),
    secured_parking_id: v.parkingId,
    kind: v.kind,
    payment_status: publicPaymentStatus(v),
    paid_via: v.paidVia,
    amount: v.amount?.gross ?? null,
    currency: v.amount?.currency ?? null,
    pay_url: v.state === 'exiting' && v.paymentStatus !== 'paid' && v.paymentStatus !== 'billed' ? payUrl : null,
    last_payment_error: last && (last.status === 'declined' || last.status === 'expired') ? last.reason : null,
    vehicle_reg: v.plate,
    /** What the driver should know right now (e.g. the camera has not seen the car yet), in plain words. */
    notice: v.notice ?? null,
    created_at: seedTime(v.createdAt),
  };
}

/** `accessCommand`: the key's command, derived by the caller (src/security/access-command.ts: the view holds a key id). */
export function seedSmartKey(
  key: SmartKeyView,
  accessCommand: string,
  parking: Pick<ParkingSnapshot, 'id' | 'name' | 'description' | 'active' | 'exclusivelyOnline' | 'accessPoints'>,
) {
  return {
    id: key.id,
    secured_parking_id: parking.id,
    name: parking.name,
    description: parking.description || `${key.direction === 'entrance' ? 'Entrance' : 'Exit'} key for ${parking.name}`,
    is_active: parking.active,
    type: 'session_access' as const,
    access_command: accessCommand,
    is_online: parking.exclusivelyOnline,
    start_time: seedTime(key.startTime),
    end_time: seedTime(key.endTime),
    access_points: parking.accessPoints
      .filter((p) => p.direction === key.direction)
      .map((p) => ({ access_point: { mac_address: p.macAddress, direction: p.direction, name: p.name } })),
  };
}
