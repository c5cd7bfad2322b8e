/**
 * Every list query on a request's hot path has an index MongoDB can serve it from: its equality fields first (in any
 * order), then its sort key, in the index the database actually holds (created on connect). FerretDB scans these
 * lists whatever the indexes (it pushes down only `_id` equality), and reads them bounded by their limits.
 */
import { AccessTokenModel, AgreementModel, LedgerModel, OpsAuditModel, SessionModel } from '../../src/db/models';
import { connectTestDb, dropTestDb } from '../helpers/db';

beforeAll(() => connectTestDb('list_indexes'));
afterAll(() => dropTestDb());

/** What the check needs of a mongoose model. */
interface Indexed {
  init(): Promise<unknown>;
  collection: { indexes(): Promise<Array<{ key: Record<string, unknown>; name?: string }>> };
}

interface ListQuery {
  name: string;
  model: Indexed;
  equality: string[];
  sort: Record<string, 1 | -1>;
}

const q = (name: string, model: Indexed, equality: string[], sort: Record<string, 1 | -1> = {}): ListQuery => ({ name, model, equality, sort });

const QUERIES: ListQuery[] = [
  q("a driver's sessions, newest first", SessionModel, ['driverId'], { sessionId: -1 }),
  q("a driver's open smart keys", SessionModel, ['driverId'], { sessionId: -1 }),
  q('ops: every session, newest first', SessionModel, [], { sessionId: -1 }),
  q('ops: sessions in a state', SessionModel, ['state'], { sessionId: -1 }),
  q('ops: sessions at a parking', SessionModel, ['parkingId'], { sessionId: -1 }),
  q('ops: sessions of a plate', SessionModel, ['plate'], { sessionId: -1 }),
  q('ops: sessions needing attention', SessionModel, ['view.attentionCode'], { sessionId: -1 }),
  q("ops: a driver's tokens, newest first", AccessTokenModel, ['driverId'], { createdAt: -1 }),
  q('ops: audit trail of a target', OpsAuditModel, ['target'], { at: -1 }),
  q("a driver's active agreement", AgreementModel, ['driverId', 'status'], { updatedAt: -1 }),
  q("a session's ledger rows", LedgerModel, ['sessionId']),
  q("a card attempt's ledger rows", LedgerModel, ['providerRefs.orderId']),
  q("a day's ledger rows", LedgerModel, ['day']),
];

/** True when the index's keys are the equality fields (any order) followed by the sort keys (or all reversed). */
function serves(keys: Record<string, unknown>, query: ListQuery): boolean {
  const fields = Object.keys(keys);
  const eq = new Set(query.equality);
  const head = fields.slice(0, eq.size);
  if (!head.every((f) => eq.has(f))) return false;
  const sort = Object.entries(query.sort);
  const tail = fields.slice(eq.size, eq.size + sort.length);
  if (tail.length !== sort.length) return false;
  const same = sort.every(([f, dir], i) => tail[i] === f && keys[f] === dir);
  const reversed = sort.every(([f, dir], i) => tail[i] === f && keys[f] === -dir);
  return same || reversed;
}

test.each(QUERIES.map((query) => [query.name, query] as const))('%s: an index serves it', async (_name, query) => {
  await query.model.init();
  const indexes = await query.model.collection.indexes();
  const serving = indexes.filter((i) => serves(i.key, query));
  expect(serving.map((i) => i.name)).not.toEqual([]);
});

test('the check can fail: a query by a field no index starts with is not served', async () => {
  const indexes = await SessionModel.collection.indexes();
  expect(indexes.filter((i) => serves(i.key, q('by kind', SessionModel, ['kind'], { sessionId: -1 })))).toEqual([]);
});
