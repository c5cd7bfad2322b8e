import { z } from 'zod';

/**
 * Ids are positive integers, nothing else: a JSON number without fraction or exponent tricks. Arrays, strings,
 * floats and booleans are refused instead of coerced (`[189]` must not become 189).
 */
export const IntegerId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** The same id in a URL path or query string: decimal digits only, no sign, spaces or leading zeros. */
const ID_TEXT = /^[1-9][0-9]{0,14}$/;
export const isIdText = (raw: string): boolean => ID_TEXT.test(raw);
export const IdText = z
  .string()
  .regex(ID_TEXT, 'must be a positive integer')
  .transform((s) => Number(s));
