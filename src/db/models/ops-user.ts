import { Schema, model } from 'mongoose';

/**
 * One ops person, one token (a SHA-256 hash of a random token); the name goes into the audit trail. `_id` = the
 * name; a token finds its user through its CredentialKey row (`_id` = `ops:<tokenHash>`), and the user's own
 * `tokenHash` and `active` decide.
 */
const opsUserSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true, unique: true },
    tokenHash: { type: String, required: true, unique: true },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);
opsUserSchema.pre('validate', function () {
  if (this.isNew && this.name) this._id = this.name;
});
export const OpsUserModel = model('OpsUser', opsUserSchema);

/** Who did what through the ops API: every state-changing ops action writes one row before it acts. */
const opsAuditSchema = new Schema(
  {
    actor: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String, required: true },
    details: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
  },
  { timestamps: false },
);
opsAuditSchema.index({ at: -1 });
opsAuditSchema.index({ target: 1, at: -1 });
export const OpsAuditModel = model('OpsAudit', opsAuditSchema);
