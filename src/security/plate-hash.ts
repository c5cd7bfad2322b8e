import { createHmac } from 'node:crypto';
import { normalisePlate } from '../domain/plate';

/**
 * A number plate as Temporal may see it: HMAC-SHA256 under PLATE_HASH_KEY of the normalised plate (hex, 32 chars).
 * Search attributes are stored and indexed in clear by the server, so a plate goes there only as this keyed hash:
 * equal plates give equal hashes (ops can filter), and without the key nobody can test a guess.
 */
export function plateHash(key: string, plate: string): string {
  const normalised = normalisePlate(plate) ?? plate.toUpperCase();
  return createHmac('sha256', key).update(normalised).digest('hex').slice(0, 32);
}
