import express, { type Express } from 'express';
import { SessionModel } from '../db/models';
import { setReferenceCacheTtl } from '../db/read-through-cache';
import { requestContext } from '../observability/http-context';
import { registerAttentionGauge } from '../observability/metrics';
import type { ApiDeps } from './deps';
import { errorHandler, notFoundHandler } from './errors';
import { authFailureLimit, rateLimit } from './rate-limit';
import { carDriverRoutes } from './routes/car-driver';
import { codecRoutes } from './routes/codec';
import { easyParkRoutes } from './routes/easypark';
import { gateRoutes } from './routes/gates';
import { healthRoutes } from './routes/health';
import { opsRoutes } from './routes/ops';
import { opsAttentionRoutes } from './routes/ops-attention';
import { opsOrderRefundRoutes } from './routes/ops-order-refunds';
import { opsReferenceDataRoutes } from './routes/ops-reference-data';
import { paymentRoutes } from './routes/payment';
import { providerCallbackRoutes } from './routes/provider-callbacks';
import { reportRoutes } from './routes/reports';
import { vippsRoutes } from './routes/vipps';

/** The Express app (no listen): HTTP in, signals / updates / queries out. */
export function createApp(deps: ApiDeps): Express {
  setReferenceCacheTtl(deps.config.REFERENCE_CACHE_TTL_MS);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // First: every later middleware, route and log line runs with the request id (and X-Request-Id is always answered).
  app.use(requestContext());
  registerAttentionGauge(() => SessionModel.countDocuments({ 'view.attentionCode': { $nin: [null, ''] } }).maxTimeMS(2000).exec());
  const keepRaw = (req: express.Request, _res: unknown, buf: Buffer) => {
    req.rawBody = buf;
  };
  // Before the 100 kB body limit: the Temporal UI decodes a whole history page at once.
  app.use(codecRoutes(deps));
  app.use(express.json({ limit: '100kb', verify: keepRaw }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', verify: keepRaw }));

  // Before every route: an IP that keeps failing authentication is refused for a while (credential guessing).
  app.use(authFailureLimit({ max: deps.config.RATE_LIMIT_AUTH_FAILURES }));
  // The EPX browser return (its route lives in routes/epx-callbacks.ts) triggers a server-to-server lookup.
  app.use('/api/providers/epx/response', rateLimit({ name: 'the EPX return', max: deps.config.RATE_LIMIT_PAY_PER_MINUTE }));

  app.use(healthRoutes(deps));
  app.use(carDriverRoutes(deps));
  app.use(gateRoutes(deps));
  app.use(paymentRoutes(deps));
  app.use(providerCallbackRoutes(deps));
  app.use(vippsRoutes(deps));
  app.use(easyParkRoutes(deps));
  app.use(opsAttentionRoutes(deps));
  app.use(opsRoutes(deps));
  app.use(opsOrderRefundRoutes(deps));
  app.use(opsReferenceDataRoutes());
  app.use(reportRoutes(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
