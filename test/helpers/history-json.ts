/**
 * Reads a workflow history in proto3 JSON (`temporal workflow show --output json`, tools/export-histories.ts) into
 * the History message replay needs.
 *
 * Why not historyFromJSON from @temporalio/common: with this lock file, @temporalio/common and @temporalio/proto each
 * get their own nested copy of protobufjs 8, and common's JSON reader rejects proto's message types ("type must be
 * a Type"). The reader is taken from the protobufjs that @temporalio/proto itself resolves, so both agree whatever
 * the layout (and it still works once npm deduplicates them).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { z } from 'zod';

type History = proto.temporal.api.history.v1.IHistory;
type ProtoJson = { fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown };

const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

const HistoryJson = z.object({
  events: z.array(z.looseObject({ eventId: z.string(), eventType: z.string().startsWith('EVENT_TYPE_', 'eventType must be an EVENT_TYPE_* constant') })).min(1),
});

export interface HistoryFile {
  history: History;
  /** Event types in order, e.g. EVENT_TYPE_WORKFLOW_EXECUTION_STARTED. */
  eventTypes: string[];
}

export function readHistoryFile(file: string): HistoryFile {
  const parsed = HistoryJson.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a workflow history: ${parsed.error.message}`);
  // Unknown fields are tolerated: a newer server may record fields this SDK does not know.
  const history = protojson.fromJson(historyType, parsed.data, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new Error(`${file}: could not read the history`);
  return { history, eventTypes: parsed.data.events.map((e) => e.eventType) };
}
