import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { badRequest, conflict, handle, parseBody } from './http';
import { ReceiptOrderId, ReceiptPaymentType, ReceiptSchema, type Receipt } from '../../src/providers/vipps/wire';

/**
 * Order Management receipts (PROVIDERS.md 2.5): immutable per (paymentType, orderId), so a second
 * POST is 409 Conflict. Like the real API, the order's existence is not checked. No idempotency replay
 * here: the 409 is what tells a retrying client that its first attempt landed.
 */
export interface SandboxReceipt {
  id: string;
  paymentType: ReceiptPaymentType;
  orderId: string;
  receipt: Receipt;
  /** Wall-clock time of the POST. */
  at: string;
}

export function receiptRoutes(receipts: Map<string, SandboxReceipt>): Router {
  const r = Router();
  r.post(
    '/order-management/v2/:paymentType/receipts/:orderId',
    handle((req) => {
      const type = ReceiptPaymentType.safeParse(String(req.params.paymentType).toUpperCase());
      if (!type.success) throw badRequest('paymentType must be ECOM or RECURRING', [{ field: 'paymentType', text: 'unknown' }]);
      const orderId = ReceiptOrderId.safeParse(String(req.params.orderId));
      if (!orderId.success) throw badRequest('invalid orderId', [{ field: 'orderId', text: 'must match ^[0-9A-Za-z-_.]+$' }]);
      const receipt = parseBody(ReceiptSchema, req.body);
      const key = `${type.data}/${orderId.data}`;
      if (receipts.has(key)) throw conflict(`A receipt for ${key} already exists`);
      const stored: SandboxReceipt = { id: randomUUID(), paymentType: type.data, orderId: orderId.data, receipt, at: new Date().toISOString() };
      receipts.set(key, stored);
      return { status: 201, body: stored.id };
    }),
  );
  return r;
}
