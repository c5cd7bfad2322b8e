import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { openApiDocument } from '../openapi';
import swaggerUi from 'swagger-ui-express';

/** Liveness and readiness: open to anyone (load balancers, compose health checks); they reveal nothing. */
export function healthRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const { temporal, database } = await deps.ready();
    const down = [...(temporal ? [] : ['temporal']), ...(database ? [] : ['database'])];
    res.status(down.length ? 503 : 200).json({ status: down.length ? 'unavailable' : 'ready', temporal: temporal ? 'up' : 'down', database: database ? 'up' : 'down', down });
  });
  const doc = openApiDocument(deps.config.PUBLIC_BASE_URL);
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  // The same document rendered for people; its assets are served from node_modules, nothing from the internet.
  r.use('/docs', swaggerUi.serve, swaggerUi.setup(doc, { customSiteTitle: 'Parking payment engine API' }));
  return r;
}
