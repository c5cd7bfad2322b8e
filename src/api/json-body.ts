import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/**
 * JSON routes take JSON: a body sent as anything else is refused as such (415 unsupported_media_type, naming
 * the type), instead of being parsed as nothing and answered "field is required". Bodyless calls (an ops
 * cancel without a reason) pass.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' || req.method === 'OPTIONS') return next();
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || req.is('application/json')) return next();
  const type = req.headers['content-type'] ?? '(none)';
  next(new ApiError(415, 'unsupported_media_type', `request body must be application/json, not ${type}`));
};
