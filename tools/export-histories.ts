/**
 * Records workflow histories from the code as it is now, for test/workflows/replay.test.ts: a deploy that changes
 * a workflow must still replay every one of them. Starts a throw-away Temporal dev server and FerretDB, runs the
 * product in this process (src/platform/in-process-stack.ts), drives the sessions of tools/history-scenarios.ts over
 * HTTP, and writes each workflow's history to test/replay/histories/<name>.json.
 *
 *   npx tsx tools/export-histories.ts [name ...]   # all scenarios, or only the named ones
 *   HISTORY_TAG=settlement-v2 npx tsx tools/export-histories.ts   # writes <name>.settlement-v2.json
 *
 * Existing files are overwritten only for the scenarios run; histories of older code stay (that is the point).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startLocalStack } from '../src/platform/in-process-stack';
import { ROOT, toolPath } from '../src/platform/local-servers';
import { TEST_PANS } from '../test/helpers/test-cards';
import { SCENARIOS } from './history-scenarios';
import { encryptingDataConverter } from '../src/codec/data-converter';

const HISTORIES_DIR = path.join(ROOT, 'test', 'replay', 'histories');

/** Waits until the workflow has no task or activity in flight, so the history ends at a settled point. */
async function settled(client: Client, workflowId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    if (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0) return;
    if (Date.now() > deadline) throw new Error(`${workflowId} did not settle within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Payload data is base64 in the JSON: decoded, so the card-number check sees what the workflow saw. */
function payloadTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(payloadTexts);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'data' && typeof value === 'string' ? [Buffer.from(value, 'base64').toString('utf8')] : payloadTexts(value),
  );
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const scenarios = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;

  const stack = await startLocalStack({
    label: 'export-histories',
    database: 'histories',
    env: { TEMPORAL_TASK_QUEUE: 'export-histories' },
    dataConverter: encryptingDataConverter,
  });
  try {
    const { config, temporal: client } = stack;
    mkdirSync(HISTORIES_DIR, { recursive: true });
    const ctx = { api: config.PUBLIC_BASE_URL, sandboxUrl: config.SANDBOX_BASE_URL, driverToken: config.DEMO_DRIVER_TOKEN, gateKey: config.DEMO_GATE_API_KEY };
    for (const scenario of scenarios) {
      const workflowId = await scenario.run(ctx);
      await settled(client, workflowId);
      // The CLI's JSON is the format `temporal workflow show` users know and historyFromJSON reads back.
      const shown = execFileSync(toolPath('temporal'), ['workflow', 'show', '--address', config.TEMPORAL_ADDRESS, '-w', workflowId, '--output', 'json'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const history = JSON.parse(shown) as { events?: unknown[] };
      const json = JSON.stringify(history, null, 1);
      const text = `${json}\n${payloadTexts(history).join('\n')}`;
      const leaked = TEST_PANS.filter((pan) => text.includes(pan));
      if (leaked.length > 0) throw new Error(`${scenario.name}: the history holds a full card number; not written`);
      // HISTORY_TAG names the code version (e.g. settlement-v2), so histories of every version stay side by side.
      const tag = process.env.HISTORY_TAG ? `.${process.env.HISTORY_TAG}` : '';
      const file = path.join(HISTORIES_DIR, `${scenario.name}${tag}.json`);
      writeFileSync(file, `${json}\n`);
      console.log(`[export-histories] ${scenario.name}: ${workflowId}, ${history.events?.length ?? 0} events → ${path.relative(ROOT, file)}`);
    }
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('[export-histories] failed:', err);
    process.exit(1);
  },
);
