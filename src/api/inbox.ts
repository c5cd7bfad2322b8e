import { isDuplicateKey } from '../db/connection';
import { WebhookInboxModel } from '../db/models';

/** Records a verified inbound message once; returns false when it was seen before (a duplicate). */
export async function recordInbound(provider: string, eventType: string, dedupKey: string, payload: unknown): Promise<boolean> {
  try {
    await WebhookInboxModel.create({ dedupKey, provider, eventType, payload });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
