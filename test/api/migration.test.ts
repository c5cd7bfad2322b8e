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
import { driverForToken, gateForKey, opsUserForToken } from '../../src/api/auth';
import { createOpsUser } from '../../src/db/credentials';
import { findParking, findParkingByAreaCode } from '../../src/db/parking-snapshot';
import { putGate, putOperator, putParking, retireGate } from '../../src/reference-data/service';
import { ParkingBody } from '../../src/reference-data/schemas';
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { storedView } from '../../src/api/sessions';
import { driverSessionRows } from '../../src/db/driver-sessions';
import { ledgerRowsOfOrder } from '../../src/db/ledger-orders';
import { KEYS_BY_ID, LEDGER_BY_KEY, REFERENCE_BY_ID, migrateDb } from '../../src/db/migrate';
import {
  AccessTokenModel,
  CredentialKeyModel,
  GateModel,
  LedgerModel,
  MigrationBackupModel,
  MigrationModel,
  OpsUserModel,
  ParkingAreaModel,
  ParkingModel,
  SessionKeyModel,
  SessionModel,
  sessionRowId,
} from '../../src/db/models';
import { ROOT } from '../../src/platform/local-servers';
import { sha256Hex } from '../../src/security/constant-time';
import { setReferenceCacheTtl } from '../../src/db/read-through-cache';
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

/** Reference data: parkings with a gate each (gate 0 retired), ops users (user 0 deactivated). */
const PARKINGS = 40;
const parkingId = (i: number) => 5000 + i;
const gateKey = (i: number) => `legacy-gate-key-${i}`;
const gateMac = (i: number) => `02:00:00:00:50:${i.toString(16).padStart(2, '0').toUpperCase()}`;
const OPS_USERS = 12;
const opsToken = (k: number) => `legacy-ops-token-${k}`;
const TARIFF = { graceMinutes: 10, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: null };

/** A parking as the previous release wrote it: ObjectId `_id`, found by its `id` field (a scan). */
function legacyParking(i: number) {
  const now = new Date();
  return {
    _id: new Types.ObjectId(),
    id: parkingId(i),
    name: `Legacy P ${i}`,
    description: '',
    currency: 'RON',
    active: true,
    exclusivelyOnline: false,
    accessPoints: [{ macAddress: gateMac(i), direction: 'entrance', name: 'Entrance' }],
    tariff: TARIFF,
    tariffVersions: [{ effectiveFrom: new Date('2024-01-01T00:00:00Z'), ...TARIFF }],
    timeZone: 'Europe/Bucharest',
    vatPercent: '21',
    cardProvider: 'netopia',
    anpr: i % 5 === 0 ? { areaCode: `legacy-area-${i}`, operatorId: 'legacy-operator' } : null,
    createdAt: now,
    updatedAt: now,
  };
}
const legacyGate = (i: number) => ({
  _id: new Types.ObjectId(),
  id: `legacy-gate-${i}`,
  parkingId: parkingId(i),
  direction: 'entrance',
  macAddress: gateMac(i),
  keyHash: sha256Hex(gateKey(i)),
  active: i !== 0,
});
const legacyOpsUser = (k: number) => ({ _id: new Types.ObjectId(), name: `legacy-ops-${k}`, tokenHash: sha256Hex(opsToken(k)), active: k !== 0 });

let uri: string;
beforeAll(async () => {
  // What the database holds, and what each lookup costs there: not the API's per-process memo of it.
  setReferenceCacheTtl(0);
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
type Moved = { sessions: number; tokens: number; ledger: number; parkings: number; gates: number; opsUsers: number; restored: number };
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
  // Parkings, gates and ops users; gate 1 was interrupted after its copy was saved and its old row deleted.
  await ParkingModel.collection.insertMany(Array.from({ length: PARKINGS }, (_, i) => legacyParking(i)));
  await GateModel.collection.insertMany(Array.from({ length: PARKINGS }, (_, i) => legacyGate(i)));
  await OpsUserModel.collection.insertMany(Array.from({ length: OPS_USERS }, (_, k) => legacyOpsUser(k)));
  const cutGate = await GateModel.collection.findOne({ id: 'legacy-gate-1' });
  await MigrationBackupModel.collection.insertOne({ _id: 'gates:legacy-gate-1' as never, target: 'gates', newId: 'legacy-gate-1', doc: cutGate });
  await GateModel.collection.deleteOne({ _id: cutGate!._id });
  await MigrationModel.deleteMany({});

  // Before: the lookups by `_id` do not find legacy rows.
  expect(await storedView(10)).toBeNull();
  expect(await sessionByAccessCommand(entrance(10))).toBeNull();
  expect(await driverForToken(token(5))).toEqual({ refused: 'invalid access token' });
  expect(await LedgerModel.findById(`capture-${orderId(10)}`).lean()).toBeNull();
  expect(await findParking(parkingId(5))).toBeNull();
  expect(await gateForKey(gateKey(5))).toBeNull();
  expect(await opsUserForToken(opsToken(5))).toBeNull();

  // Two runs here at once (they surely overlap) and one in another process (it may start after they end).
  const runs = await Promise.all([migrateInChild(), migrateDb({ force: true }), migrateDb({ force: true })]);
  console.log(`rows moved by each run: ${JSON.stringify(runs)}`);
  // Each row is moved by exactly one of them (session 1 was already deleted: it is restored, not moved).
  expect(runs.reduce((n, r) => n + r.sessions, 0)).toBe(SESSIONS - 1);
  expect(runs.reduce((n, r) => n + r.tokens, 0)).toBe(TOKENS);
  expect(runs.reduce((n, r) => n + r.ledger, 0)).toBe(LEDGER_ROWS - 1);
  expect(runs.reduce((n, r) => n + r.parkings, 0)).toBe(PARKINGS);
  expect(runs.reduce((n, r) => n + r.gates, 0)).toBe(PARKINGS - 1);
  expect(runs.reduce((n, r) => n + r.opsUsers, 0)).toBe(OPS_USERS);

  await expectMigrated();
  const again = await migrateDb({ force: true });
  const none = { sessions: 0, tokens: 0, ledger: 0, parkings: 0, gates: 0, opsUsers: 0, restored: 0 };
  expect(again).toEqual({ skipped: false, ...none });
  expect(await migrateDb()).toEqual({ skipped: true, ...none });
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
  // Reference data: each row once, under its new `_id`, whole; keys work through their key rows, and only the
  // active ones.
  expect(await MigrationModel.exists({ _id: REFERENCE_BY_ID })).toBeTruthy();
  for (const model of [ParkingModel, GateModel, OpsUserModel] as const) {
    expect(await model.collection.countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
  }
  expect(await ParkingModel.countDocuments({})).toBe(PARKINGS);
  expect(await GateModel.countDocuments({})).toBe(PARKINGS);
  expect(await OpsUserModel.countDocuments({})).toBe(OPS_USERS);
  expect(await CredentialKeyModel.countDocuments({})).toBe(PARKINGS - 1 + OPS_USERS - 1); // none for gate 0 and user 0 (inactive)
  for (let i = 0; i < PARKINGS; i++) {
    expect(await findParking(parkingId(i))).toMatchObject({ id: parkingId(i), name: `Legacy P ${i}`, accessPoints: [{ macAddress: gateMac(i) }], tariffVersions: [TARIFF] });
    expect((await findParkingByAreaCode(`legacy-area-${i}`))?.id).toBe(i % 5 === 0 ? parkingId(i) : undefined);
    const gate = { id: `legacy-gate-${i}`, parkingId: parkingId(i), direction: 'entrance', macAddress: gateMac(i) };
    expect(await gateForKey(gateKey(i))).toEqual(i === 0 ? null : gate);
  }
  for (let k = 0; k < OPS_USERS; k++) expect(await opsUserForToken(opsToken(k))).toBe(k === 0 ? null : `legacy-ops-${k}`);
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

const parkingBody = (price: string) =>
  ParkingBody.parse({
    name: 'Late legacy P',
    currency: 'RON',
    time_zone: 'Europe/Bucharest',
    vat_percent: '21',
    card_provider: 'netopia',
    tariff: { grace_minutes: 10, interval_minutes: 60, price_per_interval: price, daily_cap: null },
  });

test('ops writes that meet a parking, gate or ops user in the old shape (written after the migration ran) move it first and keep what it held', async () => {
  const i = 90;
  await ParkingModel.collection.insertOne(legacyParking(i));
  await GateModel.collection.insertOne(legacyGate(i));
  await OpsUserModel.collection.insertOne(legacyOpsUser(90));

  // A tariff change: the old version stays in the history, the access point stays listed.
  const { created, parking } = await putParking(parkingId(i), parkingBody('7.00'));
  expect(created).toBe(false);
  expect(parking.tariffVersions.map((v) => v.pricePerInterval)).toEqual(['5.00', '7.00']);
  expect(parking.accessPoints.map((a) => a.macAddress)).toEqual([gateMac(i)]);
  expect(await ParkingModel.collection.countDocuments({ id: parkingId(i) })).toBe(1);
  expect((await findParking(parkingId(i)))?.name).toBe('Late legacy P');

  // Re-keying the gate: the old key stops working, the new one works; retiring it stops that one too.
  expect(await gateForKey(gateKey(i))).toBeNull(); // not moved yet: only `_id` lookups, so not found
  const { key } = await putGate(parkingId(i), `legacy-gate-${i}`, { direction: 'entrance', mac_address: gateMac(i) });
  expect(await GateModel.collection.countDocuments({ id: `legacy-gate-${i}` })).toBe(1);
  expect(await gateForKey(gateKey(i))).toBeNull();
  expect(await gateForKey(key)).toMatchObject({ id: `legacy-gate-${i}`, parkingId: parkingId(i) });
  expect(await CredentialKeyModel.exists({ _id: `gate:${sha256Hex(gateKey(i))}` })).toBeNull();
  expect(await retireGate(parkingId(i), `legacy-gate-${i}`)).toBe(true);
  expect(await gateForKey(key)).toBeNull();
  expect((await findParking(parkingId(i)))?.accessPoints).toEqual([]);

  // Re-keying the ops user likewise.
  const { token: opsNew } = await createOpsUser('legacy-ops-90');
  expect(await OpsUserModel.collection.countDocuments({ name: 'legacy-ops-90' })).toBe(1);
  expect(await opsUserForToken(opsToken(90))).toBeNull();
  expect(await opsUserForToken(opsNew)).toBe('legacy-ops-90');

  // A previous-release process re-keys a moved gate by its `id` (no key row): the forced run writes the row.
  await GateModel.collection.updateOne({ id: 'legacy-gate-2' }, { $set: { keyHash: sha256Hex('rekeyed-by-old-release') } });
  expect(await gateForKey('rekeyed-by-old-release')).toBeNull();
  await migrateDb({ force: true });
  expect(await gateForKey('rekeyed-by-old-release')).toMatchObject({ id: 'legacy-gate-2' });
  expect(await gateForKey(gateKey(2))).toBeNull();
});

test('seeding the same parking, gate and ops user from several processes at once leaves one of each, and every key works', async () => {
  const id = 5950;
  const mac = '02:00:00:00:59:50';
  const seed = async () => {
    await putParking(id, parkingBody('3.00'));
    await putGate(id, 'seeded-gate', { direction: 'exit', mac_address: mac }, 'seeded-gate-key');
    await createOpsUser('seeded-ops', 'seeded-ops-token');
  };
  await Promise.all(Array.from({ length: 4 }, seed));
  expect(await ParkingModel.countDocuments({ id })).toBe(1);
  expect((await findParking(id))?.accessPoints).toEqual([{ macAddress: mac, direction: 'exit', name: 'Exit' }]);
  expect((await findParking(id))?.tariffVersions).toHaveLength(1);
  expect(await GateModel.countDocuments({ id: 'seeded-gate' })).toBe(1);
  expect(await gateForKey('seeded-gate-key')).toEqual({ id: 'seeded-gate', parkingId: id, direction: 'exit', macAddress: mac });
  expect(await opsUserForToken('seeded-ops-token')).toBe('seeded-ops');
  expect(await CredentialKeyModel.countDocuments({ owner: { $in: ['seeded-gate', 'seeded-ops'] } })).toBe(2);
});

test('an Autopay area belongs to one parking: taken is refused, given up it can be claimed, and its row follows', async () => {
  await putOperator('area-operator', { name: 'Area operator', callback_auth: { method: 'basic', secret: 'area-operator-secret' } });
  const withArea = (area: string) => ({ ...parkingBody('1.00'), anpr: { area_code: area, operator_id: 'area-operator' } });
  await putParking(5961, withArea('harbour'));
  expect((await findParkingByAreaCode('harbour'))?.id).toBe(5961);
  await expect(putParking(5962, withArea('harbour'))).rejects.toMatchObject({ code: 'area_taken' });
  // 5961 moves to another area: 'harbour' is free, its row goes, and 5962 can claim it.
  await putParking(5961, withArea('quay'));
  expect(await findParkingByAreaCode('harbour')).toBeNull();
  await putParking(5962, withArea('harbour'));
  expect((await findParkingByAreaCode('harbour'))?.id).toBe(5962);
  expect((await findParkingByAreaCode('quay'))?.id).toBe(5961);
  // A row left pointing at a parking that no longer names the area (a crash between the two writes) is taken over.
  await ParkingAreaModel.collection.insertOne({ _id: 'dock' as never, parkingId: 5961 });
  expect(await findParkingByAreaCode('dock')).toBeNull();
  await putParking(5962, withArea('dock'));
  expect((await findParkingByAreaCode('dock'))?.id).toBe(5962);
  expect(await findParkingByAreaCode('harbour')).toBeNull();
});
