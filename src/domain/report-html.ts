/** The daily report as one self-contained HTML page (no scripts, no external assets): a table and inline-SVG bars. */
import type { DailyReport, ReportGroup } from './report';

const esc = (s: string | number) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Parkings, transactions, refunds and usages of one source × provider as four bars, scaled to the largest. */
function chart(g: ReportGroup): string {
  const bars: Array<[string, number, string]> = [
    ['parkings', g.parkings, '#2563eb'],
    ['transactions', g.transactions, '#16a34a'],
    ['refunds', g.refunds, '#dc2626'],
    ['usages', g.usages, '#9333ea'],
  ];
  const max = Math.max(1, ...bars.map(([, n]) => n));
  const rows = bars
    .map(([label, n, colour], i) => {
      const y = i * 18;
      const w = Math.round((n / max) * 140);
      return `<text x="0" y="${y + 12}" font-size="11">${label}</text><rect x="80" y="${y + 2}" width="${w}" height="12" fill="${colour}"/><text x="${84 + w}" y="${y + 12}" font-size="11">${n}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="260" height="${bars.length * 18}" role="img" aria-label="${esc(`${g.source} ${g.provider}`)}">${rows}</svg>`;
}

export function renderReportHtml(report: DailyReport): string {
  const groups = report.groups
    .map(
      (g) => `<section><h2>${esc(g.source)} · ${esc(g.provider)} · ${esc(g.currency)}</h2>${chart(g)}
<p>gross <strong>${esc(g.gross)} ${esc(g.currency)}</strong> (net ${esc(g.net)}, VAT ${esc(g.vat)}, fees ${esc(g.fees)}; refunded ${esc(g.refunded)}) · attempts ${g.attempts} · declines ${g.declines}</p></section>`,
    )
    .join('\n');
  const issues = [...report.reconciliation.issues.map((i) => `${i.sessionId}: ${i.code}: ${i.message}`), ...report.reconciliation.provider.issues.map((i) => `${i.orderId}: ${i.code}: ${i.message}`)];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Daily report ${esc(report.date)}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:16px;max-width:720px}section{border-bottom:1px solid #ddd;padding:8px 0}h2{font-size:16px}</style></head>
<body><h1>Daily report ${esc(report.date)}</h1>
${groups || '<p>Nothing happened this day.</p>'}
<h2>Totals</h2><ul>${report.totalsByCurrency.map((t) => `<li>${esc(t.currency)}: ${t.parkings} parkings, ${t.transactions} transactions, gross ${esc(t.gross)}, refunded ${esc(t.refunded)}</li>`).join('')}</ul>
<h2>Reconciliation</h2>${issues.length ? `<ul>${issues.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '<p>Nothing to explain.</p>'}
<p>Columns: docs/REPORT.md. JSON and CSV: /api/ops/reports/daily.</p></body></html>`;
}
