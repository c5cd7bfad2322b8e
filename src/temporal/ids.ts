/** Workflow ids are derived from business ids, never looked up: the id is the idempotency key. */
export const sessionWorkflowId = (sessionId: number | string) => `parking-session-${sessionId}`;
export const vippsBillingWorkflowId = (agreementId: string) => `vipps-billing-${agreementId}`;
export const easyParkWorkflowId = (parkingId: number | string) => `easypark-${parkingId}`;
export const refundWorkflowId = (sessionId: number | string, requestId: string) => `refund-${sessionId}-${requestId}`;
/** One automatic refund per card order (duplicate, mismatched or late capture): the order id is the key. */
export const orderRefundWorkflowId = (orderId: string) => `order-refund-${orderId}`;
/** Provider facts about an order whose session workflow is gone, one workflow per order. */
export const lateCaptureWorkflowId = (orderId: string) => `late-capture-${orderId}`;

/** Card order ids are `<sessionId>-<attempt>`: an IPN leads to its workflow without a lookup. */
export function parseOrderId(orderId: string): { sessionId: number; attempt: number } | null {
  const m = /^(\d{1,15})-(\d{1,6})$/.exec(orderId);
  return m ? { sessionId: Number(m[1]), attempt: Number(m[2]) } : null;
}
