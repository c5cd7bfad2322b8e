import fc from 'fast-check';
import {
  PAYMENT_STATUSES,
  SESSION_STATES,
  canTransition,
  cancelRefusal,
  finalizeRefusal,
  isTerminal,
  type PaymentStatus,
  type SessionState,
} from '../../../src/domain/session';

const ALLOWED: Array<[SessionState, SessionState]> = [
  ['entering', 'active'],
  ['entering', 'cancelled'],
  ['entering', 'expired'],
  ['active', 'exiting'],
  ['active', 'closed'],
  ['active', 'cancelled'],
  ['exiting', 'closed'],
  ['exiting', 'cancelled'],
];

const stateArb = fc.constantFrom(...SESSION_STATES);
const paymentArb = fc.constantFrom(...PAYMENT_STATUSES);

describe('session transitions', () => {
  it('allows exactly the documented transitions', () => {
    for (const from of SESSION_STATES) {
      for (const to of SESSION_STATES) {
        const expected = ALLOWED.some(([f, t]) => f === from && t === to);
        expect([from, to, canTransition(from, to)]).toEqual([from, to, expected]);
      }
    }
  });

  it('terminal states are closed, cancelled and expired, and have no way out', () => {
    expect(SESSION_STATES.filter(isTerminal)).toEqual(['closed', 'cancelled', 'expired']);
    fc.assert(
      fc.property(stateArb, stateArb, (from, to) => {
        if (isTerminal(from)) expect(canTransition(from, to)).toBe(false);
      }),
    );
  });

  it('no state transitions to itself, and every non-terminal state can reach a terminal one', () => {
    for (const s of SESSION_STATES) expect(canTransition(s, s)).toBe(false);
    for (const s of SESSION_STATES.filter((x) => !isTerminal(x))) {
      expect(SESSION_STATES.some((t) => isTerminal(t) && canTransition(s, t))).toBe(true);
    }
  });

  it('every state is reachable from entering, and nothing leads back to entering', () => {
    const seen = new Set<SessionState>(['entering']);
    const queue: SessionState[] = ['entering'];
    while (queue.length) {
      const s = queue.shift()!;
      for (const t of SESSION_STATES) {
        if (canTransition(s, t) && !seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
      }
    }
    expect([...seen].sort()).toEqual([...SESSION_STATES].sort());
    for (const s of SESSION_STATES) expect(canTransition(s, 'entering')).toBe(false);
  });

  it('only an entering session can expire', () => {
    expect(SESSION_STATES.filter((s) => canTransition(s, 'expired'))).toEqual(['entering']);
  });
});

describe('finalizeRefusal', () => {
  it.each(PAYMENT_STATUSES)('an active session may always be finalized (payment %s)', (p) => {
    expect(finalizeRefusal('active', p)).toBeNull();
  });

  it('an exiting session may be finalized again unless it is already paid', () => {
    expect(finalizeRefusal('exiting', 'paid')).toBe('parking session is already paid');
    for (const p of PAYMENT_STATUSES.filter((x) => x !== 'paid')) expect(finalizeRefusal('exiting', p)).toBeNull();
  });

  it('is refused before entry', () => {
    expect(finalizeRefusal('entering', 'none')).toBe('parking session has not been entered yet');
  });

  it.each(['closed', 'cancelled', 'expired'] as const)('is refused once %s', (s) => {
    for (const p of PAYMENT_STATUSES) expect(finalizeRefusal(s, p)).toBe(`parking session is ${s}`);
  });

  it('is allowed only in states that can still move to closed', () => {
    fc.assert(
      fc.property(stateArb, paymentArb, (s: SessionState, p: PaymentStatus) => {
        if (finalizeRefusal(s, p) === null) expect(canTransition(s, 'closed')).toBe(true);
        if (isTerminal(s)) expect(finalizeRefusal(s, p)).not.toBeNull();
      }),
    );
  });
});

describe('cancelRefusal', () => {
  it('a driver may cancel only before entry', () => {
    expect(cancelRefusal('entering')).toBeNull();
    for (const s of SESSION_STATES.filter((x) => x !== 'entering')) {
      expect(cancelRefusal(s)).toBe(`parking session can only be cancelled before entry (state: ${s})`);
    }
  });

  it('a cancel the driver may make is a legal transition', () => {
    for (const s of SESSION_STATES) if (cancelRefusal(s) === null) expect(canTransition(s, 'cancelled')).toBe(true);
  });
});
