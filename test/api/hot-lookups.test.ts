/**
 * The lookups on a request's hot path cost the same at 100 rows and at 100,000 (20,000 parkings and gates): each
 * goes by `_id`, which FerretDB
 * (as built by tools/build-ferretdb.sh) and MongoDB both answer from an index. Checked two ways:
 * - structurally: FerretDB's explain of each lookup's filter shows the `_id` pushed down and SQLite searching the
 *   `_id` index (SEARCH ... USING INDEX), not scanning the table;
 * - by the median of 50 lookups against a bound 100× below the cost of a scan of these rows (3-5 s measured), so
 *   a loaded machine cannot fail it, but a scan always does.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import { createProjectionActivities } from '../../activities/projection';
import { allocateSession } from '../../src/api/routes/car-driver';
import { driverSessionRows } from '../../src/db/driver-sessions';
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { driverForToken, gateForKey, opsUserForToken } from '../../src/api/auth';
import { findParking, findParkingByAreaCode } from '../../src/db/parking-snapshot';
import { storedView } from '../../src/api/sessions';
import { keyedStartId, priorStart } from '../../src/api/start-requests';
import {
  AccessTokenModel,
  CredentialKeyModel,
  GateModel,
  LedgerModel,
  LedgerOrderSlotModel,
  OpsUserModel,
  ParkingAreaModel,
  ParkingModel,
  SessionKeyModel,
  SessionModel,
  StartRequestModel,
  gateKeyId,
  opsKeyId,
  parkingRowId,
  sessionRowId,
  tokenRowId,
} from '../../src/db/models';
import { startSessionIdsAt } from '../../src/db/session-ids';
import { sha256Hex } from '../../src/security/constant-time';
import { setReferenceCacheTtl } from '../../src/db/read-through-cache';
import { connectTestDb, dropTestDb } from '../helpers/db';

const ROWS = 100_000;
const BATCH = 5_000;
const RUNS = 50;
const BOUND_MS = 50;

const HEAVY = 'driver-heavy';
const HEAVY_SESSIONS = 150;
const heavyIds: number[] = [];
const command = (i: number) => i.toString(16).padStart(32, '0');
const token = (i: number) => `hot-lookup-token-${i}`;
/** Reference data: an operator with many parkings, each with a gate, and many ops users. */
const PARKINGS = 20_000;
const OPS_USERS = 5_000;
const gateKey = (i: number) => `hot-lookup-gate-key-${i}`;
const opsToken = (i: number) => `hot-lookup-ops-token-${i}`;
const mac = (i: number) => `02:00:${i.toString(16).padStart(8, '0').replace(/(..)(?!$)/g, '$1:')}`.toUpperCase();
/** Spreads the timed lookups over a table of `n` rows. */
const spread = (n: number) => (i: number) => 1 + (i % n);

beforeAll(async () => {
  // What the database holds, and what each lookup costs there: not the API's per-process memo of it.
  setReferenceCacheTtl(0);
  await connectTestDb('hot_lookups');
  for (let from = 1; from <= ROWS; from += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, ROWS - from + 1) }, (_, k) => from + k);
    const now = new Date();
    await Promise.all([
      SessionModel.collection.insertMany(
        ids.map((i) => ({
          _id: sessionRowId(i) as never,
          sessionId: i,
          driverId: `driver-${i % 5000}`,
          parkingId: 187,
          kind: 'barrier',
          state: 'closed',
          version: 3,
          view: { sessionId: i, driverId: `driver-${i % 5000}`, state: 'closed', version: 3 },
          createdAt: now,
          updatedAt: now,
        })),
        { ordered: false },
      ),
      SessionKeyModel.collection.insertMany(ids.map((i) => ({ _id: command(i) as never, sessionId: i })), { ordered: false }),
      AccessTokenModel.collection.insertMany(
        ids.map((i) => ({ _id: tokenRowId(sha256Hex(token(i))), tokenHash: sha256Hex(token(i)), driverId: `driver-${i % 5000}`, expiresAt: new Date(Date.now() + 86_400_000) })),
        { ordered: false },
      ),
      StartRequestModel.collection.insertMany(ids.map((i) => ({ _id: keyedStartId(`driver-${i % 5000}`, `k${i}`) as never, sessionId: i, parkingId: 187 })), { ordered: false }),
    ]);
  }
  for (let from = 1; from <= PARKINGS; from += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, PARKINGS - from + 1) }, (_, k) => from + k);
    const tariff = { graceMinutes: 10, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: null };
    await Promise.all([
      ParkingModel.collection.insertMany(
        ids.map((i) => ({
          _id: parkingRowId(i) as never,
          id: i,
          name: `P ${i}`,
          currency: 'RON',
          accessPoints: [{ macAddress: mac(i), direction: 'entrance', name: 'Entrance' }],
          tariff,
          tariffVersions: [{ effectiveFrom: new Date(0), ...tariff }],
          timeZone: 'Europe/Bucharest',
          vatPercent: '21',
          cardProvider: 'netopia',
          anpr: { areaCode: `area-${i}`, operatorId: 'op' },
        })),
        { ordered: false },
      ),
      ParkingAreaModel.collection.insertMany(ids.map((i) => ({ _id: `area-${i}` as never, parkingId: i })), { ordered: false }),
      GateModel.collection.insertMany(
        ids.map((i) => ({ _id: `gate-${i}` as never, id: `gate-${i}`, parkingId: i, direction: 'entrance', macAddress: mac(i), keyHash: sha256Hex(gateKey(i)), active: true })),
        { ordered: false },
      ),
      CredentialKeyModel.collection.insertMany(ids.map((i) => ({ _id: gateKeyId(sha256Hex(gateKey(i))) as never, owner: `gate-${i}` })), { ordered: false }),
    ]);
  }
  await OpsUserModel.collection.insertMany(
    Array.from({ length: OPS_USERS }, (_, k) => ({ _id: `ops-${k + 1}` as never, name: `ops-${k + 1}`, tokenHash: sha256Hex(opsToken(k + 1)), active: true })),
    { ordered: false },
  );
  await CredentialKeyModel.collection.insertMany(
    Array.from({ length: OPS_USERS }, (_, k) => ({ _id: opsKeyId(sha256Hex(opsToken(k + 1))) as never, owner: `ops-${k + 1}` })),
    { ordered: false },
  );
  await startSessionIdsAt(ROWS + 1);
  // A driver with more sessions than the list shows, started the way the API starts them.
  for (let k = 0; k < HEAVY_SESSIONS; k++) {
    const id = await allocateSession(HEAVY, 187, 'barrier', null);
    await SessionModel.updateOne({ _id: sessionRowId(id) }, { $set: { view: { sessionId: id, driverId: HEAVY, state: 'closed', version: 1 } } });
    heavyIds.push(id);
  }
}, 300_000);
afterAll(() => dropTestDb());

/** Median of `runs` timed runs (after one warm-up), each checked for its answer. */
async function medianMs<T>(fn: (i: number) => Promise<T>, check: (v: T, i: number) => void, runs = RUNS): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const i = 1 + ((run * 7919) % ROWS);
    const t0 = performance.now();
    const v = await fn(i);
    if (run > 0) times.push(performance.now() - t0);
    check(v, i);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const measured: Record<string, number> = {};
afterAll(() => console.log(`hot lookups at ${ROWS} rows, median ms: ${JSON.stringify(measured)}`));

test('the seed is there: 100,000 session rows', async () => {
  expect(await SessionModel.estimatedDocumentCount()).toBe(ROWS + HEAVY_SESSIONS);
});

/** FerretDB's explain of a find: SQLite's plan and whether the filter was pushed down to it. */
async function explainFind(collection: string, filter: Record<string, unknown>): Promise<{ plan: string; pushdown: boolean }> {
  const res = await mongoose.connection.db!.command({ explain: { find: collection, filter }, verbosity: 'queryPlanner' });
  const parsed = z.object({ queryPlanner: z.object({ Plan: z.array(z.string()) }), filterPushdown: z.boolean() }).parse(res);
  return { plan: parsed.queryPlanner.Plan.join('\n'), pushdown: parsed.filterPushdown };
}

test.each([
  ['session by id', () => SessionModel.collection.collectionName, { _id: sessionRowId(42) }],
  // The projection's versioned update reads its row through the same backend query as this find.
  ['projection: _id with its version guard', () => SessionModel.collection.collectionName, { _id: sessionRowId(42), version: { $lt: 9 } }],
  ['access command → session', () => SessionKeyModel.collection.collectionName, { _id: command(42) }],
  ['driver token (ObjectId _id beside the hash)', () => AccessTokenModel.collection.collectionName, { _id: tokenRowId(sha256Hex(token(42))), tokenHash: sha256Hex(token(42)) }],
  ['start request', () => StartRequestModel.collection.collectionName, { _id: keyedStartId('driver-42', 'k42') }],
  ['ledger row by idempotency key (refund, late capture)', () => LedgerModel.collection.collectionName, { _id: 'capture-42-1' }],
  ["an order's ledger rows (settlement)", () => LedgerOrderSlotModel.collection.collectionName, { _id: '42-1#1' }],
  ['parking by id (start, gate event, finalize, pricing)', () => ParkingModel.collection.collectionName, { _id: parkingRowId(42) }],
  ['Autopay area → its parking (ANPR start)', () => ParkingAreaModel.collection.collectionName, { _id: 'area-42' }],
  ['gate key → its gate (key row)', () => CredentialKeyModel.collection.collectionName, { _id: gateKeyId(sha256Hex(gateKey(42))) }],
  ['gate by id', () => GateModel.collection.collectionName, { _id: 'gate-42' }],
  ['ops token → its user (key row)', () => CredentialKeyModel.collection.collectionName, { _id: opsKeyId(sha256Hex(opsToken(42))) }],
  ['ops user by name', () => OpsUserModel.collection.collectionName, { _id: 'ops-42' }],
])('%s: SQLite searches the _id index (no scan)', async (_name, collection, filter) => {
  const { plan, pushdown } = await explainFind(collection(), filter);
  expect(pushdown).toBe(true);
  expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
  expect(plan).not.toMatch(/\bSCAN\b/);
});

test.each([
  ['session by sessionId', () => SessionModel.collection.collectionName, { sessionId: 42 }],
  ['parking by its id field (the lookup replaced)', () => ParkingModel.collection.collectionName, { id: 42 }],
  ['gate by key hash (the lookup replaced)', () => GateModel.collection.collectionName, { keyHash: sha256Hex(gateKey(42)), active: true }],
])('the check above can fail: %s scans', async (_name, collection, filter) => {
  const { plan, pushdown } = await explainFind(collection(), filter);
  expect(pushdown).toBe(false);
  expect(plan).toMatch(/\bSCAN\b/);
});

test('the seed is there: 20,000 parkings with a gate each, and 5,000 ops users', async () => {
  expect(await ParkingModel.estimatedDocumentCount()).toBe(PARKINGS);
  expect(await GateModel.estimatedDocumentCount()).toBe(PARKINGS);
  expect(await CredentialKeyModel.estimatedDocumentCount()).toBe(PARKINGS + OPS_USERS);
});

/** The filters of every query `fn` issues (mongoose's debug hook). */
async function filtersOf(fn: () => Promise<unknown>): Promise<unknown[]> {
  const filters: unknown[] = [];
  mongoose.set('debug', (_collection: string, _method: string, filter: unknown) => filters.push(filter));
  try {
    await fn();
  } finally {
    mongoose.set('debug', false);
  }
  return filters;
}
const onlyById = z.array(z.object({ _id: z.string() }).strict());

test('a gate key, an ops token, a parking and an Autopay area are found by _id lookups only, known or not', async () => {
  expect(onlyById.safeParse(await filtersOf(() => gateForKey(gateKey(42)))).data).toHaveLength(2);
  expect(onlyById.safeParse(await filtersOf(() => gateForKey('no-such-gate-key'))).data).toHaveLength(1);
  expect(onlyById.safeParse(await filtersOf(() => opsUserForToken(opsToken(42)))).data).toHaveLength(2);
  expect(onlyById.safeParse(await filtersOf(() => opsUserForToken('no-such-ops-token'))).data).toHaveLength(1);
  expect(onlyById.safeParse(await filtersOf(() => findParking(42))).data).toHaveLength(1);
  expect(onlyById.safeParse(await filtersOf(() => findParking(PARKINGS + 1))).data).toHaveLength(1);
  expect(onlyById.safeParse(await filtersOf(() => findParkingByAreaCode('area-42'))).data).toHaveLength(2);
  expect(onlyById.safeParse(await filtersOf(() => findParkingByAreaCode('no-such-area'))).data).toHaveLength(1);
});

test('parking by id (driver start, gate event, finalize, receipt)', async () => {
  measured.parking = await medianMs((i) => findParking(spread(PARKINGS)(i)), (v, i) => expect(v?.id).toBe(spread(PARKINGS)(i)));
  expect(measured.parking).toBeLessThan(BOUND_MS);
});

test('Autopay area → parking (ANPR start)', async () => {
  measured.parkingArea = await medianMs((i) => findParkingByAreaCode(`area-${spread(PARKINGS)(i)}`), (v, i) => expect(v?.id).toBe(spread(PARKINGS)(i)));
  expect(measured.parkingArea).toBeLessThan(BOUND_MS);
});

test('gate key → gate (every gate event), and an unknown key', async () => {
  measured.gateKey = await medianMs(
    (i) => gateForKey(gateKey(spread(PARKINGS)(i))),
    (v, i) => expect(v).toEqual({ id: `gate-${spread(PARKINGS)(i)}`, parkingId: spread(PARKINGS)(i), direction: 'entrance', macAddress: mac(spread(PARKINGS)(i)) }),
  );
  expect(measured.gateKey).toBeLessThan(BOUND_MS);
  measured.unknownGateKey = await medianMs((i) => gateForKey(`unknown-${i}`), (v) => expect(v).toBeNull());
  expect(measured.unknownGateKey).toBeLessThan(BOUND_MS);
  // The query it replaced (a scan here), for the record.
  const t0 = performance.now();
  expect(await GateModel.findOne({ keyHash: sha256Hex('unknown'), active: true }).lean()).toBeNull();
  measured.gateKeyByScan = performance.now() - t0;
});

test('ops token → ops user (every ops request)', async () => {
  measured.opsToken = await medianMs((i) => opsUserForToken(opsToken(spread(OPS_USERS)(i))), (v, i) => expect(v).toBe(`ops-${spread(OPS_USERS)(i)}`));
  expect(measured.opsToken).toBeLessThan(BOUND_MS);
});

test('session by id (the read model, when the workflow is gone)', async () => {
  measured.sessionById = await medianMs(storedView, (v, i) => expect(v?.sessionId).toBe(i));
  expect(measured.sessionById).toBeLessThan(BOUND_MS);
});

test('gate: access command → session', async () => {
  measured.accessCommand = await medianMs((i) => sessionByAccessCommand(command(i)), (v, i) => expect(v).toBe(i));
  expect(measured.accessCommand).toBeLessThan(BOUND_MS);
});

test('driver token → driver', async () => {
  measured.token = await medianMs((i) => driverForToken(token(i)), (v, i) => expect(v).toEqual({ driverId: `driver-${i % 5000}` }));
  expect(measured.token).toBeLessThan(BOUND_MS);
});

test('start: Idempotency-Key → earlier answer', async () => {
  measured.idempotencyKey = await medianMs((i) => priorStart(keyedStartId(`driver-${i % 5000}`, `k${i}`)), (v, i) => expect(v?.sessionId).toBe(i));
  expect(measured.idempotencyKey).toBeLessThan(BOUND_MS);
});

test('projection: versioned update of a session row', async () => {
  const project = createProjectionActivities(SANDBOX_DEFAULTS.ACCESS_COMMAND_KEY).projectSession;
  let version = 10;
  measured.projection = await medianMs(
    (i) => {
      const view = { sessionId: i, driverId: `driver-${i % 5000}`, parkingId: 187, kind: 'barrier', state: 'closed', paymentStatus: 'none', plate: null, amount: null, version: ++version, entranceKey: null, exitKey: null };
      return project(view as unknown as Parameters<typeof project>[0]).then(() => i);
    },
    () => undefined,
  );
  expect(measured.projection).toBeLessThan(BOUND_MS);
  const row = await SessionModel.findById(sessionRowId(1)).lean();
  expect(row?.version).toBe(11);
  expect(await SessionModel.findById(sessionRowId(1 + ((RUNS * 7919) % ROWS))).lean()).toMatchObject({ state: 'closed', version: 10 + RUNS + 1 });
});

test("a driver's sessions, newest first: the newest 100, read by _id only", async () => {
  const filters: unknown[] = [];
  mongoose.set('debug', (_collection: string, _method: string, filter: unknown) => filters.push(filter));
  let rows: Awaited<ReturnType<typeof driverSessionRows>>;
  try {
    rows = await driverSessionRows(HEAVY, 100);
  } finally {
    mongoose.set('debug', false);
  }
  expect(rows.map((r) => r.sessionId)).toEqual([...heavyIds].sort((a, b) => b - a).slice(0, 100));
  // Each query of the list names one `_id` (the lookup SQLite answers from the index; see the explains above).
  expect(filters.length).toBeGreaterThan(100);
  const byId = z.object({ _id: z.string() }).loose();
  expect(filters.filter((f) => !byId.safeParse(f).success)).toEqual([]);
  // Its cost, beside the query it replaced (a scan here), is printed for the record; the check is the one above.
  measured.driverList = await medianMs(() => driverSessionRows(HEAVY, 100), (v) => expect(v).toHaveLength(100), 5);
  const t0 = performance.now();
  await SessionModel.find({ driverId: HEAVY, view: { $ne: null } }).sort({ sessionId: -1 }).limit(100).lean();
  measured.driverListByScan = performance.now() - t0;
});

test('session id allocation: new ids above the 100,000 rows, no scan', async () => {
  const seen = new Set<number>();
  measured.allocation = await medianMs(
    () => allocateSession('driver-new', 187, 'barrier', null),
    (id) => {
      expect(id).toBeGreaterThan(ROWS);
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    },
  );
  expect(measured.allocation).toBeLessThan(BOUND_MS);
});
