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
  // A person's decision on a session (the ops queue): on the session's ledger, never in the day's money.
  ops_action: 0,
};

/** One line of the report: every column is documented in docs/REPORT.md. */
export interface ReportGroup {
  source: string;
  provider: string;
  currency: string;
  /** Distinct parking sessions paid or billed in this group: kept card captures, EasyPark transactions, Vipps usages. */
  parkings: number;
  /** Money movements: captures, refunds, reversals, chargebacks, Vipps charges, EasyPark transactions (its fee is part of it). */
  transactions: number;
  /** Money in minus money given back, fees included. */
  gross: string;
  net: string;
  vat: string;
  /** Σ of the ledger's `fee` field: the fee part already inside `gross` (EasyPark's transaction fee), not extra money. */
  fees: string;
  /** Refunds given back to drivers (ops refunds and automatic refunds of captures not kept): count and gross. */
  refunds: number;
  refunded: string;
  attempts: number;
  /** Declined card attempts and failed Vipps charges. */
  declines: number;
  /** Vipps usages handed to daily billing (money arrives later as a Vipps charge). */
  usages: number;
}

export interface CurrencyTotal {
  currency: string;
  parkings: number;
  transactions: number;
  gross: string;
  net: string;
  vat: string;
  fees: string;
  refunds: number;
  refunded: string;
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
  parkings: Set<string>;
  transactions: number;
  gross: Decimal;
  net: Decimal;
  vat: Decimal;
  fees: Decimal;
  refunds: number;
  refunded: Decimal;
}
const emptyAcc = (): Acc => ({ parkings: new Set(), transactions: 0, gross: money(0), net: money(0), vat: money(0), fees: money(0), refunds: 0, refunded: money(0) });
const fixed = (d: Decimal) => d.toFixed(2);

/**
 * The parking a row stands for, if it is one paid or billed: a kept capture (one with a note was not kept and is
 * refunded), a Vipps usage, or an EasyPark transaction (each is one parking, with or without a session id).
 */
function parkingOf(row: ReportLedgerRow, index: number): string | null {
  if (row.kind === 'fleet_transaction') return `fleet:${row.sessionId ?? `#${index}`}`;
  if (row.sessionId === null) return null;
  return row.kind === 'vipps_usage' || (row.kind === 'capture' && !row.note) ? `${row.source}:${row.sessionId}` : null;
}
/** EasyPark books its fee as a second row of the same transaction. */
const isTransaction = (row: ReportLedgerRow) => (KIND_SIGN[row.kind] ?? 0) !== 0 && row.kind !== 'fleet_fee';

/** Totals per source × provider × currency, and per currency, for one day's ledger rows. */
export function summariseLedger(rows: readonly ReportLedgerRow[]): Pick<DailyReport, 'groups' | 'totalsByCurrency' | 'unknownKinds'> {
  const groups = new Map<string, Acc & { source: string; provider: string; currency: string; attempts: number; declines: number; usages: number }>();
  const currencies = new Map<string, Acc>();
  const unknown = new Map<string, number>();

  for (const [index, row] of rows.entries()) {
    if (row.kind === 'ops_action') continue;
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
    let c = currencies.get(row.currency);
    if (!c) currencies.set(row.currency, (c = emptyAcc()));
    for (const acc of [g, c]) {
      const parking = parkingOf(row, index);
      if (parking) acc.parkings.add(parking);
      if (isTransaction(row)) acc.transactions++;
      if (row.kind === 'refund') {
        acc.refunds++;
        acc.refunded = acc.refunded.plus(money(row.gross));
      }
    }
    if (sign === 0) {
      if (row.kind === 'attempt') g.attempts++;
      else if (row.kind === 'vipps_usage') g.usages++;
      else g.declines++;
      continue;
    }
    for (const acc of [g, c]) {
      acc.gross = acc.gross.plus(money(row.gross).times(sign));
      acc.net = acc.net.plus(money(row.net).times(sign));
      acc.vat = acc.vat.plus(money(row.vat).times(sign));
      acc.fees = acc.fees.plus(money(row.fee || '0').times(sign));
    }
  }

  const byKey = <T extends { source?: string; provider?: string; currency: string }>(a: T, b: T) =>
    `${a.source ?? ''}/${a.provider ?? ''}/${a.currency}`.localeCompare(`${b.source ?? ''}/${b.provider ?? ''}/${b.currency}`);
  const amounts = (a: Acc) => ({
    parkings: a.parkings.size,
    transactions: a.transactions,
    gross: fixed(a.gross),
    net: fixed(a.net),
    vat: fixed(a.vat),
    fees: fixed(a.fees),
    refunds: a.refunds,
    refunded: fixed(a.refunded),
  });
  return {
    groups: [...groups.values()]
      .map((g) => ({ source: g.source, provider: g.provider, currency: g.currency, ...amounts(g), attempts: g.attempts, declines: g.declines, usages: g.usages }))
      .sort(byKey),
    totalsByCurrency: [...currencies.entries()].map(([currency, c]) => ({ currency, ...amounts(c) })).sort(byKey),
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
