/**
 * The view a parking session starts with, as a pure function of its start input. The workflow builds its state
 * from it, and the API answers a fresh barrier start from it without waiting for the workflow's first task: the
 * answer is, by construction, what the workflow holds. No workflow APIs here (the API imports this file); what
 * only the workflow can make (a key's random command, its clock) is passed in.
 */
import type { Direction, ParkingSessionInput, SessionView, SmartKeyView } from './messages';

/**
 * A session's smart keys have fixed ids: entrance `<sessionId>1`, exit `<sessionId>2`. A key holds its `keyId` (its
 * access command is derived outside the workflow, src/security/access-command.ts), or in sessions started before
 * key ids, the command itself.
 */
export function smartKeyView(
  sessionId: number,
  direction: Direction,
  secret: { keyId: string } | { accessCommand: string },
  remainingTries: number,
  startTime: string,
): SmartKeyView {
  return { id: sessionId * 10 + (direction === 'entrance' ? 1 : 2), direction, ...secret, remainingTries, startTime, endTime: null };
}

/**
 * The entrance key that comes with the input (barrier sessions): the API made it and stored it with the session row,
 * so a gate takes it from the session's creation on. Null when the workflow makes the key itself (ANPR).
 */
export function inputEntranceKey(input: ParkingSessionInput): SmartKeyView | null {
  // A command an older API made wins: the driver holds it.
  const secret = input.entranceAccessCommand ? { accessCommand: input.entranceAccessCommand } : input.entranceKeyId ? { keyId: input.entranceKeyId } : null;
  if (!secret) return null;
  return smartKeyView(input.sessionId, 'entrance', secret, input.settings.smartKeyTries, input.createdAt);
}

export function initialSessionView(input: ParkingSessionInput, entranceKey: SmartKeyView): SessionView {
  return {
    sessionId: input.sessionId,
    driverId: input.driverId,
    kind: input.kind,
    parkingId: input.parking.id,
    state: 'entering',
    paymentStatus: 'none',
    paidVia: null,
    createdAt: input.createdAt,
    startTime: null,
    endTime: null,
    amount: null,
    entranceKey,
    exitKey: null,
    attempts: [],
    plate: input.anpr?.vehicleReg ?? null,
    anpr: input.anpr ? { ...input.anpr, autopayParkingId: null } : null,
    attention: null,
    attentionCode: null,
    notice: null,
    closedReason: null,
  };
}

/** The whole first view when the input determines it (a barrier session's), else null (ANPR: Autopay's connect decides). */
export function startedSessionView(input: ParkingSessionInput): SessionView | null {
  if (input.kind !== 'barrier') return null;
  const entranceKey = inputEntranceKey(input);
  return entranceKey ? initialSessionView(input, entranceKey) : null;
}
