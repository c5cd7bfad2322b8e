import fc from 'fast-check';
import {
  ATTEMPT_STATUSES,
  isAttemptResolved,
  nextAttemptStatus,
  statusCheckOffsetMs,
  type AttemptEvent,
  type AttemptStatus,
  type ProviderOutcome,
} from '../../../src/domain/payment-attempt';

const OUTCOMES: ProviderOutcome[] = ['paid', 'declined', 'pending', 'expired', 'voided', 'refunded', 'reversed', 'chargeback'];
const status = fc.constantFrom<AttemptStatus>(...ATTEMPT_STATUSES);
const event: fc.Arbitrary<AttemptEvent> = fc.oneof(
  fc.constant<AttemptEvent>({ type: 'started' }),
  fc.constant<AttemptEvent>({ type: 'elapsed' }),
  fc.constantFrom(...OUTCOMES).map((outcome): AttemptEvent => ({ type: 'provider', outcome })),
);
const run = (from: AttemptStatus, events: AttemptEvent[]) => events.reduce(nextAttemptStatus, from);

describe('payment attempt state machine', () => {
  it('the clock never ends a started attempt, whatever it is mixed with short of a provider answer', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<AttemptEvent>({ type: 'elapsed' }, { type: 'started' }, { type: 'provider', outcome: 'pending' })), (events) => {
        expect(run('started', events)).toBe('started');
      }),
    );
  });

  it('an attempt the provider never heard of expires with the clock', () => {
    expect(nextAttemptStatus('open', { type: 'elapsed' })).toBe('expired');
    expect(nextAttemptStatus('open', { type: 'started' })).toBe('started');
  });

  it('captured is final: no later event takes the money back out of the attempt', () => {
    fc.assert(fc.property(fc.array(event), (events) => expect(run('captured', events)).toBe('captured')));
  });

  it('a provider-confirmed payment always ends captured, from any state (a late capture is still money)', () => {
    fc.assert(fc.property(status, fc.array(event), (from, before) => {
      expect(nextAttemptStatus(run(from, before), { type: 'provider', outcome: 'paid' })).toBe('captured');
    }));
  });

  it('once resolved, an attempt only ever moves to captured', () => {
    fc.assert(
      fc.property(status, fc.array(event), fc.array(event), (from, a, b) => {
        const mid = run(from, a);
        fc.pre(isAttemptResolved(mid));
        const end = run(mid, b);
        expect(end === mid || end === 'captured').toBe(true);
        expect(isAttemptResolved(end)).toBe(true);
      }),
    );
  });

  it('a started attempt ends exactly as the provider says', () => {
    expect(nextAttemptStatus('started', { type: 'provider', outcome: 'declined' })).toBe('declined');
    expect(nextAttemptStatus('started', { type: 'provider', outcome: 'expired' })).toBe('expired');
    expect(nextAttemptStatus('started', { type: 'provider', outcome: 'voided' })).toBe('voided');
    expect(nextAttemptStatus('started', { type: 'provider', outcome: 'reversed' })).toBe('captured');
  });

  it('a decline cannot overwrite an ended attempt', () => {
    for (const s of ['declined', 'expired', 'voided'] as const) {
      expect(nextAttemptStatus(s, { type: 'provider', outcome: 'declined' })).toBe(s);
      expect(nextAttemptStatus(s, { type: 'elapsed' })).toBe(s);
    }
  });

  it('status checks back off and never stop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), (n) => {
        expect(statusCheckOffsetMs(n + 1)).toBeGreaterThan(statusCheckOffsetMs(n));
      }),
    );
    expect(statusCheckOffsetMs(0)).toBeLessThanOrEqual(60_000);
  });
});
