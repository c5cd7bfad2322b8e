// The provider sandboxes as their own process (docker compose); `npm start` runs them in-process.
import '../observability/bootstrap';
import express from 'express';
import { assertSandbox, loadConfig } from '../config';
import { requestContext } from '../observability/http-context';
import { componentLogger } from '../observability/logger';
import { createSandboxApp } from './sandbox-app';

const log = componentLogger('sandbox');
const config = loadConfig();
assertSandbox(config, 'the provider sandbox');
const sandbox = createSandboxApp(config, (m) => log.info(m));
// Request ids and one access line per request, as in the API (the sandbox's own app is left as it is).
const app = express();
app.use(requestContext());
app.use(sandbox.app);
const server = app.listen(config.SANDBOX_PORT, '0.0.0.0', () => {
  log.info({ url: config.SANDBOX_BASE_URL }, '[sandbox] provider sandboxes listening');
});
const stop = () => {
  sandbox.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
