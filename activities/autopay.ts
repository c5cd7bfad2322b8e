import { ApplicationFailure } from '@temporalio/activity';
import type { SessionActivities } from './contracts';

/** What the activities need from the Autopay client (src/providers/autopay). */
export interface AutopayPort {
  connectParking(
    operatorId: string,
    body: { parking_area_code: string; reference: string; vehicle_reg: string; plate_issuer: string; plate_subdivision?: string | null },
  ): Promise<{ parking_id: string; reference: string; start_time: string }>;
  manualStop(operatorId: string, body: { parking_id: string; reference: string; end_time: string }): Promise<unknown>;
}

/** Autopay writes offsets without a colon ("+0000"); ISO 8601 with a colon parses everywhere. */
export function normaliseAutopayTime(value: string): string {
  const fixed = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const d = new Date(fixed);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date-time: ${value}`);
  return d.toISOString();
}

/** How Autopay says it knows no ongoing parking for the plate yet (the camera has not seen the car). */
const NOT_SEEN = /not found|no ongoing|not seen/i;

/** AutopayError's message already starts with its error id: it is not repeated. */
function described(e: { errorId?: string; message?: string }, err: unknown): string {
  const message = e.message ?? String(err);
  return e.errorId && !message.startsWith(`${e.errorId}:`) ? `${e.errorId}: ${message}` : message;
}

function rejected(err: unknown): never {
  const e = err as { retryable?: boolean; errorId?: string; message?: string };
  if (e && e.errorId === 'server_communication_error' && NOT_SEEN.test(e.message ?? '')) {
    // Not a refusal: the driver may start before driving in; the workflow asks again for a while.
    throw ApplicationFailure.nonRetryable(described(e, err), 'AutopayNotSeen');
  }
  if (e && e.retryable === false) {
    throw ApplicationFailure.nonRetryable(described(e, err), 'AutopayRejected', { errorId: e.errorId ?? null });
  }
  throw err;
}

/** `reference` is our session id: Autopay's callbacks then lead straight to the workflow. */
export function createAutopayActivities(autopay: AutopayPort): Pick<SessionActivities, 'autopayConnect' | 'autopayManualStop'> {
  return {
    async autopayConnect(req) {
      try {
        const res = await autopay.connectParking(req.operatorId, {
          parking_area_code: req.areaCode,
          reference: req.reference,
          vehicle_reg: req.vehicleReg,
          plate_issuer: req.plateIssuer,
          plate_subdivision: req.plateSubdivision,
        });
        return { autopayParkingId: res.parking_id, startTime: normaliseAutopayTime(res.start_time) };
      } catch (err) {
        rejected(err);
      }
    },
    async autopayManualStop(req) {
      try {
        await autopay.manualStop(req.operatorId, {
          parking_id: req.autopayParkingId,
          reference: req.reference,
          end_time: req.endTime,
        });
      } catch (err) {
        rejected(err);
      }
    },
  };
}
