import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/codec/aes-gcm-codec';
import { parseKeyRing } from '../../src/codec/key-ring';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const old = parseKeyRing(`k1:${key(1)}`);
const rotated = parseKeyRing(`k2:${key(2)},k1:${key(1)}`);
const plain = defaultPayloadConverter.toPayload({ plate: 'AB12345', phone: '4790000001', accessCommand: 'open-sesame-123' });
const utf8 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

test('a payload is sealed: no clear text, the key id in metadata, and it opens to the same payload', async () => {
  const [sealed] = await new AesGcmPayloadCodec(old).encode([plain]);
  expect(utf8(sealed.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(utf8(sealed.metadata?.['encryption-key-id'])).toBe('k1');
  const raw = Buffer.from(sealed.data!).toString('latin1');
  for (const secret of ['AB12345', '4790000001', 'open-sesame-123', 'json/plain']) expect(raw).not.toContain(secret);
  const [opened] = await new AesGcmPayloadCodec(old).decode([sealed]);
  expect(defaultPayloadConverter.fromPayload(opened)).toEqual(defaultPayloadConverter.fromPayload(plain));
});

test('after a rotation, new payloads use the new key and old ones still open', async () => {
  const [before] = await new AesGcmPayloadCodec(old).encode([plain]);
  const codec = new AesGcmPayloadCodec(rotated);
  const [after] = await codec.encode([plain]);
  expect(utf8(after.metadata?.['encryption-key-id'])).toBe('k2');
  const opened = await codec.decode([before, after]);
  expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
    defaultPayloadConverter.fromPayload(plain),
    defaultPayloadConverter.fromPayload(plain),
  ]);
  // A worker that lost the old key refuses, naming the key, rather than decoding garbage.
  await expect(new AesGcmPayloadCodec(parseKeyRing(`k2:${key(2)}`)).decode([before])).rejects.toThrow(/unknown key "k1"/);
});

test('tampering is detected; clear payloads from before encryption pass through', async () => {
  const [sealed] = await new AesGcmPayloadCodec(old).encode([plain]);
  const data = Buffer.from(sealed.data!);
  data[20] ^= 0xff;
  await expect(new AesGcmPayloadCodec(old).decode([{ ...sealed, data }])).rejects.toThrow();
  const [passed] = await new AesGcmPayloadCodec(old).decode([plain]);
  expect(passed).toBe(plain);
});

test('two encodings of the same payload differ (a fresh IV each time)', async () => {
  const codec = new AesGcmPayloadCodec(old);
  const [a] = await codec.encode([plain]);
  const [b] = await codec.encode([plain]);
  expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
});

test('bad key rings are refused with a reason', () => {
  expect(() => parseKeyRing('')).toThrow(/no payload encryption key/);
  expect(() => parseKeyRing(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
  expect(() => parseKeyRing(`:${key(1)}`)).toThrow(/id/);
  expect(() => parseKeyRing(`k1:${key(1)},k1:${key(2)}`)).toThrow(/unique/);
});
