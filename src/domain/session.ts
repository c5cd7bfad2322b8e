/** Parking-session states and the rules between them (seed: entering, active, exiting, ...). */
export const SESSION_STATES = ['entering', 'active', 'exiting', 'closed', 'cancelled', 'expired'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/**
 * One vocabulary for the driver API, the ops API, the read model and the PaymentStatus search attribute.
 * declined / expired: the last card attempt, in the provider's words. billed: handed to the driver's Vipps daily
 * billing, which owns the charge from then on; it becomes paid (the day's charge was CHARGED) or failed (the
 * charge finally failed and the money went to ops) in the read model only, as the session workflow has closed.
 */
export const PAYMENT_STATUSES = ['none', 'pending', 'paid', 'billed', 'declined', 'expired', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type SessionKind = 'barrier' | 'anpr';

const TERMINAL: ReadonlySet<SessionState> = new Set(['closed', 'cancelled', 'expired']);

export function isTerminal(state: SessionState): boolean {
  return TERMINAL.has(state);
}

const TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  entering: ['active', 'cancelled', 'expired'],
  active: ['exiting', 'closed', 'cancelled'],
  exiting: ['closed', 'cancelled'],
  closed: [],
  cancelled: [],
  expired: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Why a finalize is refused in this state, or null when it is allowed. */
export function finalizeRefusal(state: SessionState, paymentStatus: PaymentStatus): string | null {
  if (state === 'active') return null;
  if (state === 'exiting') return paymentStatus === 'paid' ? 'parking session is already paid' : null;
  if (state === 'entering') return 'parking session has not been entered yet';
  return `parking session is ${state}`;
}

/** Why a driver may not cancel now, or null when allowed: only before entry. */
export function cancelRefusal(state: SessionState): string | null {
  return state === 'entering' ? null : `parking session can only be cancelled before entry (state: ${state})`;
}
