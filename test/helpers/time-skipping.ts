import { TestWorkflowEnvironment } from '@temporalio/testing';
import { testDataConverter } from './data-converter';
import { toolPath } from '../../src/platform/local-servers';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes';

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3, Double: 4 } as const;

/**
 * The Java time-skipping server, started from .tools/ (built by tools/build-test-server.sh). The SDK waits
 * only ~5 s for it; a cold JVM on 2 cores can miss that, so start-up (only) is retried. The product's
 * search attributes are registered through the operator API (the server rejects unknown ones).
 */
export async function createTimeSkippingEnv(attempts = 4): Promise<TestWorkflowEnvironment> {
  let lastError: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
        client: { dataConverter: testDataConverter },
      });
      const searchAttributes = Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTE_FLAGS).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]),
      );
      await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
      return env;
    } catch (err) {
      lastError = err;
      process.stderr.write(`[test] time-skipping server start-up attempt ${i} failed: ${(err as Error).message}\n`);
    }
  }
  throw lastError;
}
