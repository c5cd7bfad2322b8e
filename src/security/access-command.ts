import { createHmac } from 'node:crypto';
import type { Direction, SmartKeyView } from '../../workflows/messages';

/**
 * A smart key's access command (the secret a car presents to open a barrier), derived rather than stored:
 * HMAC-SHA256 under ACCESS_COMMAND_KEY of `<sessionId>:<direction>:<keyId>`, hex, 32 characters (the shape of the
 * random commands made before key ids). The workflow holds only the key id, which opens nothing without the key,
 * so no history, query answer or read-model view carries a barrier-opening secret. Rotating the key changes every
 * live session's commands: do it between sessions, or not at all.
 */
export function deriveAccessCommand(key: string, sessionId: number, direction: Direction, keyId: string): string {
  return createHmac('sha256', key).update(`${sessionId}:${direction}:${keyId}`).digest('hex').slice(0, 32);
}

/**
 * The command of a key as the workflow shows it: derived from its `keyId`, or the command itself for keys made
 * before key ids (those sessions keep the stored one: their drivers hold it). Null for a key that has neither.
 */
export function accessCommandOf(key: string, sessionId: number, smartKey: Pick<SmartKeyView, 'direction' | 'accessCommand' | 'keyId'>): string | null {
  if (smartKey.keyId) return deriveAccessCommand(key, sessionId, smartKey.direction, smartKey.keyId);
  return smartKey.accessCommand ?? null;
}
