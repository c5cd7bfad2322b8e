import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApplicationFailure, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ProtoPayload = temporal.api.common.v1.Payload;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : '');

/**
 * AES-256-GCM over each whole payload (metadata and data), so Temporal stores only ciphertext: workflow inputs,
 * signals, updates, query results, activity arguments and results. The key id travels in clear metadata to pick
 * the key on decode. A payload without the encrypted encoding (written before encryption was switched on) passes
 * through, so old histories still replay.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.keys.current.key, iv);
      const sealed = Buffer.concat([cipher.update(ProtoPayload.encode(p).finish()), cipher.final()]);
      return {
        metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(this.keys.current.id) },
        data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (str(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = str(p.metadata?.[KEY_ID_METADATA]);
      const key = this.keys.byId.get(keyId);
      // Non-retryable: no retry brings a key back; the operator must restore it to the key ring.
      if (!key) throw ApplicationFailure.nonRetryable(`payload encrypted with unknown key "${keyId}"`, 'UnknownPayloadKey');
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw ApplicationFailure.nonRetryable('encrypted payload is truncated', 'CorruptPayload');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const decoded = ProtoPayload.decode(plain);
      return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
    });
  }
}
