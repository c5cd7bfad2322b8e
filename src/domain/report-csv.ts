/** CSV rendering of the daily report: one row per source/provider/currency group, RFC 4180 quoting. */
import type { DailyReport } from './report';

export const REPORT_CSV_COLUMNS = ['date', 'source', 'provider', 'currency', 'parkings', 'transactions', 'gross', 'net', 'vat', 'fees', 'refunds', 'refunded', 'attempts', 'declines', 'usages'] as const;

/** Quotes a field when it holds a separator, quote or line break; a leading =+-@ is defused for spreadsheets. */
export function csvField(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const RECONCILIATION_CSV_COLUMNS = ['date', 'check', 'session_id', 'order_id', 'provider', 'code', 'message'] as const;

export function renderReportCsv(report: DailyReport): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  for (const g of report.groups) {
    lines.push(
      [report.date, g.source, g.provider, g.currency, g.parkings, g.transactions, g.gross, g.net, g.vat, g.fees, g.refunds, g.refunded, g.attempts, g.declines, g.usages].map(csvField).join(','),
    );
  }
  // Second table after an empty line: every reconciliation finding, the session's and the provider's.
  lines.push('', RECONCILIATION_CSV_COLUMNS.join(','));
  for (const i of report.reconciliation.issues) lines.push([report.date, 'ledger_vs_session', i.sessionId, '', '', i.code, i.message].map(csvField).join(','));
  for (const i of report.reconciliation.provider.issues) {
    lines.push([report.date, 'ledger_vs_provider', i.sessionId, i.orderId, i.provider, i.code, i.message].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
