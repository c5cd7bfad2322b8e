/** CSV rendering of the daily report: one row per source/provider/currency group, RFC 4180 quoting. */
import type { DailyReport } from './report';

export const REPORT_CSV_COLUMNS = ['date', 'source', 'provider', 'currency', 'count', 'gross', 'net', 'vat', 'fees', 'attempts', 'declines', 'usages'] as const;

/** Quotes a field when it holds a separator, quote or line break; a leading =+-@ is defused for spreadsheets. */
export function csvField(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderReportCsv(report: DailyReport): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  for (const g of report.groups) {
    lines.push(
      [report.date, g.source, g.provider, g.currency, g.count, g.gross, g.net, g.vat, g.fees, g.attempts, g.declines, g.usages].map(csvField).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
