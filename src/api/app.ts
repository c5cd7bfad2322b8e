import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { errorHandler, notFoundHandler } from './errors';
import { carDriverRoutes } from './routes/car-driver';
import { easyParkRoutes } from './routes/easypark';
import { gateRoutes } from './routes/gates';
import { healthRoutes } from './routes/health';
import { opsRoutes } from './routes/ops';
import { paymentRoutes } from './routes/payment';
import { providerCallbackRoutes } from './routes/provider-callbacks';
import { reportRoutes } from './routes/reports';
import { vippsRoutes } from './routes/vipps';

/** The Express app (no listen): HTTP in, signals / updates / queries out. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const keepRaw = (req: express.Request, _res: unknown, buf: Buffer) => {
    req.rawBody = buf;
  };
  app.use(express.json({ limit: '100kb', verify: keepRaw }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', verify: keepRaw }));

  app.use(healthRoutes(deps));
  app.use(carDriverRoutes(deps));
  app.use(gateRoutes(deps));
  app.use(paymentRoutes(deps));
  app.use(providerCallbackRoutes(deps));
  app.use(vippsRoutes(deps));
  app.use(easyParkRoutes(deps));
  app.use(opsRoutes(deps));
  app.use(reportRoutes(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
