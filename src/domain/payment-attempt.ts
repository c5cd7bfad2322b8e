/**
 * One card payment attempt (one provider order) as a state machine. Pure: no clock, no I/O.
 *
 *   open ──started──▶ started ──provider: paid──────▶ captured
 *     │                  ├──── provider: declined ──▶ declined
 *     │                  ├──── provider: expired ───▶ expired
 *     │                  └──── provider: voided ────▶ voided
 *     └──clock (nothing at the provider yet)────────▶ expired
 *
 * The provider is the source of truth for money: only a provider-confirmed outcome ends a started attempt, the
 * clock never does (an elapsed attempt is asked about, then voided at the provider). And because the provider is
 * the truth, a capture it confirms is a capture whatever we believed before: a `paid` for a declined, expired or
 * voided attempt makes it `captured` (a late capture, booked and then refunded or kept by the session).
 */
export const ATTEMPT_STATUSES = ['open', 'started', 'captured', 'declined', 'expired', 'voided'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** What a provider can tell us about one order (mirrors CardOutcome without importing provider code). */
export type ProviderOutcome = 'paid' | 'declined' | 'pending' | 'expired' | 'voided' | 'refunded' | 'reversed' | 'chargeback';

export type AttemptEvent =
  /** The provider accepted the order (we hold its reference and pay page). */
  | { type: 'started' }
  /** The provider's answer, from a verified callback or a status query. */
  | { type: 'provider'; outcome: ProviderOutcome }
  /** The attempt's time ran out. Ends only an attempt the provider never heard of. */
  | { type: 'elapsed' };

/** Money left the driver's account on this attempt at some point (a later refund or reversal is booked apart). */
const MONEY_MOVED: ReadonlySet<ProviderOutcome> = new Set(['paid', 'refunded', 'reversed', 'chargeback']);

export function nextAttemptStatus(status: AttemptStatus, event: AttemptEvent): AttemptStatus {
  switch (event.type) {
    case 'started':
      return status === 'open' ? 'started' : status;
    case 'elapsed':
      return status === 'open' ? 'expired' : status;
    case 'provider': {
      const o = event.outcome;
      if (status === 'captured') return 'captured';
      if (MONEY_MOVED.has(o)) return 'captured';
      // Only an attempt the provider knows of can be ended by the provider's word.
      if (status === 'open' || status === 'started') {
        if (o === 'declined' || o === 'expired' || o === 'voided') return o;
      }
      return status;
    }
  }
}

/** Settled with the provider: nothing more can happen to the money of this attempt without a new fact. */
export function isAttemptResolved(status: AttemptStatus): boolean {
  return status !== 'open' && status !== 'started';
}

/** A started attempt is the one state where money may be moving at the provider without us knowing. */
export function isAwaitingProvider(status: AttemptStatus): boolean {
  return status === 'started';
}

/** Post-capture facts that give money back (or claw it back) and need their own ledger rows. */
export function isPostCaptureEvent(outcome: ProviderOutcome): outcome is 'refunded' | 'reversed' | 'chargeback' {
  return outcome === 'refunded' || outcome === 'reversed' || outcome === 'chargeback';
}

/**
 * When to ask the provider about a started attempt again: soon after start, then backing off for hours.
 * `checksDone` counts the status queries already made; the answer is milliseconds after the attempt started.
 */
export const STATUS_CHECK_SCHEDULE_MS: readonly number[] = [
  30_000, // the card page is usually done within a minute
  2 * 60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 3_600_000,
  4 * 3_600_000,
  8 * 3_600_000,
  16 * 3_600_000,
  24 * 3_600_000,
];

/** After the schedule runs out, keep asking once a day: a started attempt is never forgotten. */
export function statusCheckOffsetMs(checksDone: number): number {
  const last = STATUS_CHECK_SCHEDULE_MS[STATUS_CHECK_SCHEDULE_MS.length - 1]!;
  if (checksDone < STATUS_CHECK_SCHEDULE_MS.length) return STATUS_CHECK_SCHEDULE_MS[checksDone]!;
  return last + (checksDone - STATUS_CHECK_SCHEDULE_MS.length + 1) * 24 * 3_600_000;
}
