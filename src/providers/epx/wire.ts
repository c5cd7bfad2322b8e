/**
 * EPX on the wire (PROVIDERS.md §4): the Browser Post key exchange (key/value form in, XML <FIELD KEY=..> out),
 * the JSON envelope {data, errors, reference} of the EPI-signed server calls, the EPI-Signature HMAC, and what
 * AUTH_RESP codes mean. Shared by the client and the sandbox so both speak one format.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { CardOutcome } from '../card-provider';

/** EPX amounts are "dollars.cents" strings on its key/value interfaces. */
export const EPX_AMOUNT = /^\d+\.\d{2}$/;
const Amount = z.string().regex(EPX_AMOUNT, 'amount must be dollars.cents, e.g. 10.00');

/** The four-part merchant key (CUST_NBR-MERCH_NBR-DBA_NBR-TERMINAL_NBR), also the EPI-Id header value. */
export interface EpxMerchant {
  custNbr: string;
  merchNbr: string;
  dbaNbr: string;
  terminalNbr: string;
}
export const epiId = (m: EpxMerchant) => `${m.custNbr}-${m.merchNbr}-${m.dbaNbr}-${m.terminalNbr}`;

/**
 * EPI-Signature: HMAC-SHA256 (hex) with the EPI key over endpoint + body, the endpoint being the path after the
 * base URL (with query). EPX documents "endpoint + JSON payload" but not the exact concatenation or encoding:
 * UNCONFIRMED, so this is our sandbox's rule, kept in this one function.
 */
export function epxSignature(epiKey: string, endpoint: string, body: string): string {
  return createHmac('sha256', epiKey).update(endpoint + body).digest('hex');
}

// ---- Browser Post key exchange ------------------------------------------------------------------------

export const EpxTacRequestSchema = z.object({
  CUST_NBR: z.string().min(1),
  MERCH_NBR: z.string().min(1),
  DBA_NBR: z.string().min(1),
  TERMINAL_NBR: z.string().min(1),
  TRAN_NBR: z.string().min(1).max(64),
  TRAN_GROUP: z.literal('SALE'),
  AMOUNT: Amount,
  REDIRECT_URL: z.url(),
});
export type EpxTacRequest = z.infer<typeof EpxTacRequestSchema>;

export const EpxTacResponseSchema = z.object({ TAC: z.string().min(1) });
/** The sandbox's XML error fields for a refused key exchange (EPX's own error fields are UNCONFIRMED). */
export const EpxXmlErrorSchema = z.object({ ERROR_CODE: z.string(), ERROR_MSG: z.string().default('') });

const xmlEscape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const xmlUnescape = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '');

/** EPX's flat XML: <RESPONSE><FIELDS><FIELD KEY="TAC">...</FIELD></FIELDS></RESPONSE>. */
export function toEpxXml(fields: Record<string, string>): string {
  const inner = Object.entries(fields)
    .map(([k, v]) => `<FIELD KEY="${xmlEscape(k)}">${xmlEscape(v)}</FIELD>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><RESPONSE><FIELDS>${inner}</FIELDS></RESPONSE>`;
}

/** Reads the FIELD elements of that flat XML; nesting never occurs in these answers, so no XML parser is needed. */
export function parseEpxXml(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of xml.matchAll(/<FIELD\s+KEY="([^"]+)"\s*>([^<]*)<\/FIELD>/g)) out[xmlUnescape(m[1])] = xmlUnescape(m[2]);
  return out;
}

// ---- EPI-signed JSON calls ----------------------------------------------------------------------------

/** One transaction, named with EPX's response fields (§4.2); AUTH_* are absent until the card is processed. */
export const EpxTransactionSchema = z.object({
  TRAN_NBR: z.string(),
  TRAN_TYPE: z.string().nullish(),
  AMOUNT: Amount,
  AUTH_AMOUNT: Amount.nullish(),
  AUTH_RESP: z.string().nullish(),
  AUTH_RESP_TEXT: z.string().nullish(),
  AUTH_GUID: z.string().nullish(),
  AUTH_CODE: z.string().nullish(),
  AUTH_CARD_TYPE: z.string().nullish(),
  /** maskPan() form; the field name is the sandbox's (EPX's masked-account field UNCONFIRMED). */
  AUTH_MASKED_ACCOUNT_NBR: z.string().nullish(),
  ORIG_AUTH_GUID: z.string().nullish(),
  /**
   * What happened to the sale since (sandbox field; how EPX's lookup reports voids, reversals and chargebacks is
   * UNCONFIRMED): VOID (cancelled before any capture), REFUNDED (fully), REVERSED, CHARGEBACK.
   */
  TRAN_STATE: z.enum(['VOID', 'REFUNDED', 'REVERSED', 'CHARGEBACK']).nullish(),
});
export type EpxTransaction = z.infer<typeof EpxTransactionSchema>;

/** The EPI JSON envelope (older EPI doc): {data, errors:[{code,text}], reference:{bric}}. */
export const EpxEnvelopeSchema = z.object({
  data: EpxTransactionSchema.nullish(),
  errors: z
    .array(z.object({ code: z.union([z.string(), z.number()]).transform(String), text: z.string().default('') }))
    .nullish()
    .transform((e) => e ?? []),
  reference: z.object({ bric: z.string().nullish() }).nullish(),
});
export type EpxEnvelope = z.infer<typeof EpxEnvelopeSchema>;

/** Refund by BRIC. idempotencyKey is the sandbox's dedup field; EPX's real one is UNCONFIRMED. */
export const EpxRefundRequestSchema = z.object({
  amount: Amount,
  orderNumber: z.string().min(1),
  idempotencyKey: z.string().min(1).max(128),
});
export type EpxRefundRequest = z.infer<typeof EpxRefundRequestSchema>;

/**
 * Void by reference (POST /void/{BRIC or TAC}). EPX documents /void in its JSON API for a processed sale; voiding
 * a Browser Post TAC nobody has used yet is our sandbox's rule: UNCONFIRMED for real EPX.
 */
export const EpxVoidRequestSchema = z.object({ orderNumber: z.string().min(1) });
export type EpxVoidRequest = z.infer<typeof EpxVoidRequestSchema>;

// ---- codes --------------------------------------------------------------------------------------------

export const EPX_APPROVED = '00';

export interface EpxOutcome {
  outcome: CardOutcome;
  reasonCode?: string;
  reason?: string;
}

/** A transaction's TRAN_STATE first (what happened since), then its AUTH_RESP. */
export function epxTransactionOutcome(txn: Pick<EpxTransaction, 'AUTH_RESP' | 'AUTH_RESP_TEXT' | 'TRAN_STATE'>): EpxOutcome {
  switch (txn.TRAN_STATE) {
    case 'VOID':
      return { outcome: 'voided', reasonCode: 'cancelled', reason: 'The payment was cancelled' };
    case 'REFUNDED':
      return { outcome: 'refunded' };
    case 'REVERSED':
      return { outcome: 'reversed' };
    case 'CHARGEBACK':
      return { outcome: 'chargeback' };
    default:
      return epxOutcome(txn.AUTH_RESP, txn.AUTH_RESP_TEXT);
  }
}

/** AUTH_RESP → our outcome (codes per §4.2, secondary source). No AUTH_RESP yet = card not submitted = pending. */
export function epxOutcome(authResp: string | null | undefined, authRespText?: string | null): EpxOutcome {
  switch (authResp) {
    case null:
    case undefined:
    case '':
      return { outcome: 'pending' };
    case EPX_APPROVED:
      return { outcome: 'paid' };
    case '54':
      return { outcome: 'declined', reasonCode: 'expired_card', reason: 'Card expired' };
    case '51':
      return { outcome: 'declined', reasonCode: 'insufficient_funds', reason: 'Insufficient funds' };
    case '05':
      return { outcome: 'declined', reasonCode: 'declined', reason: 'Do not honor' };
    default:
      return { outcome: 'declined', reasonCode: 'declined', reason: authRespText || `Declined (${authResp})` };
  }
}
