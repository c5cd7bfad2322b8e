import { money, round2, type MoneyInput } from './money';
import { splitGross } from './vat';
import { compactDay } from './calendar';

/**
 * Pure rules of Vipps pay-as-you-go billing (no I/O, no Temporal): which usage lines go into a charge,
 * how a day's total is capped at the agreement's limit, and the charge's stable ids. The workflow
 * calls these with its own state so the rules can be unit-tested apart from it.
 */

/** One session's cost on its way to a Vipps charge; amounts are exact decimal strings. */
export interface BillingLine {
  sessionId: string;
  description: string;
  gross: string;
  net: string;
  vat: string;
  vatPercent: string;
  currency: string;
  occurredAt: string;
  /** Billable once the merchant-local day is after this day (usage day, or the day a charge failed). */
  billableAfterDay: string;
  /** How many failed charges this line was already in (carried debt). */
  failedCharges: number;
  /** Set on the remainder when a line was split at the agreement limit. */
  part?: number;
}

export interface Totals {
  gross: string;
  net: string;
  vat: string;
}

export function totals(lines: readonly Pick<BillingLine, 'gross' | 'net' | 'vat'>[]): Totals {
  let gross = money(0);
  let net = money(0);
  let vat = money(0);
  for (const l of lines) {
    gross = gross.plus(l.gross);
    net = net.plus(l.net);
    vat = vat.plus(l.vat);
  }
  return { gross: gross.toFixed(2), net: net.toFixed(2), vat: vat.toFixed(2) };
}

/** Vipps Recurring refuses charges under 100 øre. */
export const MIN_CHARGE = '1.00';

export interface CapResult {
  charged: BillingLine[];
  carried: BillingLine[];
}

/**
 * A VARIABLE agreement cannot be charged more than max(suggestedMaxAmount, maxAmount) per interval (one
 * day here). We charge up to the limit, whole lines first in order; the line that crosses the limit is
 * split (the charged part's VAT rounded once with the house rule, the remainder gets exactly what is
 * left, so net + vat = gross on both parts and the original totals are preserved). The rest is carried.
 */
export function capAtLimit(lines: readonly BillingLine[], limit: MoneyInput): CapResult {
  const max = round2(limit);
  const charged: BillingLine[] = [];
  const carried: BillingLine[] = [];
  let used = money(0);
  for (const line of lines) {
    const room = max.minus(used);
    if (carried.length > 0 || room.lte(0)) {
      carried.push(line);
      continue;
    }
    if (money(line.gross).lte(room)) {
      charged.push(line);
      used = used.plus(line.gross);
      continue;
    }
    const head = splitGross(room, line.vatPercent);
    const part = (line.part ?? 1) + 1;
    charged.push({ ...line, gross: head.gross, net: head.net, vat: head.vat });
    carried.push({
      ...line,
      gross: money(line.gross).minus(head.gross).toFixed(2),
      net: money(line.net).minus(head.net).toFixed(2),
      vat: money(line.vat).minus(head.vat).toFixed(2),
      part,
    });
    used = max;
  }
  return { charged, carried };
}

/** FNV-1a 32-bit as 8 hex chars: a short, deterministic digest usable in workflow code (no crypto module). */
export function fnv1a32(input: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const CLEAN = /^[a-zA-Z0-9-]+$/;

/**
 * Idempotency-Key and orderId (= chargeId) of an agreement's charge for a billing day: derived, never
 * random, so a retried activity or a replayed workflow sends the very same request.
 * `${agreementId}-${yyyymmdd}` (+ `-${seq}` for a second charge the same day, e.g. after bill-now) when
 * that is ≤ 40 chars of [a-zA-Z0-9-] (orderId allows 50, the Idempotency-Key only 40). Otherwise
 * (sandbox ids like `agr_5kSeqz` contain `_`) a cleaned prefix plus a hash of the real id keeps it unique.
 */
export function vippsChargeKey(agreementId: string, day: string, seq = 1): string {
  const suffix = `${compactDay(day)}${seq > 1 ? `-${seq}` : ''}`;
  const plain = `${agreementId}-${suffix}`;
  if (CLEAN.test(agreementId) && plain.length <= 40) return plain;
  const cleaned = agreementId.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 40 - suffix.length - 10);
  return `${cleaned}-${fnv1a32(agreementId)}-${suffix}`;
}

/** Charge description shown in the app (1–45 chars). */
export function chargeDescription(day: string, sessions: number): string {
  return `Parking ${day} (${sessions} session${sessions === 1 ? '' : 's'})`.slice(0, 45);
}
