import { Schema, model } from 'mongoose';

/**
 * Hashed credential → its owner, by `_id`: `gate:<keyHash>` → gate id, `ops:<tokenHash>` → ops user name. A gate
 * key or ops token is looked up here by `_id` (one index lookup on FerretDB and MongoDB, a known key or not, never
 * a scan by hash), then its owner by `_id`, whose own hash and `active` flag decide: a row left behind by a re-key
 * or retirement (written before its owner changed, or not yet deleted) grants nothing.
 */
const credentialKeySchema = new Schema({ _id: { type: String, required: true }, owner: { type: String, required: true } }, { versionKey: false });
export const CredentialKeyModel = model('CredentialKey', credentialKeySchema);

export const gateKeyId = (keyHash: string): string => `gate:${keyHash}`;
export const opsKeyId = (tokenHash: string): string => `ops:${tokenHash}`;
