import { Schema, model } from 'mongoose';

/**
 * Autopay operators: how Autopay authenticates to our callbacks for this operator. The secret is stored as
 * a salted scrypt hash (src/security/password.ts; basic: of "user:password"; token / api_key: of the value).
 */
const operatorSchema = new Schema(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, default: '' },
    callbackAuth: {
      method: { type: String, enum: ['basic', 'token', 'api_key'], required: true },
      secretHash: { type: String, required: true },
    },
  },
  { timestamps: true },
);
export const OperatorModel = model('Operator', operatorSchema);

/** EasyPark Fleet customers: Basic credentials EasyPark sends (password as a salted scrypt hash) and whether we re-bill drivers. */
const fleetSchema = new Schema(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, default: '' },
    username: { type: String, required: true, unique: true },
    passwordHash: { type: String, required: true },
    currency: { type: String, required: true },
    rebillDrivers: { type: Boolean, default: false },
  },
  { timestamps: true },
);
export const FleetModel = model('Fleet', fleetSchema);
