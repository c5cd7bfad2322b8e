import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__TEST_SERVERS__ ?? [];
  await Promise.all(servers.map((s) => s.stop()));
  if (globalThis.__TEST_DATA_DIR__) rmSync(globalThis.__TEST_DATA_DIR__, { recursive: true, force: true });
}
