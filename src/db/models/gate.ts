import { Schema, model } from 'mongoose';

/**
 * A gate controller: one per access point, with its own API key (stored as a SHA-256 hash of a random key). The
 * key is bound to the gate's parking, direction and MAC address; events from this key are accepted only for that
 * parking, that direction and that MAC. `_id` = the gate's id; a key finds its gate through its CredentialKey row
 * (`_id` = `gate:<keyHash>`), and the gate's own `keyHash` and `active` decide.
 */
const gateSchema = new Schema(
  {
    _id: { type: String, required: true },
    id: { type: String, required: true, unique: true },
    parkingId: { type: Number, required: true },
    direction: { type: String, enum: ['entrance', 'exit'], required: true },
    /** Upper case, "76:86:BB:DE:63:AD". */
    macAddress: { type: String, required: true, unique: true },
    keyHash: { type: String, required: true, unique: true },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);
gateSchema.pre('validate', function () {
  if (this.isNew && this.id) this._id = this.id;
});
export const GateModel = model('Gate', gateSchema);
