import { Schema, model } from 'mongoose';

/** One ops person, one token (a SHA-256 hash of a random token, looked up by it); the name goes into the audit trail. */
const opsUserSchema = new Schema(
  {
    name: { type: String, required: true, unique: true },
    tokenHash: { type: String, required: true, unique: true },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);
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
