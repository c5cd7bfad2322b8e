import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Business search attributes so ops can filter sessions in the Temporal UI, e.g.
 * `SessionState = "exiting" AND ParkingId = 187`. Registered by the dev server start-up (src/temporal).
 */
export const SA_SESSION_ID = defineSearchAttributeKey('ParkingSessionId', SearchAttributeType.INT);
export const SA_PARKING_ID = defineSearchAttributeKey('ParkingId', SearchAttributeType.INT);
/** Clear plates: only sessions started before PlateHash (settlement-v2 and older) have it; never written now. */
export const SA_PLATE = defineSearchAttributeKey('Plate', SearchAttributeType.KEYWORD);
/** The plate as a keyed hash (src/security/plate-hash.ts): `GET /api/ops/plate-hash?plate=` gives the UI filter. */
export const SA_PLATE_HASH = defineSearchAttributeKey('PlateHash', SearchAttributeType.KEYWORD);
export const SA_STATE = defineSearchAttributeKey('SessionState', SearchAttributeType.KEYWORD);
export const SA_PAYMENT_STATUS = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
/** Why a person must look at this workflow (amount_mismatch, refund_refused, payment_unresolved, ...); "" when not. */
export const SA_ATTENTION = defineSearchAttributeKey('Attention', SearchAttributeType.KEYWORD);
// A display/filter value only: money arithmetic never reads it back.
export const SA_AMOUNT = defineSearchAttributeKey('AmountGross', SearchAttributeType.DOUBLE);

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS: Record<string, 'Int' | 'Keyword' | 'Double'> = {
  ParkingSessionId: 'Int',
  ParkingId: 'Int',
  Plate: 'Keyword',
  PlateHash: 'Keyword',
  SessionState: 'Keyword',
  PaymentStatus: 'Keyword',
  AmountGross: 'Double',
  Attention: 'Keyword',
};
