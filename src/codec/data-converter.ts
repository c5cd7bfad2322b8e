import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { parseKeyRing } from './key-ring';

/** The one data converter of every Temporal client and worker of the product: payloads encrypted at rest. */
export function encryptingDataConverter(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEYS'>): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(parseKeyRing(config.PAYLOAD_ENCRYPTION_KEYS))] };
}
