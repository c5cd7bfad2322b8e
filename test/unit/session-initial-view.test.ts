import type { ParkingSessionInput } from '../../workflows/messages';
import { startedSessionView } from '../../workflows/session-initial-view';

const settings = { entryTimeoutMs: 60_000, paymentAttemptTtlMs: 60_000, smartKeyTries: 3 };
const parking = { id: 187 } as ParkingSessionInput['parking'];
const base: ParkingSessionInput = { sessionId: 4200, driverId: 'd-1', kind: 'barrier', parking, createdAt: '2026-12-02T03:00:00.123Z', settings };

test('a barrier start with its entrance key is answered as entering, the key valid from the creation on', () => {
  const view = startedSessionView({ ...base, entranceAccessCommand: 'ab'.repeat(16) })!;
  expect(view.state).toBe('entering');
  expect(view.createdAt).toBe(base.createdAt);
  expect(view.entranceKey).toEqual({ id: 42001, direction: 'entrance', accessCommand: 'ab'.repeat(16), remainingTries: 3, startTime: base.createdAt, endTime: null });
  expect([view.exitKey, view.startTime, view.amount, view.plate]).toEqual([null, null, null, null]);
});

test('without a key in the input (ANPR: the workflow makes it) there is no view to answer from', () => {
  expect(startedSessionView(base)).toBeNull();
});

test('a start with an entrance key id is answered with the id only: the access command is derived outside, never in the view', () => {
  const view = startedSessionView({ ...base, entranceKeyId: 'b3c1f0e2-0000-4000-8000-000000000001' })!;
  expect(view.entranceKey).toEqual({ id: 42001, direction: 'entrance', keyId: 'b3c1f0e2-0000-4000-8000-000000000001', remainingTries: 3, startTime: base.createdAt, endTime: null });
  // ANPR sessions get a key id too, but their first view waits for Autopay's connect (the workflow answers).
  expect(startedSessionView({ ...base, kind: 'anpr', entranceKeyId: 'b3c1f0e2-0000-4000-8000-000000000001' })).toBeNull();
});
