/**
 * `npm run build:workflows [-- <path>]`: the workflow bundle, built ahead for WORKFLOW_BUNDLE_PATH (default
 * dist/workflow-bundle.js). A worker that loads it skips webpack at start-up. Rebuild it with every change to
 * workflows/: a worker runs the code of the bundle it was given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildWorkflowBundle } from './create-worker';
import { ROOT } from '../src/platform/local-servers';

export async function writeWorkflowBundle(file: string): Promise<number> {
  const { code } = await buildWorkflowBundle();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return code.length;
}

async function main(): Promise<void> {
  const file = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'workflow-bundle.js'));
  console.log(`[build:workflows] bundling workflows/ (webpack, a few seconds) into ${path.relative(ROOT, file)}`);
  const bytes = await writeWorkflowBundle(file);
  console.log(`[build:workflows] ${Math.round(bytes / 1024)} KiB written; run the worker with WORKFLOW_BUNDLE_PATH=${file}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
