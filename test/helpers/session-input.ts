import { randomUUID } from 'node:crypto';
import { SESSION_INPUT_REVISION, type ParkingSessionInput } from '../../workflows/messages';

/** A barrier session's workflow input at demo parking 187 (or 189), paid by card through NETOPIA. */
export function barrierInput(sessionId: number, parkingId = 187): ParkingSessionInput {
  const parking = {
    187: { currency: 'RON', mac: '76:86:BB:DE:63:AD', exit: '76:86:BB:DE:63:AE' },
    189: { currency: 'RON', mac: '76:86:BB:DE:65:01', exit: '76:86:BB:DE:65:02' },
  }[parkingId as 187 | 189];
  return {
    sessionId,
    driverId: 'demo-driver',
    kind: 'barrier',
    createdAt: new Date().toISOString(),
    // As the API starts it: the entrance key by id (its access command is derived outside the workflow).
    entranceKeyId: randomUUID(),
    revision: SESSION_INPUT_REVISION,
    parking: {
      id: parkingId,
      name: 'Secured P 1',
      description: '',
      currency: parking.currency,
      active: true,
      exclusivelyOnline: false,
      accessPoints: [
        { macAddress: parking.mac, direction: 'entrance', name: 'in' },
        { macAddress: parking.exit, direction: 'exit', name: 'out' },
      ],
      cardProvider: 'netopia',
      vatPercent: '21',
      timeZone: 'Europe/Bucharest',
    },
    settings: { entryTimeoutMs: 2 * 3600_000, paymentAttemptTtlMs: 15 * 60_000, smartKeyTries: 3 },
  };
}
