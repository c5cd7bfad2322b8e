import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataConverter } from '@temporalio/common';
import { testDataConverter } from './data-converter';
import { freePort, spawnServer, toolPath, waitForPort, type RunningServer } from '../../src/platform/local-servers';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3, Double: 4 } as const;

/** How long a cold JVM may take to listen: on 2 busy cores it is well above the SDK's own 5 s. */
const START_TIMEOUT_MS = 120_000;

/**
 * The SDK's environment factory for a server that is already running, with time skipping on. The public
 * `createFromExistingServer` turns time skipping off, and `createTimeSkipping` launches the server itself with a
 * fixed 5 s start-up limit that a loaded machine misses (CI saw all attempts fail). `create` is private in the
 * typings only; @temporalio/testing is pinned in package.json, so its shape cannot change under us.
 */
const connectTimeSkipping = (TestWorkflowEnvironment as unknown as {
  create(opts: {
    server: { type: 'existing' };
    address: string;
    namespace: string;
    supportsTimeSkipping: true;
    client: { dataConverter: DataConverter };
    connectionOptions: { channelArgs: Record<string, number> };
  }): Promise<TestWorkflowEnvironment>;
}).create.bind(TestWorkflowEnvironment);

/**
 * The client's keepalive pings as the Java test server (grpc-java) allows them: at most one every 5 minutes, and
 * none without a call in flight. The SDK's defaults ping every 30 s; the server answered with GOAWAY
 * "too_many_pings" ("rejected by server because of excess pings" in the log), which dropped the connection under
 * calls in progress. Every Vipps billing run that stalled for minutes had that line; none of the clean ones did.
 */
const JAVA_SERVER_KEEPALIVE = { 'grpc.keepalive_time_ms': 6 * 60_000, 'grpc.keepalive_permit_without_calls': 0 };

/**
 * The Java time-skipping server, started from .tools/ (built by tools/build-test-server.sh) as our own child
 * process, waited for as long as a cold JVM needs, then connected to. The product's search attributes are
 * registered through the operator API (the server rejects unknown ones). teardown() also stops the server.
 */
export async function createTimeSkippingEnv(attempts = 3): Promise<TestWorkflowEnvironment> {
  let lastError: unknown;
  for (let i = 1; i <= attempts; i++) {
    const port = await freePort();
    const server = spawnServer('temporal-test-server', toolPath('temporal-test-server'), [String(port)], 'ignore');
    try {
      await waitForPort(port, 'time-skipping test server', START_TIMEOUT_MS, server.child);
      const env = await connectTimeSkipping({
        server: { type: 'existing' },
        address: `127.0.0.1:${port}`,
        namespace: 'default',
        supportsTimeSkipping: true,
        client: { dataConverter: testDataConverter },
        connectionOptions: { channelArgs: JAVA_SERVER_KEEPALIVE },
      });
      const searchAttributes = Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTE_FLAGS).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]),
      );
      await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
      return withServerStop(env, server);
    } catch (err) {
      lastError = err;
      await server.stop();
      // A port taken between freePort() and the JVM's bind makes it exit: try another one.
      process.stderr.write(`[test] time-skipping server start-up attempt ${i} failed: ${(err as Error).message}\n`);
    }
  }
  throw lastError;
}

function withServerStop(env: TestWorkflowEnvironment, server: RunningServer): TestWorkflowEnvironment {
  const closeConnections = env.teardown.bind(env);
  env.teardown = async () => {
    await closeConnections();
    await server.stop();
  };
  return env;
}
