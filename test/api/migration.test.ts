/**
 * Rows written by the release before `_id` keys (ObjectId `_id`, keys found by scanning) are moved by the start-up
 * migration: run by two processes at once and then again, it moves each row exactly once, loses none, and leaves
 * every hot lookup working.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Types } from 'mongoose';
import { createProjectionActivities } from '../../activities/projection';
import { driverForToken } from '../../src/api/auth';
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { storedView } from '../../src/api/sessions';
import { driverSessionRows } from '../../src/db/driver-sessions';
import { KEYS_BY_ID, migrateDb } from '../../src/db/migrate';
import { AccessTokenModel, MigrationBackupModel, MigrationModel, SessionKeyModel, SessionModel, sessionRowId } from '../../src/db/models';
import { ROOT } from '../../src/platform/local-servers';
import { sha256Hex } from '../../src/security/constant-time';
import { connectTestDb, dropTestDb } from '../helpers/db';

const SESSIONS = 300;
const TOKENS = 60;
const entrance = (i: number) => `legacy-entrance-${i}`;
const exitKey = (i: number) => `legacy-exit-${i}`;
const token = (i: number) => `legacy-token-${i}`;

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
function migrateInChild(): Promise<{ sessions: number; tokens: number; restored: number }> {
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
      resolve((JSON.parse(line) as { migrate: { sessions: number; tokens: number; restored: number } }).migrate);
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
  await MigrationModel.deleteMany({});

  // Before: the lookups by `_id` do not find legacy rows.
  expect(await storedView(10)).toBeNull();
  expect(await sessionByAccessCommand(entrance(10))).toBeNull();
  expect(await driverForToken(token(5))).toEqual({ refused: 'invalid access token' });

  // Two runs here at once (they surely overlap) and one in another process (it may start after they end).
  const runs = await Promise.all([migrateInChild(), migrateDb({ force: true }), migrateDb({ force: true })]);
  console.log(`rows moved by each run: ${JSON.stringify(runs)}`);
  // Each row is moved by exactly one of them (session 1 was already deleted: it is restored, not moved).
  expect(runs.reduce((n, r) => n + r.sessions, 0)).toBe(SESSIONS - 1);
  expect(runs.reduce((n, r) => n + r.tokens, 0)).toBe(TOKENS);

  await expectMigrated();
  const again = await migrateDb({ force: true });
  expect(again).toEqual({ skipped: false, sessions: 0, tokens: 0, restored: 0 });
  expect(await migrateDb()).toEqual({ skipped: true, sessions: 0, tokens: 0, restored: 0 });
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
