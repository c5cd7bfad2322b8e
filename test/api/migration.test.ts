/**
 * Rows written by the release before `_id` keys (ObjectId `_id`, keys found by scanning) are moved by the start-up
 * migration: run by two processes at once and then again, it moves each row exactly once, loses none, and leaves
 * every hot lookup working.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Types } from 'mongoose';
import { recordLedgerEntry } from '../../activities/ledger';
import { createProjectionActivities } from '../../activities/projection';
import { driverForToken } from '../../src/api/auth';
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { storedView } from '../../src/api/sessions';
import { driverSessionRows } from '../../src/db/driver-sessions';
import { ledgerRowsOfOrder } from '../../src/db/ledger-orders';
import { KEYS_BY_ID, LEDGER_BY_KEY, migrateDb } from '../../src/db/migrate';
import { AccessTokenModel, LedgerModel, MigrationBackupModel, MigrationModel, SessionKeyModel, SessionModel, sessionRowId } from '../../src/db/models';
import { ROOT } from '../../src/platform/local-servers';
import { sha256Hex } from '../../src/security/constant-time';
import { connectTestDb, dropTestDb } from '../helpers/db';

const SESSIONS = 300;
const TOKENS = 60;
const entrance = (i: number) => `legacy-entrance-${i}`;
const exitKey = (i: number) => `legacy-exit-${i}`;
const token = (i: number) => `legacy-token-${i}`;
/** Card orders with an attempt and a capture row each, and Vipps rows that name no order. */
const ORDERS = 60;
const VIPPS_ROWS = 20;
const LEDGER_ROWS = 2 * ORDERS + VIPPS_ROWS;
const orderId = (k: number) => `${k}-1`;

let uri: string;
beforeAll(async () => {
  uri = await connectTestDb('migration');
});
afterAll(() => dropTestDb());

/** A session row as the previous release wrote it: ObjectId `_id`; closed rows carry a view with both keys. */
function legacySession(i: number) {
  const now = new Date();
  const entering = i % 3 === 0;
  return {
    _id: new Types.ObjectId(),
    sessionId: i,
    driverId: `driver-${i % 7}`,
    parkingId: 187,
    kind: 'barrier',
    state: entering ? 'entering' : 'closed',
    paymentStatus: entering ? 'none' : 'paid',
    version: entering ? 0 : 5,
    entranceAccessCommand: entrance(i),
    view: entering
      ? null
      : { sessionId: i, driverId: `driver-${i % 7}`, state: 'closed', version: 5, entranceKey: { accessCommand: entrance(i) }, exitKey: { accessCommand: exitKey(i) } },
    createdAt: now,
    updatedAt: now,
  };
}

/** A ledger row as the previous release wrote it: ObjectId `_id`, found by scanning `idempotencyKey`. */
function legacyLedgerRow(idempotencyKey: string, kind: string, providerRefs: Record<string, string>) {
  const now = new Date();
  return {
    _id: new Types.ObjectId(),
    idempotencyKey,
    kind,
    source: 'barrier',
    provider: kind === 'vipps_usage' ? 'vipps' : 'netopia',
    sessionId: '1',
    gross: '12.50',
    net: '10.00',
    vat: '2.50',
    fee: '0.00',
    currency: 'NOK',
    occurredAt: now,
    day: now.toISOString().slice(0, 10),
    providerRefs,
    note: null,
    createdAt: now,
    updatedAt: now,
  };
}
const legacyLedger = () => [
  ...Array.from({ length: ORDERS }, (_, k) => [
    legacyLedgerRow(`attempt-${orderId(k)}`, 'attempt', { orderId: orderId(k) }),
    legacyLedgerRow(`capture-${orderId(k)}`, 'capture', { orderId: orderId(k), providerRef: `ref-${k}` }),
  ]).flat(),
  ...Array.from({ length: VIPPS_ROWS }, (_, k) => legacyLedgerRow(`vipps-usage-${k}`, 'vipps_usage', {})),
];

const legacyToken = (i: number) => ({
  _id: new Types.ObjectId(),
  tokenHash: sha256Hex(token(i)),
  driverId: `driver-${i % 7}`,
  label: 'app',
  expiresAt: new Date(Date.now() + 86_400_000),
  revokedAt: i === 0 ? new Date() : null,
  revokedBy: i === 0 ? 'ops' : null,
});

/** The migration in another process (`npm run migrate -- --force`), as a second replica starting would run it. */
type Moved = { sessions: number; tokens: number; ledger: number; restored: number };
function migrateInChild(): Promise<Moved> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', require.resolve('tsx'), path.join(ROOT, 'src', 'db', 'migrate-main.ts'), '--force'], {
      cwd: ROOT,
      env: { ...process.env, APP_MODE: 'sandbox', MONGODB_URI: uri },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"migrate"'));
      if (code !== 0 || !line) return reject(new Error(`migrate exited ${code}: ${out}`));
      resolve((JSON.parse(line) as { migrate: Moved }).migrate);
    });
  });
}

test('legacy rows are moved exactly once by two processes at once, and again is a no-op', async () => {
  await SessionModel.collection.insertMany(Array.from({ length: SESSIONS }, (_, k) => legacySession(k + 1)));
  await AccessTokenModel.collection.insertMany(Array.from({ length: TOKENS }, (_, i) => legacyToken(i)));
  // Session 1 was interrupted after its copy was saved and its old row deleted; session 2 after the copy only.
  const [one, two] = await Promise.all([1, 2].map((i) => SessionModel.collection.findOne({ sessionId: i })));
  await MigrationBackupModel.collection.insertMany([
    { _id: `sessions:${sessionRowId(1)}` as never, target: 'sessions', newId: sessionRowId(1), doc: one },
    { _id: `sessions:${sessionRowId(2)}` as never, target: 'sessions', newId: sessionRowId(2), doc: two },
  ]);
  await SessionModel.collection.deleteOne({ _id: one!._id });
  // Ledger rows, one of them interrupted after its copy was saved and its old row deleted.
  await LedgerModel.collection.insertMany(legacyLedger() as never[]);
  const cut = await LedgerModel.collection.findOne({ idempotencyKey: `capture-${orderId(3)}` });
  await MigrationBackupModel.collection.insertOne({ _id: `ledger:capture-${orderId(3)}` as never, target: 'ledger', newId: `capture-${orderId(3)}`, doc: cut });
  await LedgerModel.collection.deleteOne({ _id: cut!._id });
  await MigrationModel.deleteMany({});

  // Before: the lookups by `_id` do not find legacy rows.
  expect(await storedView(10)).toBeNull();
  expect(await sessionByAccessCommand(entrance(10))).toBeNull();
  expect(await driverForToken(token(5))).toEqual({ refused: 'invalid access token' });
  expect(await LedgerModel.findById(`capture-${orderId(10)}`).lean()).toBeNull();

  // Two runs here at once (they surely overlap) and one in another process (it may start after they end).
  const runs = await Promise.all([migrateInChild(), migrateDb({ force: true }), migrateDb({ force: true })]);
  console.log(`rows moved by each run: ${JSON.stringify(runs)}`);
  // Each row is moved by exactly one of them (session 1 was already deleted: it is restored, not moved).
  expect(runs.reduce((n, r) => n + r.sessions, 0)).toBe(SESSIONS - 1);
  expect(runs.reduce((n, r) => n + r.tokens, 0)).toBe(TOKENS);
  expect(runs.reduce((n, r) => n + r.ledger, 0)).toBe(LEDGER_ROWS - 1);

  await expectMigrated();
  const again = await migrateDb({ force: true });
  expect(again).toEqual({ skipped: false, sessions: 0, tokens: 0, ledger: 0, restored: 0 });
  expect(await migrateDb()).toEqual({ skipped: true, sessions: 0, tokens: 0, ledger: 0, restored: 0 });
  await expectMigrated();
}, 120_000);

async function expectMigrated(): Promise<void> {
  expect(await SessionModel.countDocuments({})).toBe(SESSIONS);
  expect(await SessionModel.collection.countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
  const closed = Array.from({ length: SESSIONS }, (_, k) => k + 1).filter((i) => i % 3 !== 0).length;
  expect(await SessionKeyModel.countDocuments({})).toBe(SESSIONS + closed); // entrance keys, and exit keys of closed sessions
  expect(await MigrationBackupModel.countDocuments({})).toBe(0);
  expect(await MigrationModel.exists({ _id: KEYS_BY_ID })).toBeTruthy();
  for (let i = 1; i <= SESSIONS; i++) {
    const row = await SessionModel.findById(sessionRowId(i)).lean();
    expect(row).toMatchObject({ sessionId: i, driverId: `driver-${i % 7}`, version: i % 3 === 0 ? 0 : 5 });
    expect(await sessionByAccessCommand(entrance(i))).toBe(i);
    if (i % 3 !== 0) {
      expect((await storedView(i))?.state).toBe('closed');
      expect(await sessionByAccessCommand(exitKey(i))).toBe(i);
    }
  }
  // Each driver's list, by `_id` only: its sessions that have a view, newest first, each once.
  for (let d = 0; d < 7; d++) {
    const expected = Array.from({ length: SESSIONS }, (_, k) => SESSIONS - k).filter((i) => i % 7 === d && i % 3 !== 0);
    expect((await driverSessionRows(`driver-${d}`, 100)).map((r) => r.sessionId)).toEqual(expected);
  }
  expect(await AccessTokenModel.countDocuments({})).toBe(TOKENS);
  expect(await driverForToken(token(0))).toEqual({ refused: 'access token revoked' });
  for (let i = 1; i < TOKENS; i++) expect(await driverForToken(token(i))).toEqual({ driverId: `driver-${i % 7}` });
  expect(await MigrationModel.exists({ _id: LEDGER_BY_KEY })).toBeTruthy();
  expect(await LedgerModel.countDocuments({})).toBe(LEDGER_ROWS);
  expect(await LedgerModel.collection.countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
  for (let k = 0; k < ORDERS; k++) {
    expect(await LedgerModel.findById(`capture-${orderId(k)}`).lean()).toMatchObject({ idempotencyKey: `capture-${orderId(k)}`, gross: '12.50' });
    const rows = await ledgerRowsOfOrder(orderId(k));
    expect(rows.map((r) => r.idempotencyKey).sort()).toEqual([`attempt-${orderId(k)}`, `capture-${orderId(k)}`]);
  }
  for (let k = 0; k < VIPPS_ROWS; k++) expect(await LedgerModel.exists({ _id: `vipps-usage-${k}` })).toBeTruthy();
}

test('a projection that meets a row written in the old shape (after the migration ran) moves it and projects', async () => {
  const legacy = { ...legacySession(SESSIONS + 1), entranceAccessCommand: 'late-legacy-entrance', view: null };
  await SessionModel.collection.insertOne(legacy);
  const view = { sessionId: SESSIONS + 1, driverId: legacy.driverId, parkingId: 187, kind: 'barrier', state: 'active', paymentStatus: 'none', plate: null, amount: null, version: 7, entranceKey: null, exitKey: null };
  const project = createProjectionActivities(SANDBOX_DEFAULTS.ACCESS_COMMAND_KEY).projectSession;
  await project(view as unknown as Parameters<typeof project>[0]);
  expect(await SessionModel.collection.countDocuments({ sessionId: SESSIONS + 1 })).toBe(1);
  expect(await SessionModel.findById(sessionRowId(SESSIONS + 1)).lean()).toMatchObject({ state: 'active', version: 7 });
  expect(await sessionByAccessCommand('late-legacy-entrance')).toBe(SESSIONS + 1);
});

const booking = (idempotencyKey: string, order: string) => ({
  idempotencyKey,
  kind: 'refund' as const,
  source: 'barrier' as const,
  provider: 'netopia' as const,
  sessionId: null,
  gross: '5.00',
  net: '4.00',
  vat: '1.00',
  currency: 'NOK',
  occurredAt: new Date().toISOString(),
  providerRefs: { orderId: order },
});

test('a second booking with the same key writes nothing, also at the same moment, and the row is listed under its order once', async () => {
  await Promise.all([recordLedgerEntry(booking('refund-dup-1', '900-1')), recordLedgerEntry(booking('refund-dup-1', '900-1'))]);
  await recordLedgerEntry({ ...booking('refund-dup-1', '900-1'), gross: '99.00' });
  expect(await LedgerModel.countDocuments({ idempotencyKey: 'refund-dup-1' })).toBe(1);
  expect(await LedgerModel.findById('refund-dup-1').lean()).toMatchObject({ gross: '5.00' });
  expect((await ledgerRowsOfOrder('900-1')).map((r) => r.idempotencyKey)).toEqual(['refund-dup-1']);
});

test('a booking whose key a previous-release row holds (written after the migration ran) writes nothing and moves that row', async () => {
  await LedgerModel.collection.insertOne(legacyLedgerRow('capture-901-1', 'capture', { orderId: '901-1' }) as never);
  await recordLedgerEntry({ ...booking('capture-901-1', '901-1'), kind: 'capture' });
  expect(await LedgerModel.countDocuments({ idempotencyKey: 'capture-901-1' })).toBe(1);
  expect(await LedgerModel.findById('capture-901-1').lean()).toMatchObject({ gross: '12.50' });
  expect((await ledgerRowsOfOrder('901-1')).map((r) => r.idempotencyKey)).toEqual(['capture-901-1']);
});
