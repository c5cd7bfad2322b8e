/**
 * The daily money report: pure arithmetic over ledger rows and session read-model rows (no I/O).
 * Amounts are exact decimal strings in and out; decimal.js does every sum, so cents never drift.
 */
import type Decimal from 'decimal.js';
import { money } from './money';
import type { ProviderIssue } from './provider-reconciliation';

/** A ledger row as the report needs it (LedgerModel fields; amounts are "0.00" strings). */
export interface ReportLedgerRow {
  kind: string;
  source: string;
  provider: string;
  sessionId: string | null;
  gross: string;
  net: string;
  vat: string;
  fee: string;
  currency: string;
  /** Why a row is special (e.g. a capture not kept: "duplicate capture"); absent on ordinary rows. */
  note?: string | null;
}

/** A session read-model row (SessionModel) as reconciliation needs it. */
export interface ReportSessionRow {
  sessionId: number;
  state: string;
  paymentStatus: string;
  amountGross: string | null;
  currency: string | null;
  /** From the published SessionView; null when the view is missing. */
  paidVia: 'card' | 'vipps' | 'free' | null;
}

/**
 * How each ledger kind moves money: +1 in, -1 out (refunds are stored with positive amounts), 0 = no money moved
 * (attempts, declines, failed charges, usages handed to Vipps billing: the charge is the money, not the usage).
 */
export const KIND_SIGN: Readonly<Record<string, 1 | -1 | 0>> = {
  capture: 1,
  refund: -1,
  vipps_charge: 1,
  fleet_transaction: 1,
  fleet_fee: 1,
  attempt: 0,
  decline: 0,
  vipps_charge_failed: 0,
  vipps_usage: 0,
  // Money the bank or a dispute took back after a capture (stored positive, like refunds).
  reversal: -1,
  chargeback: -1,
  // A refund the provider refused: no money moved, the capture is held for ops.
  refund_refused: 0,
};

export interface ReportGroup {
  source: string;
  provider: string;
  currency: string;
  /** Money-moving rows (refunds included, as negative amounts). */
  count: number;
  gross: string;
  net: string;
  vat: string;
  /** Σ of the ledger's `fee` field: the fee part already inside `gross` (EasyPark's transaction fee), not extra money. */
  fees: string;
  attempts: number;
  /** Declined card attempts and failed Vipps charges. */
  declines: number;
  /** Vipps usages handed to daily billing (money arrives later as vipps_charge). */
  usages: number;
}

export interface CurrencyTotal {
  currency: string;
  count: number;
  gross: string;
  net: string;
  vat: string;
  fees: string;
}

export type ReconciliationCode = 'paid_without_capture' | 'capture_but_not_paid' | 'amount_mismatch' | 'currency_mismatch';

export interface ReconciliationIssue {
  sessionId: number;
  code: ReconciliationCode;
  message: string;
}

export interface DailyReport {
  date: string;
  groups: ReportGroup[];
  totalsByCurrency: CurrencyTotal[];
  /** Rows of a kind this report does not know: shown, never silently summed. */
  unknownKinds: Array<{ kind: string; count: number }>;
  reconciliation: {
    sessionsChecked: number;
    issues: ReconciliationIssue[];
    /** Every card order of the day compared with its provider's record (the provider is the truth for money). */
    provider: { ordersChecked: number; issues: ProviderIssue[] };
  };
}

interface Acc {
  count: number;
  gross: Decimal;
  net: Decimal;
  vat: Decimal;
  fees: Decimal;
}
const emptyAcc = (): Acc => ({ count: 0, gross: money(0), net: money(0), vat: money(0), fees: money(0) });
const fixed = (d: Decimal) => d.toFixed(2);

/** Totals per source × provider × currency, and per currency, for one day's ledger rows. */
export function summariseLedger(rows: readonly ReportLedgerRow[]): Pick<DailyReport, 'groups' | 'totalsByCurrency' | 'unknownKinds'> {
  const groups = new Map<string, Acc & { source: string; provider: string; currency: string; attempts: number; declines: number; usages: number }>();
  const currencies = new Map<string, Acc>();
  const unknown = new Map<string, number>();

  for (const row of rows) {
    const sign = KIND_SIGN[row.kind];
    if (sign === undefined) {
      unknown.set(row.kind, (unknown.get(row.kind) ?? 0) + 1);
      continue;
    }
    const key = `${row.source}\u0000${row.provider}\u0000${row.currency}`;
    let g = groups.get(key);
    if (!g) {
      g = { ...emptyAcc(), source: row.source, provider: row.provider, currency: row.currency, attempts: 0, declines: 0, usages: 0 };
      groups.set(key, g);
    }
    if (sign === 0) {
      if (row.kind === 'attempt') g.attempts++;
      else if (row.kind === 'vipps_usage') g.usages++;
      else g.declines++;
      continue;
    }
    let c = currencies.get(row.currency);
    if (!c) currencies.set(row.currency, (c = emptyAcc()));
    for (const acc of [g, c]) {
      acc.count++;
      acc.gross = acc.gross.plus(money(row.gross).times(sign));
      acc.net = acc.net.plus(money(row.net).times(sign));
      acc.vat = acc.vat.plus(money(row.vat).times(sign));
      acc.fees = acc.fees.plus(money(row.fee || '0').times(sign));
    }
  }

  const byKey = <T extends { source?: string; provider?: string; currency: string }>(a: T, b: T) =>
    `${a.source ?? ''}/${a.provider ?? ''}/${a.currency}`.localeCompare(`${b.source ?? ''}/${b.provider ?? ''}/${b.currency}`);
  return {
    groups: [...groups.values()]
      .map((g) => ({
        source: g.source,
        provider: g.provider,
        currency: g.currency,
        count: g.count,
        gross: fixed(g.gross),
        net: fixed(g.net),
        vat: fixed(g.vat),
        fees: fixed(g.fees),
        attempts: g.attempts,
        declines: g.declines,
        usages: g.usages,
      }))
      .sort(byKey),
    totalsByCurrency: [...currencies.entries()]
      .map(([currency, c]) => ({ currency, count: c.count, gross: fixed(c.gross), net: fixed(c.net), vat: fixed(c.vat), fees: fixed(c.fees) }))
      .sort(byKey),
    unknownKinds: [...unknown.entries()].map(([kind, count]) => ({ kind, count })).sort((a, b) => a.kind.localeCompare(b.kind)),
  };
}

/**
 * Sessions whose read model and ledger disagree. `ledger` holds every row of those sessions (any day: a capture
 * booked just before midnight still belongs to a session touched today). Card money for a session is its
 * captures minus its refunds; a duplicate capture that was refunded nets out.
 */
export function reconcileSessions(sessions: readonly ReportSessionRow[], ledger: readonly ReportLedgerRow[]): ReconciliationIssue[] {
  const issues: ReconciliationIssue[] = [];
  for (const s of [...sessions].sort((a, b) => a.sessionId - b.sessionId)) {
    const rows = ledger.filter((r) => r.sessionId === String(s.sessionId) && MONEY_ROW_KINDS.has(r.kind));
    // The product books a capture it does not keep (duplicate, wrong amount, late) with a note, and refunds it.
    const kept = rows.filter((r) => r.kind === 'capture' && !r.note);
    const net = rows.reduce((sum, r) => sum.plus(money(r.gross).times(KIND_SIGN[r.kind] ?? 0)), money(0));
    const paidByCard = s.paymentStatus === 'paid' && (s.paidVia === 'card' || s.paidVia === null);
    const add = (code: ReconciliationCode, message: string) => issues.push({ sessionId: s.sessionId, code, message });

    if (!paidByCard) {
      if (!net.isZero()) {
        const currencies = [...new Set(rows.map((r) => r.currency))];
        add('capture_but_not_paid', `ledger holds ${fixed(net)} ${currencies.join('/')} captured but the session is ${s.state}/${s.paymentStatus}${s.paidVia ? ` via ${s.paidVia}` : ''}`);
      }
      continue;
    }
    if (kept.length === 0) {
      add('paid_without_capture', `session is paid by card but the ledger has no capture`);
      continue;
    }
    if (kept.length > 1) {
      add('amount_mismatch', `${kept.length} captures kept for one session`);
      continue;
    }
    const capture = kept[0]!;
    if (s.currency && capture.currency !== s.currency) {
      add('currency_mismatch', `captured in ${capture.currency}, session amount is in ${s.currency}`);
      continue;
    }
    // Money given back later (ops refunds, reversals, chargebacks) has its own rows: it is not a mismatch.
    if (s.amountGross === null || !money(capture.gross).equals(money(s.amountGross))) {
      add('amount_mismatch', `captured ${fixed(money(capture.gross))} but the session amount is ${s.amountGross ?? 'unknown'}`);
    }
  }
  return issues;
}

const MONEY_ROW_KINDS: ReadonlySet<string> = new Set(['capture', 'refund', 'reversal', 'chargeback']);

export function buildDailyReport(
  date: string,
  dayLedger: readonly ReportLedgerRow[],
  sessions: readonly ReportSessionRow[],
  sessionLedger: readonly ReportLedgerRow[],
  provider: { ordersChecked: number; issues: ProviderIssue[] } = { ordersChecked: 0, issues: [] },
): DailyReport {
  return {
    date,
    ...summariseLedger(dayLedger),
    reconciliation: { sessionsChecked: sessions.length, issues: reconcileSessions(sessions, sessionLedger), provider },
  };
}

/** Whether a string is a real calendar day written yyyy-mm-dd (2025-02-30 is not). */
export function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
