/**
 * FROZEN: the session workflow as it ran before settlement-v2 (see parking-session.ts). Sessions started by that
 * code replay and finish on it; nothing here may change until `patched('settlement-v2')` is deprecated.
 *
 * One parking session, from the entrance key to the closed (or cancelled / expired) session.
 * Barrier parkings: entry → finalize (price, pay link, exit key) → card payment → exit.
 * ANPR parkings (Autopay): connect_parking → Autopay's success or cancel callback → charge → closed.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  log,
} from '@temporalio/workflow';
import type { SessionActivities } from '../activities/contracts';
import { addsUp } from '../src/domain/vat';
import { money } from '../src/domain/money';
import { cancelRefusal, finalizeRefusal, isTerminal, type SessionState } from '../src/domain/session';
import {
  accessAttemptUpdate,
  autopayCancelledSignal,
  autopayEndedSignal,
  cancelUpdate,
  finalizeUpdate,
  gateEventSignal,
  paymentResultSignal,
  requestManualStopUpdate,
  sessionViewQuery,
  startPaymentUpdate,
  type AutopayEnded,
  type Direction,
  type ParkingSessionInput,
  type PaymentAttemptView,
  type PaymentResult,
  type SessionView,
  type SmartKeyView,
} from './messages';
import { SA_AMOUNT, SA_PARKING_ID, SA_PAYMENT_STATUS, SA_PLATE, SA_SESSION_ID, SA_STATE } from './search-attributes';

const acts = proxyActivities<SessionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

// Provider calls fail for business reasons too (unknown operator, declined): those must not retry for ever.
const providerActs = proxyActivities<SessionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['AutopayRejected', 'CardProviderRejected'],
  },
});

const nowIso = () => new Date(Date.now()).toISOString();

export async function parkingSessionV1(input: ParkingSessionInput): Promise<SessionView> {
  const { sessionId, parking, settings } = input;
  let version = 0;
  let busy = false;
  let autopayEnded: AutopayEnded | null = null;
  let autopayCancelled = false;

  const newKey = (direction: Direction): SmartKeyView => ({
    id: sessionId * 10 + (direction === 'entrance' ? 1 : 2),
    direction,
    accessCommand: uuid4().replace(/-/g, ''),
    remainingTries: settings.smartKeyTries,
    startTime: nowIso(),
    endTime: null,
  });

  const view: SessionView = {
    sessionId,
    driverId: input.driverId,
    kind: input.kind,
    parkingId: parking.id,
    state: 'entering',
    paymentStatus: 'none',
    paidVia: null,
    createdAt: input.createdAt,
    startTime: null,
    endTime: null,
    amount: null,
    entranceKey: newKey('entrance'),
    exitKey: null,
    attempts: [],
    plate: input.anpr?.vehicleReg ?? null,
    anpr: input.anpr ? { ...input.anpr, autopayParkingId: null } : null,
    attention: null,
    closedReason: null,
  };

  /** Serialises handlers that run activities, so two finalizes can never price or open attempts twice. */
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  }

  async function publish(): Promise<void> {
    version += 1;
    upsertSearchAttributes([
      { key: SA_SESSION_ID, value: sessionId },
      { key: SA_PARKING_ID, value: parking.id },
      { key: SA_STATE, value: view.state },
      { key: SA_PAYMENT_STATUS, value: view.paymentStatus },
      ...(view.plate ? [{ key: SA_PLATE, value: view.plate }] : []),
      ...(view.amount ? [{ key: SA_AMOUNT, value: Number(view.amount.gross) }] : []),
    ]);
    await acts.projectSession({ ...view, version });
  }

  function setState(to: SessionState, reason?: string): void {
    view.state = to;
    if (isTerminal(to)) {
      view.closedReason = reason ?? to;
      for (const key of [view.entranceKey, view.exitKey]) if (key && !key.endTime) key.endTime = nowIso();
    }
  }

  const currentAttempt = (): PaymentAttemptView | undefined => view.attempts[view.attempts.length - 1];

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
    };
    view.attempts.push(a);
    view.paymentStatus = 'pending';
    void expireLater(a);
    return a;
  }

  async function expireLater(a: PaymentAttemptView): Promise<void> {
    await sleep(settings.paymentAttemptTtlMs);
    if ((a.status === 'open' || a.status === 'started') && view.paymentStatus !== 'paid' && !isTerminal(view.state)) {
      a.status = 'expired';
      a.reason = 'Payment attempt expired before it was paid';
      a.reasonCode = 'attempt_expired';
      if (currentAttempt() === a) view.paymentStatus = 'expired';
      await publish();
    }
  }

  /** A payable session needs a usable attempt: reuse the open one, or a fresh one (same amount) after a failure. */
  function usableAttempt(): PaymentAttemptView {
    const a = currentAttempt();
    if (a && (a.status === 'open' || a.status === 'started')) return a;
    return openAttempt();
  }

  function markPaid(via: 'card' | 'vipps' | 'free'): void {
    view.paymentStatus = via === 'vipps' ? 'billed' : 'paid';
    view.paidVia = via;
    if (view.kind === 'anpr') setState('closed', via === 'vipps' ? 'billed_to_vipps' : 'paid');
  }

  // ---- queries -------------------------------------------------------------------------------
  setHandler(sessionViewQuery, () => view);

  // ---- gate and smart keys ---------------------------------------------------------------------
  setHandler(
    accessAttemptUpdate,
    async ({ direction }) => {
      const key = direction === 'entrance' ? view.entranceKey : view.exitKey!;
      key.remainingTries -= 1;
      await publish();
      return { key, view };
    },
    {
      validator: ({ direction, macAddress }) => {
        if (view.kind !== 'barrier') throw new Error('this parking has no barrier: access is by number plate');
        const key = direction === 'entrance' ? view.entranceKey : view.exitKey;
        if (!key) throw new Error('no exit key yet: finalize the parking session first');
        if (key.remainingTries <= 0) throw new Error(`the ${direction} smart key is spent (no tries left)`);
        if (direction === 'entrance' && view.state !== 'entering') throw new Error(`cannot enter: parking session is ${view.state}`);
        if (direction === 'exit') {
          if (view.state !== 'exiting') throw new Error(`cannot exit: parking session is ${view.state}`);
          if (view.paymentStatus !== 'paid') throw new Error('cannot exit: the parking session is not paid yet');
        }
        const mac = macAddress.toUpperCase();
        if (!parking.accessPoints.some((p) => p.direction === direction && p.macAddress.toUpperCase() === mac)) {
          throw new Error(`unknown ${direction} access point ${macAddress} for parking ${parking.id}`);
        }
      },
    },
  );

  setHandler(gateEventSignal, async ({ direction, occurredAt }) => {
    if (direction === 'entrance' && view.state === 'entering') {
      setState('active');
      view.startTime = occurredAt ?? nowIso();
      await publish();
    } else if (direction === 'exit' && view.state === 'exiting' && view.paymentStatus === 'paid') {
      setState('closed', 'exited');
      await publish();
    } else {
      log.warn('gate event ignored', { sessionId, direction, state: view.state });
    }
  });

  // ---- finalize and payment --------------------------------------------------------------------
  setHandler(
    finalizeUpdate,
    (req) =>
      exclusive(async () => {
        // Re-checked under the lock: a concurrent finalize may have changed the state since validation.
        const refusal = finalizeRefusal(view.state, view.paymentStatus);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'InvalidState');
        if (req.securedParkingId !== parking.id) throw ApplicationFailure.nonRetryable('parking mismatch', 'InvalidState');
        if (view.state === 'active') {
          const endTime = nowIso();
          view.amount = await acts.priceSession({ parkingId: parking.id, startTime: view.startTime ?? view.createdAt, endTime });
          view.endTime = endTime;
          setState('exiting');
          view.exitKey = newKey('exit');
          if (money(view.amount.gross).isZero()) markPaid('free');
          else openAttempt();
        } else {
          usableAttempt();
        }
        await publish();
        return view;
      }),
    {
      validator: (req) => {
        const refusal = finalizeRefusal(view.state, view.paymentStatus);
        if (refusal) throw new Error(refusal);
        if (req.securedParkingId !== parking.id) {
          throw new Error(`parking session ${sessionId} belongs to parking ${parking.id}, not ${req.securedParkingId}`);
        }
        if (view.kind === 'anpr' && !view.amount) throw new Error('the parking has not ended yet: Autopay sends the cost when the car leaves');
      },
    },
  );

  setHandler(
    startPaymentUpdate,
    () =>
      exclusive(async () => {
        if (view.paymentStatus === 'paid' || view.paymentStatus === 'billed' || !view.amount) return { attempt: null, view };
        const a = usableAttempt();
        if (a.status === 'open') {
          const started = await providerActs.startCardPayment({
            sessionId,
            orderId: a.orderId,
            provider: a.provider,
            amount: view.amount.gross,
            currency: view.amount.currency,
            description: `Parking ${parking.name}, session ${sessionId}`,
          });
          a.providerRef = started.providerRef;
          a.redirectUrl = started.redirectUrl;
          a.status = 'started';
          await acts.recordLedgerEntry({
            idempotencyKey: `attempt-${a.orderId}`,
            kind: 'attempt',
            source: view.kind === 'anpr' ? 'autopay' : 'barrier',
            provider: a.provider,
            sessionId: String(sessionId),
            ...amountParts(),
            occurredAt: nowIso(),
            providerRefs: { orderId: a.orderId, providerRef: started.providerRef },
          });
          await publish();
        }
        return { attempt: a, view };
      }),
    {
      validator: () => {
        if (view.state !== 'exiting') throw new Error(`nothing to pay: parking session is ${view.state}`);
      },
    },
  );

  const amountParts = () => ({
    gross: view.amount!.gross,
    net: view.amount!.net,
    vat: view.amount!.vat,
    currency: view.amount!.currency,
  });

  setHandler(paymentResultSignal, (result) => exclusive(() => applyPaymentResult(result)));

  async function applyPaymentResult(r: PaymentResult): Promise<void> {
    const a = view.attempts.find((x) => x.orderId === r.orderId);
    if (!a || !view.amount) {
      log.warn('payment result for an unknown attempt ignored', { sessionId, orderId: r.orderId });
      return;
    }
    if (a.status === 'paid') return; // duplicate notification
    const ledgerBase = {
      source: view.kind === 'anpr' ? ('autopay' as const) : ('barrier' as const),
      provider: a.provider,
      sessionId: String(sessionId),
      occurredAt: nowIso(),
      providerRefs: { orderId: a.orderId, providerRef: r.providerRef },
    };
    if (r.outcome === 'paid') {
      if (!money(r.amount).equals(money(view.amount.gross)) || r.currency !== view.amount.currency) {
        view.attention = `attempt ${a.orderId} captured ${r.amount} ${r.currency}, expected ${view.amount.gross} ${view.amount.currency}`;
      }
      a.status = 'paid';
      a.reason = null;
      a.reasonCode = null;
      const capture = { ...ledgerBase, ...amountParts(), gross: r.amount, currency: r.currency, kind: 'capture' as const };
      if (view.paymentStatus === 'paid') {
        // Two attempts both captured (the driver paid an old tab as well): book it and give it back.
        await acts.recordLedgerEntry({ ...capture, idempotencyKey: `capture-${a.orderId}`, note: 'duplicate capture' });
        const refund = await providerActs.refundCardPayment({
          sessionId,
          orderId: a.orderId,
          provider: a.provider,
          providerRef: r.providerRef,
          amount: r.amount,
          currency: r.currency,
          idempotencyKey: `${a.orderId}-dup-refund`,
        });
        await acts.recordLedgerEntry({
          ...capture,
          kind: 'refund',
          idempotencyKey: `refund-${a.orderId}-dup`,
          providerRefs: { ...capture.providerRefs, refundRef: refund.refundRef },
          note: 'automatic refund of a duplicate capture',
        });
      } else {
        await acts.recordLedgerEntry({ ...capture, idempotencyKey: `capture-${a.orderId}` });
        markPaid('card');
      }
    } else if (a.status === 'open' || a.status === 'started') {
      a.status = r.outcome === 'expired' ? 'expired' : 'declined';
      a.reason = r.reason ?? (r.outcome === 'expired' ? 'Payment expired' : 'Payment declined');
      a.reasonCode = r.reasonCode ?? r.outcome;
      if (currentAttempt() === a && view.paymentStatus !== 'paid') view.paymentStatus = a.status;
      await acts.recordLedgerEntry({ ...ledgerBase, ...amountParts(), kind: 'decline', idempotencyKey: `decline-${a.orderId}`, note: a.reason });
    } else {
      return; // a late failure for an attempt that already ended changes nothing
    }
    await publish();
  }

  // ---- cancel ----------------------------------------------------------------------------------
  setHandler(
    cancelUpdate,
    async (req) => {
      setState('cancelled', `cancelled by ${req.by}: ${req.reason}`);
      await publish();
      return view;
    },
    {
      validator: (req) => {
        if (req.by === 'driver') {
          const refusal = cancelRefusal(view.state);
          if (refusal) throw new Error(refusal);
        } else if (isTerminal(view.state)) {
          throw new Error(`parking session is already ${view.state}`);
        } else if (view.paymentStatus === 'paid') {
          throw new Error('parking session is paid: refund it instead of cancelling');
        }
      },
    },
  );

  // ---- Autopay (ANPR) --------------------------------------------------------------------------
  setHandler(autopayEndedSignal, (e) => {
    if (!autopayEnded && !autopayCancelled) autopayEnded = e;
  });
  setHandler(autopayCancelledSignal, () => {
    if (!autopayEnded) autopayCancelled = true;
  });
  setHandler(
    requestManualStopUpdate,
    async ({ endTime }) => {
      await providerActs.autopayManualStop({
        operatorId: view.anpr!.operatorId,
        autopayParkingId: view.anpr!.autopayParkingId!,
        reference: String(sessionId),
        endTime,
      });
      return view;
    },
    {
      validator: (_req) => {
        if (view.kind !== 'anpr' || !view.anpr?.autopayParkingId) throw new Error('manual stop is only for connected Autopay parkings');
        if (view.state !== 'active' || autopayEnded) throw new Error(`parking session is ${view.state}: nothing to stop`);
      },
    },
  );

  // ---- lifecycle -------------------------------------------------------------------------------
  await publish();
  if (input.kind === 'anpr') await runAnpr();
  else await runBarrier();
  await condition(() => isTerminal(view.state));
  await condition(allHandlersFinished);
  return view;

  async function runBarrier(): Promise<void> {
    const entered = await condition(() => view.state !== 'entering', settings.entryTimeoutMs);
    if (!entered) {
      setState('expired', 'no entry before the entrance key timed out');
      await publish();
    }
  }

  async function runAnpr(): Promise<void> {
    const anpr = input.anpr!;
    try {
      const connected = await providerActs.autopayConnect({ ...anpr, reference: String(sessionId) });
      view.anpr = { ...anpr, autopayParkingId: connected.autopayParkingId };
      view.startTime = connected.startTime;
      setState('active');
    } catch (err) {
      setState('cancelled', `Autopay refused the parking: ${(err as Error).message}`);
      view.attention = view.closedReason;
    }
    await publish();
    if (view.state !== 'active') return;

    await condition(() => autopayEnded !== null || autopayCancelled || isTerminal(view.state));
    if (isTerminal(view.state)) return;
    if (autopayCancelled) {
      setState('cancelled', 'cancelled by Autopay');
      await publish();
      return;
    }
    const ended = autopayEnded!;
    const { cost } = ended;
    if (cost.currency !== parking.currency || !addsUp(cost.net, cost.vat, cost.gross)) {
      view.attention = `Autopay cost rejected: ${cost.net} + ${cost.vat} ${cost.currency} vs ${cost.gross} ${parking.currency}`;
      await publish();
      return; // waits for ops (cancel) instead of charging a wrong amount
    }
    await exclusive(async () => {
      // Decide how to charge before any of it becomes visible: queries never see a half-priced session.
      const agreement = money(cost.gross).isZero() ? null : await acts.findActiveVippsAgreement({ driverId: view.driverId });
      view.endTime = ended.endTime;
      view.amount = { gross: cost.gross, net: cost.net, vat: cost.vat, vatPercent: cost.vatPercent, currency: cost.currency };
      setState('exiting');
      if (money(cost.gross).isZero()) {
        markPaid('free');
      } else {
        if (agreement) {
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
              description: `Parking ${parking.name} ${view.plate ?? ''}`.trim(),
            },
          });
          markPaid('vipps');
        } else {
          openAttempt();
        }
      }
      await publish();
    });
  }
}
