/**
 * Payload encryption keys: `id:base64key[,id:base64key…]` (PAYLOAD_ENCRYPTION_KEYS). The first key encrypts;
 * every key decrypts, so a rotation is: put the new key first, keep the old ones until no open history
 * (retention included) holds payloads written with them.
 */
export interface KeyRing {
  /** The key new payloads are encrypted with. */
  current: { id: string; key: Buffer };
  byId: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

export function parseKeyRing(spec: string): KeyRing {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = entry.slice(0, at);
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (at < 1 || !KEY_ID.test(id)) throw new Error(`payload key "${id || entry.slice(0, 8)}": the id must be 1-32 letters, digits, . _ or -`);
      if (key.length !== 32) throw new Error(`payload key ${id}: must be 32 bytes, base64 (openssl rand -base64 32)`);
      return [id, key] as const;
    });
  if (entries.length === 0) throw new Error('no payload encryption key');
  const byId = new Map(entries);
  if (byId.size !== entries.length) throw new Error('payload key ids must be unique');
  return { current: { id: entries[0][0], key: entries[0][1] }, byId };
}
