import { Schema, model } from 'mongoose';

/**
 * Read model of parking sessions, written by the workflow's projection activity (the workflow is the
 * truth). The API inserts the first row to allocate the integer id the seed API uses.
 */
const sessionSchema = new Schema(
  {
    sessionId: { type: Number, required: true, unique: true },
    driverId: { type: String, required: true },
    parkingId: { type: Number, required: true },
    kind: { type: String, required: true },
    state: { type: String, required: true },
    paymentStatus: { type: String, default: 'none' },
    plate: { type: String, default: null },
    amountGross: { type: String, default: null },
    currency: { type: String, default: null },
    version: { type: Number, default: 0 },
    /**
     * The entrance key's access command, written by the API with the row itself, so a gate finds the session the
     * moment the app holds its smart key (the view arrives later, from the workflow's projection).
     */
    entranceAccessCommand: { type: String, default: null },
    /** The Vipps agreement billing this session (written when its usage is handed to daily billing). */
    vippsAgreementId: { type: String, default: null },
    /** The full SessionView as last published. */
    view: { type: Schema.Types.Mixed, default: null },
  },
  { timestamps: true },
);
sessionSchema.index({ driverId: 1, sessionId: -1 });
sessionSchema.index({ entranceAccessCommand: 1 }, { sparse: true });
sessionSchema.index({ vippsAgreementId: 1 }, { sparse: true });

export const SessionModel = model('Session', sessionSchema);
