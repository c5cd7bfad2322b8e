// The provider sandboxes as their own process (docker compose); `npm start` runs them in-process.
import { assertSandbox, loadConfig } from '../config';
import { createSandboxApp } from './sandbox-app';

const config = loadConfig();
assertSandbox(config, 'the provider sandbox');
const sandbox = createSandboxApp(config, (m) => console.log(`[sandbox] ${m}`));
const server = sandbox.app.listen(config.SANDBOX_PORT, config.HOST, () => {
  console.log(`[sandbox] provider sandboxes on ${config.SANDBOX_BASE_URL}`);
});
const stop = () => {
  sandbox.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
