import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec';
import { parseKeyRing } from '../../codec/key-ring';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, zodDetails } from '../errors';

/** The Temporal UI's codec protocol: payloads as JSON protobuf (metadata values and data in base64). */
const Base64 = z.string().max(4_000_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const WirePayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string().max(200), Base64).optional(), data: Base64.optional() })).max(2000),
});

const fromWire = (p: z.infer<typeof WirePayloads>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * The codec server: lets ops read encrypted histories in the Temporal UI (its "codec endpoint" setting) and
 * with `temporal … --codec-endpoint`. CORS only for the configured UI origins. Ops authentication is required;
 * in the sandbox, a request from a configured UI origin is let through too, because the dev server's UI has
 * no way to send an ops token (production UIs pass the user's token: enable "pass access token" in the UI).
 */
export function codecRoutes(deps: ApiDeps): Router {
  const r = Router();
  const codec = new AesGcmPayloadCodec(parseKeyRing(deps.config.PAYLOAD_ENCRYPTION_KEYS));
  const origins = new Set(deps.config.CODEC_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean));
  const sandbox = deps.config.APP_MODE === 'sandbox';

  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.has(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
  const auth: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (sandbox && !req.get('authorization') && origin && origins.has(origin)) return next();
    return requireOps(req, res, next);
  };

  r.use('/codec', cors, express.json({ limit: '8mb' }), auth);
  for (const op of ['encode', 'decode'] as const) {
    r.post(`/codec/${op}`, async (req, res) => {
      const body = WirePayloads.safeParse(req.body);
      if (!body.success) throw badRequest('a codec request is {"payloads": [{"metadata": {...}, "data": "<base64>"}]}', zodDetails(body.error));
      let out: Payload[];
      try {
        out = await codec[op](body.data.payloads.map(fromWire));
      } catch (err) {
        // An unknown key id or a payload that fails authentication: the request's content, not our fault.
        throw new ApiError(422, 'undecodable_payload', (err as Error).message);
      }
      res.json({ payloads: out.map(toWire) });
    });
  }
  return r;
}
