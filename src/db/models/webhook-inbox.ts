import { Schema, model } from 'mongoose';

/** Every verified inbound callback/webhook once: the dedup key is unique, so a duplicate is recognised. */
const inboxSchema = new Schema(
  {
    dedupKey: { type: String, required: true, unique: true },
    provider: { type: String, required: true },
    eventType: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    outcome: { type: String, default: 'accepted' },
  },
  { timestamps: true },
);

export const WebhookInboxModel = model('WebhookInbox', inboxSchema);
