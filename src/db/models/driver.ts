import { Schema, model, type InferSchemaType } from 'mongoose';

const driverSchema = new Schema(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, default: '' },
    /** MSISDN verified by Vipps Login, e.g. "4791234567". */
    phoneNumber: { type: String, default: null },
    vehicles: {
      type: [new Schema({ plate: { type: String, required: true }, plateIssuer: { type: String, required: true } }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true },
);
driverSchema.index({ phoneNumber: 1 });
driverSchema.index({ 'vehicles.plate': 1 });

export type DriverDoc = InferSchemaType<typeof driverSchema>;
export const DriverModel = model('Driver', driverSchema);

/**
 * Bearer tokens are stored as SHA-256 hashes only: a database leak does not leak tokens. Every token expires
 * (rows from before expiry existed count from createdAt) and ops can revoke it.
 */
const accessTokenSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    driverId: { type: String, required: true, index: true },
    label: { type: String, default: '' },
    expiresAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedBy: { type: String, default: null },
  },
  { timestamps: true },
);
export const AccessTokenModel = model('AccessToken', accessTokenSchema);
