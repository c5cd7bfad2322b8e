import { createHash } from 'node:crypto';
import { Router } from 'express';
import { conflict, escapeHtml, handle, notFound, parseBody, type IdempotencyStore } from './sandbox-http';
import { MerchantRedirectQrRequestSchema } from './wire';

/**
 * Merchant-redirect QR codes. Like Vipps, creating one returns `{url}` pointing at an image of the
 * code rather than the image itself. The scanned target is the sandbox's /qr/r/{id}, which redirects to
 * the merchant's redirectUrl (real codes point at qr.vipps.no the same way).
 *
 * The image is an SVG that is NOT a scannable QR symbol: a spec-conformant encoder (Reed–Solomon,
 * masking, format bits) is a lot of code for a sandbox. Instead it draws the three finder patterns and
 * a deterministic module pattern derived from the target URL, and carries the target URL as text
 * (visible caption, <desc> and data-target), which is what tests and demos need.
 */
export interface SandboxQr {
  id: string;
  redirectUrl: string;
  /** What a phone would open when scanning. */
  target: string;
  imageUrl: string;
}

export function qrRoutes(qrs: Map<string, SandboxQr>, idem: IdempotencyStore, publicBaseUrl: string): { merchant: Router; public: Router } {
  const merchant = Router();
  const publicRoutes = Router();
  const view = (q: SandboxQr) => ({ id: q.id, url: q.imageUrl, redirectUrl: q.redirectUrl });

  merchant.post(
    '/qr/v1/merchant-redirect',
    idem.wrap((req) => {
      const body = parseBody(MerchantRedirectQrRequestSchema, req.body);
      if (qrs.has(body.id)) throw conflict(`QR ${body.id} already exists`);
      const qr: SandboxQr = {
        id: body.id,
        redirectUrl: body.redirectUrl,
        target: `${publicBaseUrl}/qr/r/${encodeURIComponent(body.id)}`,
        imageUrl: `${publicBaseUrl}/qr/v1/images/${encodeURIComponent(body.id)}.svg`,
      };
      qrs.set(qr.id, qr);
      return { status: 201, body: view(qr) };
    }),
  );

  merchant.get(
    '/qr/v1/merchant-redirect/:id',
    handle((req) => {
      const qr = qrs.get(String(req.params.id));
      if (!qr) throw notFound(`QR ${String(req.params.id)} not found`);
      return { status: 200, body: view(qr) };
    }),
  );

  publicRoutes.get('/qr/v1/images/:file', (req, res) => {
    const qr = qrs.get(String(req.params.file).replace(/\.svg$/, ''));
    if (!qr) {
      res.status(404).end();
      return;
    }
    res.type('image/svg+xml').send(renderQrSvg(qr.target));
  });

  publicRoutes.get('/qr/r/:id', (req, res) => {
    const qr = qrs.get(String(req.params.id));
    if (!qr) {
      res.status(404).type('text').send('unknown QR code');
      return;
    }
    res.redirect(302, qr.redirectUrl);
  });

  return { merchant, public: publicRoutes };
}

const SIZE = 25;
const MODULE = 8;
const QUIET = 4;

function isFinder(x: number, y: number): boolean {
  const inBox = (ox: number, oy: number) => x >= ox && x < ox + 7 && y >= oy && y < oy + 7;
  return inBox(0, 0) || inBox(SIZE - 7, 0) || inBox(0, SIZE - 7);
}

function finderDark(x: number, y: number): boolean {
  const lx = x >= SIZE - 7 ? x - (SIZE - 7) : x;
  const ly = y >= SIZE - 7 ? y - (SIZE - 7) : y;
  const ring = Math.max(Math.abs(lx - 3), Math.abs(ly - 3));
  return ring !== 2;
}

function isSeparator(x: number, y: number): boolean {
  const near = (ox: number, oy: number) => x >= ox - 1 && x <= ox + 7 && y >= oy - 1 && y <= oy + 7;
  return !isFinder(x, y) && (near(0, 0) || near(SIZE - 7, 0) || near(0, SIZE - 7));
}

export function renderQrSvg(target: string): string {
  // Bits from a hash chain of the target: the same URL always draws the same picture.
  const bits: number[] = [];
  let block = createHash('sha256').update(target).digest();
  while (bits.length < SIZE * SIZE) {
    for (const byte of block) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
    block = createHash('sha256').update(block).digest();
  }
  const rects: string[] = [];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const dark = isFinder(x, y) ? finderDark(x, y) : isSeparator(x, y) ? false : bits[y * SIZE + x] === 1;
      if (dark) rects.push(`<rect x="${(x + QUIET) * MODULE}" y="${(y + QUIET) * MODULE}" width="${MODULE}" height="${MODULE}"/>`);
    }
  }
  const side = (SIZE + 2 * QUIET) * MODULE;
  const text = escapeHtml(target);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side + 24}" viewBox="0 0 ${side} ${side + 24}" data-target="${text}">
<title>Vipps merchant redirect QR (sandbox)</title>
<desc>${text}</desc>
<rect width="100%" height="100%" fill="#fff"/>
<g fill="#000">${rects.join('')}</g>
<text x="${side / 2}" y="${side + 16}" font-family="monospace" font-size="8" text-anchor="middle">${text}</text>
</svg>`;
}
