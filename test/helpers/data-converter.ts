import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { encryptingDataConverter } from '../../src/codec/data-converter';

/** The product's encrypting converter with the sandbox key: test clients and workers share it, like in production. */
export const testDataConverter = encryptingDataConverter({ PAYLOAD_ENCRYPTION_KEYS: SANDBOX_DEFAULTS.PAYLOAD_ENCRYPTION_KEYS });

/** A payload read straight from a history, decrypted and converted as a worker would. */
export async function decodeHistoryPayload<T>(payload: Payload): Promise<T> {
  let p = payload;
  for (const codec of [...(testDataConverter.payloadCodecs ?? [])].reverse()) [p] = await codec.decode([p]);
  return defaultPayloadConverter.fromPayload<T>(p);
}
