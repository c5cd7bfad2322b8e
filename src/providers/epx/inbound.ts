/**
 * What EPX's Browser Post sends back through the shopper's browser (the REDIRECT_URL query). These values pass
 * through a device we do not control and carry no signature: they are NEVER trusted alone. Parse them to know
 * which order came back, then confirm with EpxClient.status(orderId, ...) before marking anything paid.
 */
import { z } from 'zod';
import { EPX_AMOUNT } from './wire';

export const EpxBrowserPostResponseSchema = z.object({
  AUTH_RESP: z.string().regex(/^[0-9A-Z]{2}$/, 'AUTH_RESP is a 2-character code'),
  AUTH_RESP_TEXT: z.string().max(200).default(''),
  AUTH_GUID: z.string().max(40).optional(),
  AUTH_CODE: z.string().max(20).optional(),
  AUTH_CARD_TYPE: z.string().max(10).optional(),
  TRAN_NBR: z.string().min(1).max(64),
  AMOUNT: z.string().regex(EPX_AMOUNT),
});
export type EpxBrowserPostResponse = z.infer<typeof EpxBrowserPostResponseSchema>;

export class EpxResponseFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpxResponseFormatError';
  }
}

/** Accepts req.query, a parsed form body or URLSearchParams; repeated keys are refused rather than guessed. */
export function parseEpxBrowserPostResponse(params: URLSearchParams | Record<string, unknown> | undefined): EpxBrowserPostResponse {
  // A post without a form body (none, or another content type) reaches us as undefined: a format error, not a crash.
  if (params === undefined || params === null || typeof params !== 'object') throw new EpxResponseFormatError('EPX response has no form fields');
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  const flat: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (k in flat || Array.isArray(v)) throw new EpxResponseFormatError(`EPX response field ${k} is repeated`);
    flat[k] = v;
  }
  const parsed = EpxBrowserPostResponseSchema.safeParse(flat);
  if (!parsed.success) throw new EpxResponseFormatError(`EPX response: ${parsed.error.message}`);
  return parsed.data;
}
