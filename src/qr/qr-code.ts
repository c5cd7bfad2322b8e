/**
 * Real, scannable QR codes (ISO/IEC 18004 via the `qrcode` package) as PNG and SVG. Error correction M and a
 * 4-module quiet zone: what a phone camera reads off a printed parking sign. The text is a URL a phone must be
 * able to open, so callers pass public addresses (PUBLIC_BASE_URL), never loopback ones in production.
 */
import QRCode from 'qrcode';

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

/** PNG, `width` pixels square (scaled to whole modules by the encoder). */
export function qrPng(text: string, width = 512): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...OPTIONS, type: 'png', width });
}

/** SVG with a <title> naming the encoded text, for people and screen readers. */
export async function qrSvg(text: string, title?: string): Promise<string> {
  const svg = await QRCode.toString(text, { ...OPTIONS, type: 'svg' });
  const escaped = (title ?? text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return svg.replace(/^<svg ([^>]*)>/, `<svg $1 role="img"><title>${escaped}</title>`);
}
