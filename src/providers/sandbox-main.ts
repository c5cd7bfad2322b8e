// The provider sandboxes as their own process (docker compose); `npm start` runs them in-process.
import { assertSandbox, loadConfig } from '../config';
import path from 'node:path';
import { ROOT } from '../platform/local-servers';
import { createSandboxApp } from './sandbox-app';

const config = loadConfig();
assertSandbox(config, 'the provider sandbox');
// Orders, agreements and camera parkings survive a restart, like the providers' own; `npm run reset` wipes them.
const stateDir = process.env.SANDBOX_STATE_DIR || path.join(ROOT, '.data', 'sandbox');
const sandbox = createSandboxApp(config, (m) => console.log(`[sandbox] ${m}`), { stateDir });
const server = sandbox.app.listen(config.SANDBOX_PORT, '0.0.0.0', () => {
  console.log(`[sandbox] provider sandboxes on ${config.SANDBOX_BASE_URL}`);
});
const stop = () => {
  sandbox.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
