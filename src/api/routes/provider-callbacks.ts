import { Router } from 'express';
import { netopiaCallbackRoutes } from './netopia-callbacks';
import { epxCallbackRoutes } from './epx-callbacks';
import { autopayCallbackRoutes } from './autopay-callbacks';
import type { ApiDeps } from '../deps';

/** Callbacks from card providers and Autopay, each verified by its provider's own scheme. */
export function providerCallbackRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.use(netopiaCallbackRoutes(deps));
  r.use(epxCallbackRoutes(deps));
  r.use(autopayCallbackRoutes(deps));
  return r;
}
