/** Small HTML pages for the payment WebView: the shared phone layout (src/api/pages-layout.ts), no scripts. */
import { layoutPage, type PageOptions } from './pages-layout';

export function page(title: string, body: string, opts: PageOptions = {}): string {
  return layoutPage(title, body, opts);
}

export { escapeHtml, formatMoney, buttonLink } from './pages-layout';
