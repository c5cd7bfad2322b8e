import type { SearchAttributePair } from '@temporalio/common';
import type { ParkingSessionInput } from '../../workflows/messages';
import { SA_ATTENTION, SA_PARKING_ID, SA_PAYMENT_STATUS, SA_PLATE, SA_SESSION_ID, SA_STATE } from '../../workflows/search-attributes';

/**
 * The search attributes a session has from its first moment, given with the workflow start (`typedSearchAttributes`)
 * so the workflow need not upsert them itself (one history event less per session). A lean-v3 workflow reads what
 * it was given and upserts only what differs; without them it upserts everything, as before.
 */
export function sessionStartSearchAttributes(input: Pick<ParkingSessionInput, 'sessionId' | 'parking' | 'anpr'>): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA_STATE, value: 'entering' },
    { key: SA_PAYMENT_STATUS, value: 'none' },
    { key: SA_ATTENTION, value: '' },
    { key: SA_SESSION_ID, value: input.sessionId },
    { key: SA_PARKING_ID, value: input.parking.id },
  ];
  if (input.anpr?.vehicleReg) pairs.push({ key: SA_PLATE, value: input.anpr.vehicleReg });
  return pairs;
}
