import { Router } from 'express';
import { qrPng, qrSvg } from '../../src/qr/qr-code';
import { conflict, handle, notFound, parseBody, type IdempotencyStore } from './http';
import { MerchantRedirectQrRequestSchema } from '../../src/providers/vipps/wire';

/**
 * Merchant-redirect QR codes. Like Vipps, creating one returns `{url}` pointing at an image of the
 * code rather than the image itself. The scanned target is the sandbox's /qr/r/{id}, which redirects to
 * the merchant's redirectUrl (real codes point at qr.vipps.no the same way). The image is a real QR code
 * of that target (SVG at the returned url, PNG at the same path with .png), so a phone can scan it when
 * SANDBOX_BASE_URL is an address the phone reaches.
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

  publicRoutes.get('/qr/v1/images/:file', async (req, res) => {
    const file = String(req.params.file);
    const png = file.endsWith('.png');
    const qr = qrs.get(file.replace(/\.(svg|png)$/, ''));
    if (!qr) {
      res.status(404).end();
      return;
    }
    if (png) res.type('image/png').send(await qrPng(qr.target));
    else res.type('image/svg+xml').send(await qrSvg(qr.target, `Vipps merchant redirect QR (sandbox): ${qr.target}`));
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
