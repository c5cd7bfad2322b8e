import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Stored passwords (EasyPark Fleet Basic credentials, Autopay callback secrets): scrypt with a per-password
 * random salt, so a database leak yields no password without a costly search per entry. Format:
 * `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`; the parameters travel with the hash so they can be raised
 * later without invalidating stored ones. (High-entropy random tokens, which are looked up by hash, use SHA-256.)
 */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** False for a wrong password and for anything that is not a hash of this format (never throws on bad input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5], 'base64url');
  if (expected.length < 16 || N > 1 << 20 || r > 32 || p > 16) return false;
  const actual = await derive(password, Buffer.from(m[4], 'base64url'), { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

/** A valid hash of nothing anyone knows: verified against when the user is unknown, so both paths cost the same. */
export const DUMMY_PASSWORD_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
