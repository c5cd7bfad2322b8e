import { Schema, model } from 'mongoose';

/** A driver's Vipps MobilePay variable-amount agreement (amounts in minor units, as Vipps keeps them). */
const agreementSchema = new Schema(
  {
    agreementId: { type: String, required: true, unique: true },
    driverId: { type: String, required: true, index: true },
    status: { type: String, enum: ['PENDING', 'ACTIVE', 'STOPPED', 'EXPIRED'], required: true },
    currency: { type: String, required: true },
    suggestedMaxAmountMinor: { type: Number, required: true },
    maxAmountMinor: { type: Number, default: null },
    phoneNumber: { type: String, default: null },
    vippsConfirmationUrl: { type: String, default: null },
  },
  { timestamps: true },
);
// A driver's active agreement (Vipps usage, fleet), the newest first.
agreementSchema.index({ driverId: 1, status: 1, updatedAt: -1 });
export const AgreementModel = model('Agreement', agreementSchema);
