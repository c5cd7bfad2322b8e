/**
 * One parking session, from the entrance key to the closed (or cancelled / expired) session, with every card
 * attempt settled with the provider before the workflow ends.
 *
 * Shape: handlers only record facts (gate events, provider results, Autopay callbacks) or queue requests
 * (finalize, start payment, cancel) and wake the main loop; the main loop alone runs activities and changes state,
 * one item at a time, so nothing interleaves across an await. Every state change goes through `setState`, which
 * enforces the domain's transition table.
 *
 * Money: the provider is the source of truth. A started attempt ends only on a provider-confirmed outcome, from a
 * callback (fast path) or a status query on a backing-off schedule (safety net). An attempt whose time ran out is
 * asked about and then voided at the provider before it is called expired. Captures that are not kept (duplicate,
 * wrong amount, cancelled session) are booked and refunded by their own `orderRefund` workflow.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { LedgerEntryInput, SessionActivities } from '../activities/contracts';
import type { OrderRefundActivities } from '../activities/contracts';
import { addsUp } from '../src/domain/vat';
import { money } from '../src/domain/money';
import {
  isAttemptResolved,
  isPostCaptureEvent,
  nextAttemptStatus,
  statusCheckOffsetMs,
  type AttemptStatus,
  type ProviderOutcome,
} from '../src/domain/payment-attempt';
import { canTransition, cancelRefusal, finalizeRefusal, isTerminal, type SessionState } from '../src/domain/session';
import {
  accessAttemptUpdate,
  attentionSignal,
  opsActionSignal,
  autopayCancelledSignal,
  autopayEndedSignal,
  cancelUpdate,
  finalizeUpdate,
  gateEventSignal,
  paymentResultSignal,
  requestManualStopUpdate,
  sessionViewQuery,
  startPaymentUpdate,
  type AttentionNotice,
  type OpsAction,
  type AutopayEnded,
  type CancelRequest,
  type Direction,
  type FinalizeRequest,
  type GateEvent,
  type ParkingSessionInput,
  type PaymentAttemptView,
  type PaymentResult,
  type SessionView,
  type SmartKeyView,
  type StartPaymentResult,
} from './messages';
import { parkingSessionV1 } from './parking-session-v1';
import { initialSessionView, inputEntranceKey, smartKeyView } from './session-initial-view';
import { SA_AMOUNT, SA_ATTENTION, SA_PARKING_ID, SA_PAYMENT_STATUS, SA_PLATE, SA_SESSION_ID, SA_STATE } from './search-attributes';

/** Sessions started before this marker run parkingSessionV1 to the end; new ones run this file. */
export const SETTLEMENT_PATCH = 'settlement-v2';
/**
 * Sessions started with this marker are lean: the read model and the ledger are written by one local activity per
 * handled message, pricing is a local activity, the wake-up timer is kept while its deadline holds, and an access
 * attempt is projected only when it spends the key. Sessions started before it replay the settlement-v2 commands.
 */
export const LEAN_PATCH = 'lean-v3';
/**
 * Sessions that reach `active` or `exiting` with this marker go to ops (Attention `stale_session`) when they stay
 * there longer than the maximum, instead of waiting for ever. Executions from before it replay unchanged and get
 * the clock at their next live step (the marker is recorded then).
 */
export const STALE_PATCH = 'stale-sessions';
/**
 * lean-v4 is decided by the start input, not a patch (as key ids are): an input with `revision` ≥ this (every API start
 * since) is lean-v3 with the stale clock by construction, so it asks no patched() question and records no marker (each
 * cost two events: the marker and its TemporalChangeVersion upsert), and keeps a later deadline's timer across a nearer
 * one (waitKeepingTimers). Executions whose input lacks it run the patched() code they started with.
 */
const LEAN_V4_REVISION = 4;

const refundProxy = proxyActivities<OrderRefundActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

const sessionProxy = proxyActivities<SessionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2, nonRetryableErrorTypes: ['PricingRejected'] },
});

// A person is waiting on the pay page: a few quick tries, then "provider unavailable, try again".
const payPageProxy = proxyActivities<SessionActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 2, nonRetryableErrorTypes: ['CardProviderRejected'] },
});

// Status queries and voids are retried by the main loop's own schedule, so each call gives up quickly.
const settleProxy = proxyActivities<SessionActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: ['CardProviderRejected'] },
});

// Autopay: business refusals are typed; the main loop decides whether to try again later.
const autopayProxy = proxyActivities<SessionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['AutopayRejected', 'AutopayNotSeen'] },
});

// lean-v3. Ledger rows are unique per key, so a re-run local activity books nothing twice: retried until the database
// takes them (past a minute the SDK backs off with timers). The projection inside reports failure instead of throwing.
const stepActs = proxyLocalActivities<SessionActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});
// Pricing is pure over the tariff row: a few quick tries; a rejection is final (ops), an outage is "try again".
const priceActs = proxyLocalActivities<SessionActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 4, nonRetryableErrorTypes: ['PricingRejected', 'NotFound'] },
});
/** A read-model write that failed is tried again this long after (the workflow's own state is unaffected). */
const PROJECTION_RETRY_MS = 30_000;

const DEFAULT_GATE_SKEW_MS = 5 * 60_000;
const DEFAULT_ANPR_CONNECT_WINDOW_MS = 15 * 60_000;
const ANPR_CONNECT_RETRY_MS = 30_000;
/** For inputs from before the settings existed: a little above MAX_STAY_HOURS's 720 h, and a day to pay and leave. */
const DEFAULT_MAX_ACTIVE_MS = 744 * 3_600_000;
const DEFAULT_MAX_EXITING_MS = 24 * 3_600_000;

type Refusal = { refused: string; code: string };
type Pending<T> = { result?: T | Refusal };

type Work =
  | { kind: 'finalize'; req: FinalizeRequest; reply: Pending<SessionView> }
  | { kind: 'startPayment'; reply: Pending<StartPaymentResult> }
  | { kind: 'cancel'; req: CancelRequest; reply: Pending<SessionView> }
  | { kind: 'manualStop'; endTime: string; reply: Pending<SessionView> }
  | { kind: 'access'; direction: Direction; reply: Pending<{ key: SmartKeyView; view: SessionView }> }
  | { kind: 'gate'; event: GateEvent }
  | { kind: 'providerResult'; result: PaymentResult }
  | { kind: 'attention'; notice: AttentionNotice }
  | { kind: 'opsAction'; action: OpsAction };

const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'refused' in v;

export async function parkingSession(input: ParkingSessionInput): Promise<SessionView> {
  // Decided by the input, which never changes: no patch is asked, so none records a marker (see LEAN_V4_REVISION).
  if ((input.revision ?? 0) >= LEAN_V4_REVISION) return settledParkingSession(input, true, true);
  // Inputs without a revision, exactly as before: lean-v3 is asked first, so such a session records one patch marker
  // (each also upserts TemporalChangeVersion), not two. Older histories hold no lean-v3 marker: they go on to the
  // settlement-v2 question.
  if (patched(LEAN_PATCH)) return settledParkingSession(input, true, false);
  if (!patched(SETTLEMENT_PATCH)) return parkingSessionV1(input);
  return settledParkingSession(input, false, false);
}

async function settledParkingSession(input: ParkingSessionInput, lean: boolean, leanV4: boolean): Promise<SessionView> {
  const { sessionId, parking, settings } = input;
  const startedAtMs = Date.now();
  let version = 0;
  const queue: Work[] = [];
  let autopayEnded: AutopayEnded | null = null;
  let autopayCancelled = false;
  let anprNextConnectAt = input.kind === 'anpr' ? startedAtMs : Infinity;
  /** Per started attempt: when it started, how many status queries were made, when the next one is due. */
  const checks = new Map<string, { startedAt: number; done: number; dueAt: number }>();
  /** lean-v3: the one wake-up timer, while its deadline is still the next one. */
  let alarm: { at: number; rang: boolean; scope: CancellationScope } | undefined;
  /** lean-v4: the pending wake-up timers, each at a deadline that was the next one when it started. */
  let timers: Array<{ at: number; rang: boolean; scope: CancellationScope }> = [];
  const published = new Map<string, string | number>();
  /** lean-v3: ledger rows waiting for this message's one local activity (always empty before lean-v3). */
  const pendingLedger: LedgerEntryInput[] = [];
  /** lean-v3: set when the last projection failed; the read model is written again at this time. */
  let projectionDueAt: number | undefined;
  /** stale-sessions: since when the session has been active or exiting (or since ops resolved it), and whether its deadline passed. */
  let staleClock: { from: number; done: boolean } | undefined;

  /** Queued ledger rows are written before any other effect, so nothing downstream reads a ledger behind us. */
  function ledgerFirst<T extends object>(proxy: T): T {
    if (!lean) return proxy;
    return new Proxy(proxy, {
      get(target, prop, receiver) {
        const fn: unknown = Reflect.get(target, prop, receiver);
        if (typeof fn !== 'function') return fn;
        return (...args: unknown[]) => (pendingLedger.length ? flushLedger().then(() => fn(...args)) : fn(...args));
      },
    });
  }
  const acts = ledgerFirst(sessionProxy);
  const refundActs = ledgerFirst(refundProxy);
  const payPageActs = ledgerFirst(payPageProxy);
  const settleActs = ledgerFirst(settleProxy);
  const autopayActs = ledgerFirst(autopayProxy);

  async function book(entry: LedgerEntryInput): Promise<void> {
    if (lean) pendingLedger.push(entry);
    else await acts.recordLedgerEntry(entry);
  }

  async function flushLedger(): Promise<void> {
    if (pendingLedger.length) await stepActs.recordSessionStep({ ledger: pendingLedger.splice(0), view: null });
  }

  const nowIso = () => new Date(Date.now()).toISOString();
  // Access key ids: a key holds only its id; its access command is derived from it outside the workflow
  // (src/security/access-command.ts), so no barrier-opening secret is in the history. Decided by the input, which
  // never changes: sessions started with an `entranceKeyId` (every start since) hold ids; older ones keep stored
  // commands, the ones their drivers hold. No command differs between the two, so no patch marker is needed (a marker
  // would cost every session two events: the marker and its TemporalChangeVersion upsert).
  const keyIds = input.entranceKeyId !== undefined;
  const newKey = (direction: Direction): SmartKeyView =>
    smartKeyView(sessionId, direction, keyIds ? { keyId: uuid4() } : { accessCommand: uuid4().replace(/-/g, '') }, settings.smartKeyTries, nowIso());

  // The API answers a barrier start with this same view (workflows/session-initial-view.ts).
  const view: SessionView = initialSessionView(input, inputEntranceKey(input) ?? newKey('entrance'));

  // ---- state, attention, publishing -----------------------------------------------------------

  /** The one way the session's state changes: the domain's transition table decides what is allowed. */
  function setState(to: SessionState, reason?: string): boolean {
    if (view.state === to) return true;
    if (!canTransition(view.state, to)) {
      log.warn('state transition refused', { sessionId, from: view.state, to });
      return false;
    }
    view.state = to;
    if (to === 'active' || to === 'exiting') staleClock = { from: Date.now(), done: false };
    if (isTerminal(to)) {
      view.closedReason = reason ?? to;
      for (const key of [view.entranceKey, view.exitKey]) if (key && !key.endTime) key.endTime = nowIso();
      // An attempt the provider never heard of ends with the session; started ones are settled at once.
      for (const a of view.attempts) if (a.status === 'open') transitionAttempt(a, { type: 'elapsed' });
      hurrySettlement();
    }
    return true;
  }

  /** Nothing can be paid any more (session ended or paid): ask the provider about every started attempt now. */
  function hurrySettlement(): void {
    for (const due of checks.values()) due.dueAt = Math.min(due.dueAt, Date.now());
  }

  function needsOps(code: string, message: string): void {
    view.attentionCode = code;
    view.attention = message;
  }

  /** Search attributes are upserted (one command) only when one of them changed; the read model gets every version. */
  async function publish(): Promise<void> {
    version += 1;
    const wanted: Array<[string, string | number, SearchAttributeUpdatePair]> = [
      ['state', view.state, { key: SA_STATE, value: view.state }],
      ['payment', view.paymentStatus, { key: SA_PAYMENT_STATUS, value: view.paymentStatus }],
      ['attention', view.attentionCode ?? '', { key: SA_ATTENTION, value: view.attentionCode ?? '' }],
    ];
    if (view.amount) wanted.push(['amount', view.amount.gross, { key: SA_AMOUNT, value: Number(view.amount.gross) }]);
    if (version === 1) {
      wanted.push(['session', sessionId, { key: SA_SESSION_ID, value: sessionId }], ['parking', parking.id, { key: SA_PARKING_ID, value: parking.id }]);
      // lean-v3 sessions get PlateHash with their start (the workflow has no key to hash with); older ones wrote Plate.
      if (view.plate && !lean) wanted.push(['plate', view.plate, { key: SA_PLATE, value: view.plate }]);
    }
    const changed = wanted.filter(([name, value]) => published.get(name) !== value);
    for (const [name, value] of changed) published.set(name, value);
    if (changed.length) upsertSearchAttributes(changed.map(([, , pair]) => pair));
    if (!lean) {
      await acts.projectSession({ ...view, version });
      return;
    }
    // Eventually consistent: a failed write is reported, retried later, and never holds up a decision or an answer.
    const { projected } = await stepActs.recordSessionStep({ ledger: pendingLedger.splice(0), view: { ...view, version } });
    projectionDueAt = projected ? undefined : Date.now() + PROJECTION_RETRY_MS;
  }

  /** lean-v3: what the client set at start (src/temporal/session-search-attributes.ts) is not upserted again. */
  function seedPublished(): void {
    const given = workflowInfo().typedSearchAttributes;
    const seeds: Array<[string, string | number | undefined]> = [
      ['state', given.get(SA_STATE)],
      ['payment', given.get(SA_PAYMENT_STATUS)],
      ['attention', given.get(SA_ATTENTION)],
      ['session', given.get(SA_SESSION_ID)],
      ['parking', given.get(SA_PARKING_ID)],
      ['plate', given.get(SA_PLATE)],
    ];
    for (const [name, value] of seeds) if (value !== undefined) published.set(name, value);
  }

  // ---- attempts -------------------------------------------------------------------------------

  const currentAttempt = (): PaymentAttemptView | undefined => view.attempts[view.attempts.length - 1];
  const attemptStatus = (a: PaymentAttemptView): AttemptStatus => (a.status === 'paid' ? 'captured' : a.status);
  const unresolvedAttempts = () => view.attempts.filter((a) => !isAttemptResolved(attemptStatus(a)));
  const hasElapsed = (a: PaymentAttemptView) => Date.now() >= new Date(a.expiresAt).getTime();

  function transitionAttempt(a: PaymentAttemptView, event: Parameters<typeof nextAttemptStatus>[1]): AttemptStatus {
    const to = nextAttemptStatus(attemptStatus(a), event);
    a.status = to;
    if (isAttemptResolved(to)) checks.delete(a.orderId);
    return to;
  }

  function openAttempt(): PaymentAttemptView {
    const attempt = view.attempts.length + 1;
    const a: PaymentAttemptView = {
      attempt,
      orderId: `${sessionId}-${attempt}`,
      provider: parking.cardProvider,
      status: 'open',
      providerRef: null,
      redirectUrl: null,
      reason: null,
      reasonCode: null,
      expiresAt: new Date(Date.now() + settings.paymentAttemptTtlMs).toISOString(),
      capture: null,
      returned: [],
    };
    view.attempts.push(a);
    view.paymentStatus = 'pending';
    return a;
  }

  const isPaid = () => view.paymentStatus === 'paid' || view.paymentStatus === 'billed';

  function markPaid(via: 'card' | 'vipps' | 'free'): void {
    view.paymentStatus = via === 'vipps' ? 'billed' : 'paid';
    view.paidVia = via;
    hurrySettlement();
    if (view.kind === 'anpr') setState('closed', via === 'vipps' ? 'billed_to_vipps' : 'paid');
  }

  const ledgerSource = () => (view.kind === 'anpr' ? ('autopay' as const) : ('barrier' as const));
  const amountParts = () => ({ gross: view.amount!.gross, net: view.amount!.net, vat: view.amount!.vat, currency: view.amount!.currency });

  /** A provider-confirmed fact about one of our orders: the only thing that settles a started attempt. */
  async function applyProviderResult(r: PaymentResult): Promise<void> {
    const a = view.attempts.find((x) => x.orderId === r.orderId);
    if (!a || !view.amount) {
      await settleForeignOrder(r);
      return;
    }
    const before = attemptStatus(a);
    const outcome: ProviderOutcome = r.outcome;
    if (r.providerRef) a.providerRef = r.providerRef;
    const after = transitionAttempt(a, { type: 'provider', outcome });
    if (after === 'captured' && before !== 'captured') await onCapture(a, r);
    if (isPostCaptureEvent(outcome)) await onMoneyReturned(a, outcome, r);
    if (after !== before && (after === 'declined' || after === 'expired' || after === 'voided')) {
      a.reason = r.reason ?? (after === 'declined' ? 'Payment declined' : after === 'voided' ? 'Payment cancelled' : 'Payment expired');
      a.reasonCode = r.reasonCode ?? after;
      if (currentAttempt() === a && !isPaid()) view.paymentStatus = after === 'declined' ? 'declined' : 'expired';
      await book({
        ...ledgerBase(a, r.providerRef),
        ...amountParts(),
        kind: 'decline',
        idempotencyKey: `decline-${a.orderId}`,
        note: `${after}: ${a.reason}`,
      });
    }
  }

  /**
   * A verified provider fact for an order of this session that it never opened (a stale tab, a provider-side
   * mistake): money moved all the same, so it is booked and given back, exactly as for a session that is gone.
   */
  async function settleForeignOrder(r: PaymentResult): Promise<void> {
    log.warn('provider result for an order this session never opened', { sessionId, orderId: r.orderId, outcome: r.outcome });
    const order = { sessionId, orderId: r.orderId, provider: parking.cardProvider, providerRef: r.providerRef, amount: r.amount, currency: r.currency };
    if (r.outcome === 'paid') {
      const { booked } = await refundActs.bookLateCapture(order);
      if (booked) await refundActs.startOrderRefund({ ...order, reason: 'capture on an order this session never opened', source: ledgerSource() });
    } else if (isPostCaptureEvent(r.outcome)) {
      const kind = r.outcome === 'refunded' ? 'refund' : r.outcome === 'reversed' ? 'reversal' : 'chargeback';
      await acts.recordReturnedMoney({ ...order, source: ledgerSource(), kind });
    }
  }

  function ledgerBase(a: PaymentAttemptView, providerRef: string | null) {
    return {
      source: ledgerSource(),
      provider: a.provider,
      sessionId: String(sessionId),
      occurredAt: nowIso(),
      providerRefs: { orderId: a.orderId, providerRef: providerRef ?? a.providerRef ?? '' },
    };
  }

  /** Every capture is booked at the amount the provider took. It is kept only if it pays this session exactly. */
  async function onCapture(a: PaymentAttemptView, r: PaymentResult): Promise<void> {
    const expected = view.amount!;
    a.capture = { amount: r.amount, currency: r.currency };
    a.reason = null;
    a.reasonCode = null;
    const mismatch = r.currency !== expected.currency || !money(r.amount).equals(money(expected.gross));
    const keep = !mismatch && !isPaid() && !isTerminal(view.state);
    const note = mismatch
      ? `amount mismatch: captured ${r.amount} ${r.currency}, expected ${expected.gross} ${expected.currency}`
      : isPaid()
        ? 'duplicate capture: the session was already paid'
        : !keep
          ? `capture after the session was ${view.state}`
          : undefined;
    await book({
      ...ledgerBase(a, r.providerRef),
      // A mismatched capture is booked as what was taken; its VAT split is the session's only when it matches.
      ...(mismatch ? { gross: r.amount, net: r.amount, vat: '0.00', currency: r.currency } : amountParts()),
      kind: 'capture',
      idempotencyKey: `capture-${a.orderId}`,
      ...(note ? { note } : {}),
    });
    if (keep) {
      markPaid('card');
      return;
    }
    if (mismatch) {
      a.reasonCode = 'amount_mismatch';
      a.reason = 'The payment was taken with a wrong amount and is being refunded';
      needsOps('amount_mismatch', note!);
      if (currentAttempt() === a && !isPaid()) view.paymentStatus = 'declined';
    }
    await refundOrder(a, r.amount, r.currency, r.providerRef, note!);
  }

  /** The refund runs in its own workflow (unlimited retries, ops escalation), so it can outlive this session. */
  async function refundOrder(a: PaymentAttemptView, amount: string, currency: string, providerRef: string, reason: string): Promise<void> {
    await refundActs.startOrderRefund({ sessionId, orderId: a.orderId, provider: a.provider, providerRef, amount, currency, reason, source: ledgerSource() });
  }

  async function onMoneyReturned(a: PaymentAttemptView, outcome: 'refunded' | 'reversed' | 'chargeback', r: PaymentResult): Promise<void> {
    const kind = outcome === 'refunded' ? 'refund' : outcome === 'reversed' ? 'reversal' : 'chargeback';
    const booked = await acts.recordReturnedMoney({
      sessionId,
      orderId: a.orderId,
      provider: a.provider,
      source: ledgerSource(),
      kind,
      amount: r.amount,
      currency: r.currency,
      providerRef: r.providerRef,
    });
    if (!booked) return;
    a.returned = [...(a.returned ?? []), { kind, amount: booked.amount, reason: booked.note }];
    if (kind !== 'refund') needsOps(kind, `${kind} of ${booked.amount} ${r.currency} on order ${a.orderId}: ${booked.note}`);
  }

  /** Asks the provider about a started attempt; voids it when its time is up and the provider has nothing final. */
  async function settleWithProvider(a: PaymentAttemptView): Promise<void> {
    const ref = { provider: a.provider, orderId: a.orderId, providerRef: a.providerRef ?? '' };
    const due = checks.get(a.orderId) ?? { startedAt: Date.now(), done: 0, dueAt: 0 };
    try {
      let status = await settleActs.cardPaymentStatus(ref);
      if (status.outcome === 'pending' && (hasElapsed(a) || isTerminal(view.state) || isPaid())) {
        status = await settleActs.voidCardPayment(ref);
        if (status.outcome === 'voided') {
          const elapsed = !isTerminal(view.state) && !isPaid();
          status = elapsed
            ? { ...status, reason: 'Payment attempt expired before it was paid', reasonCode: 'attempt_expired' }
            : { ...status, reason: `Payment cancelled: the session is ${isPaid() ? 'already paid' : view.state}`, reasonCode: 'attempt_voided' };
        }
      }
      if (status.outcome !== 'pending') {
        await applyProviderResult({ ...status, outcome: status.outcome, orderId: a.orderId });
        return;
      }
    } catch (err) {
      log.warn('provider status check failed; asking again later', { sessionId, orderId: a.orderId, error: String(err) });
      if (due.done >= 6) needsOps('payment_unresolved', `attempt ${a.orderId} could not be settled with ${a.provider} yet: ${String(err)}`);
    }
    // Still open at the provider: ask again on the backing-off schedule, and at the latest when the attempt elapses.
    const next = due.startedAt + statusCheckOffsetMs(due.done + 1);
    const expiresAt = new Date(a.expiresAt).getTime();
    checks.set(a.orderId, { ...due, done: due.done + 1, dueAt: Math.max(expiresAt > Date.now() ? Math.min(next, expiresAt) : next, Date.now() + 1_000) });
  }

  /** The next moment the main loop must wake up by itself, or undefined to wait for messages only. */
  function nextWakeAt(): number | undefined {
    const times: number[] = [];
    for (const a of unresolvedAttempts()) if (a.status === 'started') times.push(checks.get(a.orderId)?.dueAt ?? Date.now());
    if (view.state === 'entering' && view.kind === 'barrier') times.push(startedAtMs + settings.entryTimeoutMs);
    if (view.state === 'entering' && view.kind === 'anpr') times.push(anprNextConnectAt);
    if (projectionDueAt !== undefined) times.push(projectionDueAt);
    const stale = staleAt();
    if (stale !== undefined) times.push(stale);
    return times.length ? Math.min(...times) : undefined;
  }

  /** stale-sessions: when this active or exiting session goes to ops if nothing moves it on; undefined: no clock. */
  function staleAt(): number | undefined {
    if (!staleClock || staleClock.done || (view.state !== 'active' && view.state !== 'exiting')) return undefined;
    // Asked only here, so the marker is recorded with the first deadline (sessions that never enter record none).
    if (!leanV4 && !patched(STALE_PATCH)) return undefined;
    return staleClock.from + staleLimitMs();
  }

  const staleLimitMs = () => (view.state === 'active' ? (settings.maxActiveMs ?? DEFAULT_MAX_ACTIVE_MS) : (settings.maxExitingMs ?? DEFAULT_MAX_EXITING_MS));

  /**
   * The deadline passed: once per period, the session goes to ops. The clock ends nothing: started attempts are
   * asked about now (the provider decides, as on their own schedule) and the session is only flagged.
   */
  async function flagStale(): Promise<boolean> {
    const clock = staleClock!;
    clock.done = true;
    const state = view.state;
    const limitMs = staleLimitMs();
    const limit = limitMs % 3_600_000 === 0 ? `${limitMs / 3_600_000} h` : limitMs % 60_000 === 0 ? `${limitMs / 60_000} min` : `${Math.round(limitMs / 1000)} s`;
    for (const a of unresolvedAttempts()) if (a.status === 'started') await settleWithProvider(a);
    if (isTerminal(view.state)) return true;
    if (view.attentionCode) {
      // Already in the ops queue: its own reason says more than "stale"; resolving it restarts this clock.
      log.info('stale session already needs ops', { sessionId, state, attention: view.attentionCode });
      return true;
    }
    const since = new Date(clock.from).toISOString();
    const what =
      state === 'active'
        ? 'no finalize or exit yet; nothing was charged'
        : isPaid()
          ? 'paid, but no exit was reported'
          : `not paid (payment ${view.paymentStatus}); nothing is charged or cancelled automatically`;
    needsOps('stale_session', `${state} since ${since}, longer than the ${limit} maximum: ${what}`);
    return true;
  }

  // ---- queries, validators, handlers (facts and requests only) ---------------------------------

  setHandler(sessionViewQuery, () => view);

  function enqueue<T>(make: (reply: Pending<T>) => Work): Promise<T> {
    const reply: Pending<T> = {};
    queue.push(make(reply));
    return condition(() => reply.result !== undefined).then(() => {
      const result = reply.result!;
      if (isRefusal(result)) throw ApplicationFailure.nonRetryable(result.refused, result.code);
      return result;
    });
  }

  setHandler(
    accessAttemptUpdate,
    ({ direction }) => enqueue<{ key: SmartKeyView; view: SessionView }>((reply) => ({ kind: 'access', direction, reply })),
    {
      validator: ({ direction, macAddress }) => {
        if (view.kind !== 'barrier') throw new Error('this parking has no barrier: access is by number plate');
        const key = direction === 'entrance' ? view.entranceKey : view.exitKey;
        if (!key) throw new Error('no exit key yet: finalize the parking session first');
        if (key.remainingTries <= 0) throw new Error(`the ${direction} smart key is spent (no tries left)`);
        if (direction === 'entrance' && view.state !== 'entering') throw new Error(`cannot enter: parking session is ${view.state}`);
        if (direction === 'exit') {
          if (view.state !== 'exiting') throw new Error(`cannot exit: parking session is ${view.state}`);
          // A payment result already queued ahead of this try counts: the app opens the gate the moment the driver
          // has paid, often in the same workflow task as the provider's callback. The loop checks again in order.
          if (view.paymentStatus !== 'paid' && !paidResultQueued()) throw new Error('cannot exit: the parking session is not paid yet');
        }
        const mac = macAddress.toUpperCase();
        if (!parking.accessPoints.some((p) => p.direction === direction && p.macAddress.toUpperCase() === mac)) {
          throw new Error(`unknown ${direction} access point ${macAddress} for parking ${parking.id}`);
        }
      },
    },
  );

  function paidResultQueued(): boolean {
    return queue.some((w) => w.kind === 'providerResult' && w.result.outcome === 'paid');
  }

  setHandler(gateEventSignal, (event) => void queue.push({ kind: 'gate', event }));
  setHandler(paymentResultSignal, (result) => void queue.push({ kind: 'providerResult', result }));
  setHandler(attentionSignal, (notice) => void queue.push({ kind: 'attention', notice }));
  setHandler(opsActionSignal, (action) => void queue.push({ kind: 'opsAction', action }));

  setHandler(finalizeUpdate, (req) => enqueue<SessionView>((reply) => ({ kind: 'finalize', req, reply })), {
    validator: (req) => {
      if (!(view.state === 'exiting' && isPaid())) {
        const refusal = finalizeRefusal(view.state, view.paymentStatus);
        if (refusal) throw new Error(refusal);
      }
      if (req.securedParkingId !== parking.id) {
        throw new Error(`parking session ${sessionId} belongs to parking ${parking.id}, not ${req.securedParkingId}`);
      }
      if (view.kind === 'anpr' && !view.amount) throw new Error('the parking has not ended yet: Autopay sends the cost when the car leaves');
    },
  });

  setHandler(startPaymentUpdate, () => enqueue<StartPaymentResult>((reply) => ({ kind: 'startPayment', reply })), {
    validator: () => {
      if (view.state !== 'exiting') throw new Error(`nothing to pay: parking session is ${view.state}`);
    },
  });

  setHandler(cancelUpdate, (req) => enqueue<SessionView>((reply) => ({ kind: 'cancel', req, reply })), {
    validator: (req) => {
      const refusal = cancelCheck(req);
      if (refusal) throw new Error(refusal);
    },
  });

  function cancelCheck(req: CancelRequest): string | null {
    if (req.by === 'driver') return cancelRefusal(view.state);
    if (isTerminal(view.state)) return `parking session is already ${view.state}`;
    if (isPaid()) return 'parking session is paid: refund it instead of cancelling';
    return null;
  }

  setHandler(autopayEndedSignal, (e) => {
    if (!autopayEnded && !autopayCancelled) autopayEnded = e;
  });
  setHandler(autopayCancelledSignal, () => {
    if (!autopayEnded) autopayCancelled = true;
  });
  setHandler(requestManualStopUpdate, ({ endTime }) => enqueue<SessionView>((reply) => ({ kind: 'manualStop', endTime, reply })), {
    validator: (_req) => {
      if (view.kind !== 'anpr' || !view.anpr?.autopayParkingId) throw new Error('manual stop is only for connected Autopay parkings');
      if (view.state !== 'active' || autopayEnded) throw new Error(`parking session is ${view.state}: nothing to stop`);
    },
  });

  // ---- the main loop ---------------------------------------------------------------------------

  if (lean) seedPublished();
  await publish();
  for (;;) {
    const settled = () => isTerminal(view.state) && unresolvedAttempts().length === 0 && queue.length === 0;
    const wakeAt = nextWakeAt();
    const ready = () => queue.length > 0 || settled() || anprEventWaiting();
    if (!ready()) {
      if (leanV4) await waitKeepingTimers(ready, wakeAt);
      else if (lean) await waitUntil(ready, wakeAt);
      else if (wakeAt === undefined) await condition(ready);
      else if (wakeAt > Date.now()) await condition(ready, wakeAt - Date.now());
    }
    if (settled()) break;
    let changed = false;
    const work = queue.shift();
    let answer: (() => void) | undefined;
    if (work) [changed, answer] = await handle(work);
    changed = (await runDueLifecycle()) || changed;
    if (projectionDueAt !== undefined && Date.now() >= projectionDueAt) changed = true;
    // The read model is written before the caller hears back: the next request (a gate, a list) finds it.
    if (changed || pendingLedger.length > 0) await publish();
    answer?.();
  }
  await flushLedger();
  // A closed session's last view must reach the read model: lists and reports read it once the history is gone.
  while (projectionDueAt !== undefined) {
    await sleep(PROJECTION_RETRY_MS);
    await publish();
  }
  await condition(allHandlersFinished);
  return view;

  /**
   * lean-v3: waits for work or the next wake-up. The timer is kept across messages while its deadline holds (a
   * gate's access attempt does not cancel and restart the entry timeout), and cancelled once it is not needed.
   */
  async function waitUntil(ready: () => boolean, wakeAt: number | undefined): Promise<void> {
    if (alarm && alarm.at !== wakeAt) {
      if (!alarm.rang) alarm.scope.cancel();
      alarm = undefined;
    }
    if (wakeAt !== undefined && wakeAt <= Date.now()) return;
    if (wakeAt !== undefined && !alarm) {
      const next = { at: wakeAt, rang: false, scope: new CancellationScope() };
      next.scope.run(() => sleep(wakeAt - Date.now())).then(
        () => void (next.rang = true),
        () => undefined, // cancelled: a newer deadline replaced it
      );
      alarm = next;
    }
    await condition(() => ready() || alarm?.rang === true);
    if (alarm?.rang) alarm = undefined;
  }

  /**
   * lean-v4: as waitUntil, but a timer whose deadline is still ahead is kept when a nearer deadline comes (the nearer
   * one gets a timer of its own), so it is not started again once the nearer one is gone: the stale clock's deadline
   * keeps its one timer across the status checks and the payment. There is always a timer at the next deadline, and
   * none rings for nothing: one earlier than the next deadline is cancelled (one event; ringing would cost a workflow
   * task, four). Timers still pending when the workflow completes cost no event.
   */
  async function waitKeepingTimers(ready: () => boolean, wakeAt: number | undefined): Promise<void> {
    timers = timers.filter((t) => !t.rang);
    if (wakeAt !== undefined && wakeAt <= Date.now()) return;
    for (const t of timers) if (wakeAt === undefined || t.at < wakeAt) t.scope.cancel();
    timers = timers.filter((t) => wakeAt !== undefined && t.at >= wakeAt);
    if (wakeAt !== undefined && !timers.some((t) => t.at === wakeAt)) {
      const next = { at: wakeAt, rang: false, scope: new CancellationScope() };
      next.scope.run(() => sleep(wakeAt - Date.now())).then(
        () => void (next.rang = true),
        () => undefined, // cancelled: its deadline went
      );
      timers.push(next);
    }
    await condition(() => ready() || timers.some((t) => t.rang));
  }

  function anprEventWaiting(): boolean {
    return view.kind === 'anpr' && view.state === 'active' && (autopayEnded !== null || autopayCancelled);
  }

  /** Time-driven and callback-driven steps: entry timeout, ANPR connect and end, settling started attempts. */
  async function runDueLifecycle(): Promise<boolean> {
    let changed = false;
    const now = Date.now();
    if (view.kind === 'barrier' && view.state === 'entering' && now >= startedAtMs + settings.entryTimeoutMs) {
      changed = setState('expired', 'no entry before the entrance key timed out') || changed;
    }
    if (view.kind === 'anpr' && view.state === 'entering' && now >= anprNextConnectAt) changed = (await connectAnpr()) || changed;
    if (anprEventWaiting()) changed = (await endAnpr()) || changed;
    // Before the attempts' own schedule: the stale check asks about them itself.
    const staleDue = staleAt();
    if (staleDue !== undefined && now >= staleDue) changed = (await flagStale()) || changed;
    for (const a of unresolvedAttempts()) {
      if (a.status !== 'started') continue;
      if (now < (checks.get(a.orderId)?.dueAt ?? now)) continue;
      const before = JSON.stringify(a);
      await settleWithProvider(a);
      changed = JSON.stringify(a) !== before || changed;
    }
    return changed;
  }

  /** Runs one queued item; answers (for updates) are given after the read model is written. */
  async function handle(work: Work): Promise<[boolean, (() => void) | undefined]> {
    // A snapshot: the loop may change the view again before the caller's answer is serialised.
    const reply =
      <T>(pending: Pending<T>, result: T | Refusal) =>
      () =>
        void (pending.result = JSON.parse(JSON.stringify(result)) as T | Refusal);
    switch (work.kind) {
      case 'gate':
        return [onGate(work.event), undefined];
      case 'providerResult':
        await applyProviderResult(work.result);
        return [true, undefined];
      case 'attention':
        needsOps(work.notice.code, work.notice.message);
        return [true, undefined];
      case 'opsAction':
        return [onOpsAction(work.action), undefined];
      case 'access': {
        const key = work.direction === 'entrance' ? view.entranceKey : view.exitKey;
        if (!key || key.remainingTries <= 0) return [false, reply(work.reply, { refused: `the ${work.direction} smart key cannot be used now`, code: 'InvalidState' })];
        // Accepted on a queued payment result (see the validator): that result has run by now; it may not have paid.
        if (work.direction === 'exit' && view.paymentStatus !== 'paid') return [false, reply(work.reply, { refused: 'cannot exit: the parking session is not paid yet', code: 'InvalidState' })];
        key.remainingTries -= 1;
        // lean-v3: a try is answered from the update's result; the read model catches up with the gate event that
        // follows, and at once when the key is spent.
        return [lean ? key.remainingTries === 0 : true, reply(work.reply, { key, view })];
      }
      case 'finalize':
        return [true, reply(work.reply, await finalize(work.req))];
      case 'startPayment':
        return [true, reply(work.reply, await startPayment())];
      case 'cancel': {
        const refusal = cancelCheck(work.req);
        if (refusal) return [false, reply(work.reply, { refused: refusal, code: 'InvalidState' })];
        setState('cancelled', work.req.reason ? `cancelled by ${work.req.by}: ${work.req.reason}` : `cancelled by ${work.req.by}`);
        return [true, reply(work.reply, view)];
      }
      case 'manualStop':
        return [false, reply(work.reply, await manualStop(work.endTime))];
    }
  }

  function clampGateTime(occurredAt: string | undefined): string {
    const skew = settings.gateClockSkewMs ?? DEFAULT_GATE_SKEW_MS;
    const now = Date.now();
    if (!occurredAt) return new Date(now).toISOString();
    const t = new Date(occurredAt).getTime();
    const earliest = new Date(view.createdAt).getTime() - skew;
    if (Number.isNaN(t)) return new Date(now).toISOString();
    return new Date(Math.min(Math.max(t, earliest), now + skew, now)).toISOString();
  }

  function onGate({ direction, occurredAt }: GateEvent): boolean {
    if (direction === 'entrance' && view.state === 'entering') {
      view.startTime = clampGateTime(occurredAt);
      return setState('active');
    }
    if (direction === 'exit' && view.state === 'exiting' && view.paymentStatus === 'paid') return setState('closed', 'exited');
    if (direction === 'exit' && !isTerminal(view.state) && view.paymentStatus !== 'paid') {
      needsOps('exit_unpaid', `the gate reported an exit while the session was ${view.state}/${view.paymentStatus}`);
      return true;
    }
    log.warn('gate event ignored', { sessionId, direction, state: view.state });
    return false;
  }

  /** No command of its own: a resolve clears the hold, a retry makes settlement due now (the loop does the asking). */
  function onOpsAction(action: OpsAction): boolean {
    view.lastOpsAction = { ...action, at: nowIso(), attentionCode: view.attentionCode ?? null };
    if (action.action === 'resolve') {
      view.attentionCode = null;
      view.attention = null;
      // A person looked after the deadline: the session gets another full period before it comes back to ops.
      if (staleClock?.done) staleClock = { from: Date.now(), done: false };
    } else {
      hurrySettlement();
    }
    return true;
  }

  async function finalize(req: FinalizeRequest): Promise<SessionView | Refusal> {
    // Re-checked in the loop: a cancel or another finalize may have run since the validator.
    if (req.securedParkingId !== parking.id) return { refused: 'parking mismatch', code: 'InvalidState' };
    if (view.state === 'exiting' && isPaid()) return view; // a retried finalize: same answer
    const refusal = finalizeRefusal(view.state, view.paymentStatus);
    if (refusal) return { refused: refusal, code: 'InvalidState' };
    if (view.state === 'active') {
      const endTime = nowIso();
      const startTime = view.startTime ?? view.createdAt;
      let amount;
      try {
        amount = await (lean ? priceActs : acts).priceSession({ parkingId: parking.id, startTime, endTime });
      } catch (err) {
        const final = failureType(err) === 'PricingRejected' || failureType(err) === 'NotFound';
        if (lean && !final) return { refused: 'the price could not be worked out right now, try again in a minute', code: 'ProviderUnavailable' };
        needsOps('pricing_failed', `the stay ${startTime} → ${endTime} could not be priced: ${String(err)}`);
        return { refused: 'this parking could not be priced: an operator will settle it', code: 'NeedsOps' };
      }
      if (isTerminal(view.state)) return { refused: `parking session is ${view.state}`, code: 'InvalidState' };
      view.amount = amount;
      view.endTime = endTime;
      setState('exiting');
      view.exitKey = newKey('exit');
      const stayMs = new Date(endTime).getTime() - new Date(startTime).getTime();
      if (settings.maxStayMs !== undefined && stayMs > settings.maxStayMs) {
        needsOps('stay_too_long', `a stay of ${Math.round(stayMs / 60_000)} minutes is above the maximum; not charged automatically`);
        return view;
      }
      if (settings.maxAmount !== undefined && money(amount.gross).gt(money(settings.maxAmount))) {
        needsOps('amount_above_cap', `${amount.gross} ${amount.currency} is above the cap ${settings.maxAmount}; not charged automatically`);
        return view;
      }
      if (money(amount.gross).isZero()) markPaid('free');
      else openAttempt();
      return view;
    }
    await usableAttempt();
    return view;
  }

  /**
   * The attempt a payable session pays with. An unexpired started attempt is reused; an older one that is still
   * open at the provider is settled (asked, then voided) before a new one opens: never two live orders at once.
   */
  async function usableAttempt(): Promise<PaymentAttemptView | null> {
    if (view.attentionCode === 'stay_too_long' || view.attentionCode === 'amount_above_cap') return null;
    for (const a of unresolvedAttempts()) {
      if (a.status === 'open' && !hasElapsed(a)) return a;
      if (a.status === 'open') transitionAttempt(a, { type: 'elapsed' });
      else if (hasElapsed(a)) await settleWithProvider(a);
      else return a;
    }
    if (isPaid()) return null;
    if (unresolvedAttempts().length > 0) return null; // the provider could not be reached to settle it: not yet
    return openAttempt();
  }

  async function startPayment(): Promise<StartPaymentResult | Refusal> {
    if (view.state !== 'exiting') return { refused: `nothing to pay: parking session is ${view.state}`, code: 'InvalidState' };
    if (isPaid() || !view.amount) return { attempt: null, view };
    const a = await usableAttempt();
    if (!a) {
      if (isPaid()) return { attempt: null, view };
      if (view.attentionCode) return { refused: 'this parking needs an operator before it can be paid', code: 'NeedsOps' };
      return { refused: 'the payment provider is unavailable, try again in a minute', code: 'ProviderUnavailable' };
    }
    if (a.status === 'open') {
      try {
        const started = await payPageActs.startCardPayment({
          sessionId,
          orderId: a.orderId,
          provider: a.provider,
          amount: view.amount.gross,
          currency: view.amount.currency,
          description: `Parking ${parking.name}, session ${sessionId}`,
        });
        a.providerRef = started.providerRef;
        a.redirectUrl = started.redirectUrl;
        transitionAttempt(a, { type: 'started' });
        const expiresAt = new Date(a.expiresAt).getTime();
        checks.set(a.orderId, { startedAt: Date.now(), done: 0, dueAt: Math.min(Date.now() + statusCheckOffsetMs(0), expiresAt) });
      } catch (err) {
        // The provider may still have opened the order: the attempt stays open and the same order id resumes it.
        log.warn('card payment start failed', { sessionId, orderId: a.orderId, error: String(err) });
        const refusedByProvider = failureType(err) === 'CardProviderRejected';
        return {
          refused: refusedByProvider ? 'the payment provider refused this payment' : 'the payment provider is unavailable, try again in a minute',
          code: refusedByProvider ? 'CardProviderRejected' : 'ProviderUnavailable',
        };
      }
      await book({
        ...ledgerBase(a, a.providerRef),
        ...amountParts(),
        kind: 'attempt',
        idempotencyKey: `attempt-${a.orderId}`,
      });
    }
    return { attempt: a, view };
  }

  // ---- Autopay (ANPR) ----------------------------------------------------------------------------

  async function connectAnpr(): Promise<boolean> {
    const anpr = input.anpr!;
    try {
      const connected = await autopayActs.autopayConnect({ ...anpr, reference: String(sessionId) });
      view.anpr = { ...anpr, autopayParkingId: connected.autopayParkingId };
      view.startTime = connected.startTime;
      view.notice = null;
      anprNextConnectAt = Infinity;
      return setState('active');
    } catch (err) {
      const reason = driverReason(err);
      const window = settings.anprConnectWindowMs ?? DEFAULT_ANPR_CONNECT_WINDOW_MS;
      if (reason.retry && Date.now() + ANPR_CONNECT_RETRY_MS < startedAtMs + window) {
        view.notice = reason.message;
        anprNextConnectAt = Date.now() + ANPR_CONNECT_RETRY_MS;
        return true;
      }
      anprNextConnectAt = Infinity;
      view.notice = reason.message;
      needsOps('autopay_refused', reason.message);
      return setState('cancelled', reason.message);
    }
  }

  async function endAnpr(): Promise<boolean> {
    if (autopayCancelled) return setState('cancelled', 'cancelled by Autopay');
    const ended = autopayEnded!;
    autopayEnded = null;
    const { cost } = ended;
    if (cost.currency !== parking.currency || !addsUp(cost.net, cost.vat, cost.gross)) {
      needsOps('autopay_cost_rejected', `Autopay cost rejected: ${cost.net} + ${cost.vat} ${cost.currency} vs ${cost.gross} ${parking.currency}`);
      return true; // waits for ops (cancel) instead of charging a wrong amount
    }
    // Decide how to charge before any of it becomes visible: queries never see a half-priced session.
    const agreement = money(cost.gross).isZero() ? null : await acts.findActiveVippsAgreement({ driverId: view.driverId });
    view.endTime = ended.endTime;
    view.amount = { gross: cost.gross, net: cost.net, vat: cost.vat, vatPercent: cost.vatPercent, currency: cost.currency };
    setState('exiting');
    if (money(cost.gross).isZero()) {
      markPaid('free');
    } else if (agreement) {
      await acts.addVippsUsage({
        agreementId: agreement.agreementId,
        usage: {
          sessionId: String(sessionId),
          source: 'autopay',
          occurredAt: ended.endTime,
          gross: cost.gross,
          net: cost.net,
          vat: cost.vat,
          vatPercent: cost.vatPercent,
          currency: cost.currency,
          description: `Parking ${parking.name}`,
        },
      });
      markPaid('vipps');
    } else {
      openAttempt();
    }
    return true;
  }

  async function manualStop(endTime: string): Promise<SessionView | Refusal> {
    if (view.state !== 'active' || autopayEnded) return { refused: `parking session is ${view.state}: nothing to stop`, code: 'InvalidState' };
    try {
      await autopayActs.autopayManualStop({
        operatorId: view.anpr!.operatorId,
        autopayParkingId: view.anpr!.autopayParkingId!,
        reference: String(sessionId),
        endTime,
      });
    } catch (err) {
      return { refused: driverReason(err).message, code: 'AutopayRejected' };
    }
    return view;
  }
}

/** The ApplicationFailure type an activity failed with, if any. */
function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

/** Autopay's refusals in words a driver understands; never the SDK's wording. */
function driverReason(err: unknown): { message: string; retry: boolean } {
  const type = failureType(err);
  const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
  const details = (cause?.details?.[0] ?? {}) as { errorId?: string };
  if (type === 'AutopayNotSeen') {
    return { message: 'The camera has not seen your car yet: we keep trying for a few minutes after you drive in.', retry: true };
  }
  if (type === 'AutopayRejected') {
    switch (details.errorId) {
      case 'operator_not_found_error':
        return { message: 'This parking is not available for app payment right now.', retry: false };
      case 'forbidden':
      case 'authentication_error':
      case 'missing_operator_token_error':
        return { message: 'The parking operator could not be reached for this parking. Please try again later.', retry: false };
      default:
        return { message: 'The parking operator refused this parking. Please check the plate and parking area.', retry: false };
    }
  }
  return { message: 'The parking operator is not reachable right now: we keep trying.', retry: true };
}
