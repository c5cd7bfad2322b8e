import { Router } from 'express';
import type { ApiDeps } from '../deps';

// Placeholder until its owner lands the real routes.
export function vippsRoutes(_deps: ApiDeps): Router {
  return Router();
}
