import { Schema, model } from 'mongoose';

/**
 * Ops refund requests by (sessionId, request_id), Stripe-style: the amount asked for and, once known, the
 * final outcome, so a repeated request replays the first answer and a different amount is a conflict.
 */
const refundRequestSchema = new Schema(
  {
    sessionId: { type: Number, required: true },
    requestId: { type: String, required: true },
    /** "2.50", or null for "everything still refundable". */
    amount: { type: String, default: null },
    /** null while the refund runs; then { outcome: 'refunded' | 'refused', ... } as the workflow returned it. */
    outcome: { type: Schema.Types.Mixed, default: null },
  },
  { timestamps: true },
);
refundRequestSchema.index({ sessionId: 1, requestId: 1 }, { unique: true });

export const RefundRequestModel = model('RefundRequest', refundRequestSchema);
