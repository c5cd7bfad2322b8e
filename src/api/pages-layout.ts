/**
 * The one layout for every page a phone shows: our pay, waiting and result pages, the Vipps onboarding pages and
 * the provider sandboxes' card and login pages. A WebView at 390 px wide is the design target: viewport meta,
 * the system font, full-width buttons a thumb can hit, long codes that wrap instead of widening the page, and an
 * inline favicon (no extra request, no external asset, no script). Pure string code: the sandbox imports it too.
 */
import Decimal from 'decimal.js';

/** Numeric character references: valid in text and in quoted attributes alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A parking sign "P" on blue: a data URL, so the page needs no /favicon.ico round trip. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/><text x="16" y="24" font-family="Arial,sans-serif" font-size="22" font-weight="bold" text-anchor="middle" fill="#fff">P</text></svg>';
export const FAVICON_DATA_URL = `data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}`;

/**
 * An amount as a driver reads it: always with its currency, two decimals, from the decimal string (never a float).
 * Not a decimal (should not happen): shown as given, still with the currency.
 */
export function formatMoney(amount: string, currency: string): string {
  let text = amount;
  try {
    text = new Decimal(amount).toFixed(2);
  } catch {
    // keep the text as given
  }
  return `${text} ${currency}`;
}

const STYLE = `*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:16px;max-width:32rem;font-size:17px;line-height:1.45;color:#111;background:#fff;overflow-wrap:anywhere}
h1{font-size:1.4rem;line-height:1.25;margin:.4rem 0 1rem}
p{margin:.6rem 0}
.ok{color:#17692b}.bad{color:#a11}.muted{color:#555;font-size:.9rem}
.amount{font-size:1.6rem;font-weight:600;margin:.8rem 0}
.notice{background:#fee;padding:10px;border-radius:6px;margin-top:12px}
a.button,button,input[type=submit]{display:block;width:100%;min-height:48px;font:inherit;font-size:1.1rem;font-weight:600;padding:.8rem 1rem;margin:1rem 0 0;text-align:center;border:0;border-radius:10px;background:#1d4ed8;color:#fff;text-decoration:none;cursor:pointer}
a.button.secondary,button.secondary{background:#e5e7eb;color:#111}
label{display:block;margin-top:12px;font-size:1rem}
input,select{width:100%;font:inherit;font-size:1.15rem;padding:12px;margin-top:4px;border:1px solid #999;border-radius:8px}
.row{display:flex;gap:8px}.row>*{flex:1;min-width:0}
code{font-size:.95rem;word-break:break-all}
table.receipt{width:100%;border-collapse:collapse;margin:.8rem 0}
table.receipt th{text-align:left;font-weight:normal;color:#555;padding:6px 8px 6px 0;vertical-align:top;width:45%}
table.receipt td{text-align:right;padding:6px 0;vertical-align:top}
table.receipt tr{border-bottom:1px solid #e5e7eb}
table.receipt tr.total td,table.receipt tr.total th{font-weight:700;color:#111}
footer{margin-top:2rem}`;

export interface PageOptions {
  /** Reload the page after this many seconds (the waiting page; no script needed). */
  refreshSeconds?: number;
  /** Small print under the page, e.g. "Vipps MobilePay sandbox". Already HTML. */
  footerHtml?: string;
  /** The <h1>; defaults to the title; null when bodyHtml brings its own. Plain text. */
  heading?: string | null;
}

/** A whole page. `title` and `heading` are text (escaped here); `bodyHtml` is HTML the caller escaped. */
export function layoutPage(title: string, bodyHtml: string, opts: PageOptions = {}): string {
  const refresh = opts.refreshSeconds ? `<meta http-equiv="refresh" content="${Math.floor(opts.refreshSeconds)}">` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title>
<link rel="icon" type="image/svg+xml" href="${FAVICON_DATA_URL}">
<style>${STYLE}</style></head>
<body>${opts.heading === null ? '' : `<h1>${escapeHtml(opts.heading ?? title)}</h1>\n`}${bodyHtml}${opts.footerHtml ? `<footer class="muted">${opts.footerHtml}</footer>` : ''}</body></html>`;
}

/** A link that looks like a big button. */
export const buttonLink = (href: string, text: string, secondary = false): string =>
  `<a class="button${secondary ? ' secondary' : ''}" href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
