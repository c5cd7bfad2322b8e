// The provider sandboxes as their own process (docker compose); `npm start` runs them in-process.
import '../src/observability/bootstrap';
import express from 'express';
import { assertSandbox, loadConfig } from '../src/config';
import path from 'node:path';
import { requestContext } from '../src/observability/http-context';
import { componentLogger } from '../src/observability/logger';
import { ROOT } from '../src/platform/local-servers';
import { createSandboxApp } from './app';

const log = componentLogger('sandbox');
const config = loadConfig();
assertSandbox(config, 'the provider sandbox');
// Orders, agreements and camera parkings survive a restart, like the providers' own; `npm run reset` wipes them.
const stateDir = process.env.SANDBOX_STATE_DIR || path.join(ROOT, '.data', 'sandbox');
const sandbox = createSandboxApp(config, (m) => log.info(m), { stateDir });
// Request ids and one access line per request, as in the API (the sandbox's own app is left as it is).
const app = express();
app.use(requestContext());
app.use(sandbox.app);
const server = app.listen(config.SANDBOX_PORT, config.HOST, () => {
  log.info({ url: config.SANDBOX_BASE_URL }, '[sandbox] provider sandboxes listening');
});
const stop = () => {
  sandbox.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
