/**
 * The projection writes a smart key's lookup row (access command → session) once per worker process, not on every
 * projection of the session: a session projects about 7 times and its keys do not change between them.
 */
import mongoose from 'mongoose';
import { createProjectionActivities } from '../../activities/projection';
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { SessionKeyModel } from '../../src/db/models';
import { accessCommandOf } from '../../src/security/access-command';
import { connectTestDb, dropTestDb } from '../helpers/db';

beforeAll(() => connectTestDb('projection_keys'));
afterAll(() => dropTestDb());

const KEY = SANDBOX_DEFAULTS.ACCESS_COMMAND_KEY;
const smartKey = (direction: 'entrance' | 'exit', keyId: string) => ({ id: direction === 'entrance' ? 1 : 2, direction, keyId, remainingTries: 3, startTime: new Date(0).toISOString() });

function view(sessionId: number, version: number, exit: boolean) {
  return {
    sessionId,
    driverId: 'driver-keys',
    parkingId: 187,
    kind: 'barrier',
    state: exit ? 'exiting' : 'active',
    paymentStatus: 'none',
    plate: null,
    amount: null,
    version,
    entranceKey: smartKey('entrance', `entrance-${sessionId}`),
    exitKey: exit ? smartKey('exit', `exit-${sessionId}`) : null,
  };
}

/** The session-key commands the projections sent, by method. */
async function keyWrites(run: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => {
    if (collection === SessionKeyModel.collection.collectionName) calls.push(method);
  });
  try {
    await run();
  } finally {
    mongoose.set('debug', false);
  }
  return calls;
}

test('each key is written once however often the session projects, and a gate finds the session by either key', async () => {
  const project = createProjectionActivities(KEY).projectSession;
  const as = (v: ReturnType<typeof view>) => v as unknown as Parameters<typeof project>[0];
  const writes = await keyWrites(async () => {
    for (let version = 1; version <= 4; version += 1) await project(as(view(501, version, false)));
    for (let version = 5; version <= 8; version += 1) await project(as(view(501, version, true)));
  });
  expect(writes).toEqual(['updateOne', 'updateOne']);
  const command = (direction: 'entrance' | 'exit') => accessCommandOf(KEY, 501, smartKey(direction, `${direction}-501`))!;
  expect(await sessionByAccessCommand(command('entrance'))).toBe(501);
  expect(await sessionByAccessCommand(command('exit'))).toBe(501);
});

test('a worker that has not written a key yet (a restart, another process) writes it again, idempotently', async () => {
  const first = createProjectionActivities(KEY).projectSession;
  const second = createProjectionActivities(KEY).projectSession;
  const as = (v: ReturnType<typeof view>) => v as unknown as Parameters<typeof first>[0];
  await first(as(view(502, 1, false)));
  const writes = await keyWrites(() => second(as(view(502, 2, false))));
  expect(writes).toEqual(['updateOne']);
  expect(await SessionKeyModel.countDocuments({ sessionId: 502 })).toBe(1);
});
