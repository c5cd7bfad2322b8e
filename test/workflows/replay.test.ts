/**
 * Deploy safety: every history in test/replay/histories/ was recorded from an earlier version of the workflows
 * (tools/export-histories.ts). Running workflows are replayed by whichever worker picks them up after a deploy,
 * so the current workflow code must replay each of them without a determinism error. A change that reorders,
 * adds or removes commands fails here; guard it with patched()/deprecatePatch() (docs/ARCHITECTURE.md "Safe deploys").
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { replayWorkerOptions } from '../../workers/create-worker';
import { readHistoryFile, type HistoryFile } from '../helpers/history-json';
import { testDataConverter } from '../helpers/data-converter';

const DIR = path.join(__dirname, '..', 'replay', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const loaded = new Map<string, HistoryFile>(files.map((f) => [f, readHistoryFile(path.join(DIR, f))]));
const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  const histories = files.map((file) => ({ workflowId: file, history: loaded.get(file)!.history }));
  for await (const result of Worker.runReplayHistories({ ...(await replayWorkerOptions()), replayName: 'deploy-safety', dataConverter: testDataConverter }, histories)) {
    results.set(result.workflowId, result);
  }
});

const CLOSED = /^EVENT_TYPE_WORKFLOW_EXECUTION_(COMPLETED|FAILED|TERMINATED|CANCELED|TIMED_OUT|CONTINUED_AS_NEW)$/;

test('there are recorded histories to replay, workflows still open among them', () => {
  expect(files.length).toBeGreaterThan(0);
  const open = files.filter((f) => !loaded.get(f)!.eventTypes.some((t) => CLOSED.test(t)));
  expect(open.length).toBeGreaterThan(0);
});

test.each(files)('%s replays with the current workflow code', (file) => {
  const result = results.get(file);
  expect(result).toBeDefined();
  // The error's message names the mismatching command; toBeUndefined alone would hide it.
  expect(result?.error ? `${result.error.name}: ${result.error.message}` : undefined).toBeUndefined();
});
