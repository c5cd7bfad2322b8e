/**
 * What never reaches a log line: credentials, tokens, card data and access commands are replaced, plates are
 * masked (two characters kept, so ops can still tell two sessions apart). Applied by pino to structured fields
 * (`redact`) and to free text (messages, error messages and stacks) by `scrubText`.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'taskToken',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'api_key',
  'signature',
  'posSignature',
  'card_number',
  'cardNumber',
  'pan',
  'cvv',
  'cvc',
  'accessCommand',
  'access_command',
  'entranceAccessCommand',
  'payUrl',
  'pay_url',
  'licenseNumber',
  'phoneNumber',
  'phone',
];
const PLATE_KEYS = ['plate', 'licensePlate', 'license_plate', 'plateNumber'];

const deep = (key: string) => [key, `*.${key}`, `*.*.${key}`];
const HEADER_KEYS = ['"x-api-key"', '"x-request-signature"', 'authorization', 'cookie'];

export const REDACT_PATHS = [
  ...[...SECRET_KEYS, ...PLATE_KEYS].flatMap(deep),
  ...HEADER_KEYS.flatMap((h) => [`headers[${h}]`, `*.headers[${h}]`]),
];

const PLATE_KEY_SET = new Set(PLATE_KEYS);

/** "B123ABC" → "B1*****": enough to tell sessions apart in a log, not enough to identify a car. */
export function maskPlate(plate: unknown): string {
  if (typeof plate !== 'string' || plate.length === 0) return '[redacted]';
  return `${plate.slice(0, 2)}${'*'.repeat(Math.max(1, plate.length - 2))}`;
}

/** pino's censor: plates masked, everything else replaced. */
export function censor(value: unknown, path: string[]): unknown {
  if (value === null || value === undefined) return value;
  return PLATE_KEY_SET.has(path[path.length - 1] ?? '') ? maskPlate(value) : '[redacted]';
}

const TEXT_RULES: Array<[RegExp, string]> = [
  // Card numbers (12–19 digits, optionally grouped): never printed, not even masked here.
  [/\b(?:\d[ -]?){11,18}\d\b/g, '[card]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\b(token|sig|signature|secret|password|key|cvv|code)=([^&\s"']+)/gi, '$1=[redacted]'],
  // Signed pay-link tokens and JWTs: three base64url parts joined by dots.
  [/\b[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, '[jwt]'],
];

/** Free text (a message, an error's message or stack) with card numbers, bearer tokens and `token=` values removed. */
export function scrubText(text: string): string {
  let out = text;
  for (const [re, replacement] of TEXT_RULES) out = out.replace(re, replacement);
  return out;
}
