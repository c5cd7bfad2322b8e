/** Small HTML pages for the payment WebView: readable on a phone, no scripts, no external assets. */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string, opts: { refreshSeconds?: number } = {}): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}<title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;font-size:1.1rem}h1{font-size:1.4rem}.ok{color:#17692b}.bad{color:#a11}a.button{display:inline-block;padding:.8rem 1.2rem;background:#1d4ed8;color:#fff;border-radius:.5rem;text-decoration:none}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

export { escape as escapeHtml };
