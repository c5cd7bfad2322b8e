import { Schema, Types, model, type InferSchemaType } from 'mongoose';

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
/**
 * A token row's `_id`: the first 12 bytes of its hash, so a request's token is found by `_id` (indexed on FerretDB
 * as well as MongoDB). The full hash is still compared; the id stays the 24-hex-digit id ops already use.
 */
export const tokenRowId = (tokenHash: string): Types.ObjectId => new Types.ObjectId(tokenHash.slice(0, 24));
accessTokenSchema.pre('validate', function () {
  if (this.isNew && this.tokenHash) this._id = tokenRowId(this.tokenHash);
});
// Ops list a driver's tokens, newest first.
accessTokenSchema.index({ driverId: 1, createdAt: -1 });
export const AccessTokenModel = model('AccessToken', accessTokenSchema);
