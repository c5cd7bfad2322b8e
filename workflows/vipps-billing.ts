/**
 * Daily Vipps pay-as-you-go billing for one agreement (workflow id vipps-billing-<agreementId>).
 * Usage arrives by the 'addUsage' signal (signalWithStart from finished sessions). After each local
 * midnight in the merchant's zone the closed days' usage becomes ONE DIRECT_CAPTURE charge, capped at
 * the agreement's limit; the charge is followed by webhook prompts and by polling until CHARGED
 * (ledger + receipt) or FAILED (carried to later days, then handed to ops). See docs/VIPPS.md.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LedgerEntryInput, SessionActivities } from '../activities/contracts';
import type { VippsBillingActivities, VippsChargeSnapshot } from '../activities/vipps-billing';
import { addDays, endOfLocalDay, localDay } from '../src/domain/calendar';
import { money } from '../src/domain/money';
import {
  MIN_CHARGE,
  capAtLimit,
  chargeDescription,
  fnv1a32,
  totals,
  vippsChargeKey,
  type BillingLine,
} from '../src/domain/vipps-billing';
import { addVippsUsageSignal, type VippsUsage } from './messages';
import {
  VIPPS_CHARGE_REJECTED,
  VIPPS_NOT_FOUND,
  agreementStatusSignal,
  billNowSignal,
  billingStateQuery,
  chargeEventSignal,
  type VippsBillingInput,
  type VippsBillingState,
  type VippsChargeRecord,
  type VippsOpsDebt,
} from './vipps-billing-messages';

type Acts = VippsBillingActivities & Pick<SessionActivities, 'recordLedgerEntry'>;

// Settings, agreement read-back and the ledger: retried until they work (the ledger is idempotent).
const acts = proxyActivities<Acts>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
// Creating a charge: retried without limit with the SAME key (a lost response must never become a second
// charge under a new key); only a permanent Vipps answer stops it.
const chargeActs = proxyActivities<Acts>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '10 minutes',
    backoffCoefficient: 2,
    nonRetryableErrorTypes: [VIPPS_CHARGE_REJECTED, VIPPS_NOT_FOUND],
  },
});
// Reads and receipts: bounded; the next poll or loop tries again.
const readActs = proxyActivities<Acts>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 8, nonRetryableErrorTypes: [VIPPS_NOT_FOUND] },
});

const SEEN_LIMIT = 1000;
const SETTLED_LIMIT = 20;
const DEBT_LIMIT = 50;
const HISTORY_LIMIT = 2000;
/** Reasons where the user can fix things in the app, so a later charge may succeed (PROVIDERS.md §1.8). */
const CARRYABLE = new Set(['charge_amount_too_high', 'user_action_required']);
const CHARGED_STATES = new Set(['CHARGED', 'REFUNDED', 'PARTIALLY_REFUNDED']);

const nowIso = () => new Date(Date.now()).toISOString();

export async function vippsBilling(input: VippsBillingInput): Promise<VippsBillingState> {
  const { agreementId } = input;
  const c = input.carried;
  let pending: BillingLine[] = c?.pending ?? [];
  const seen: string[] = c?.seenSessionIds ?? [];
  const seenSet = new Set(seen);
  const openCharges: VippsChargeRecord[] = c?.openCharges ?? [];
  const settledCharges: VippsChargeRecord[] = c?.settledCharges ?? [];
  const opsDebts: VippsOpsDebt[] = c?.opsDebts ?? [];
  const daySeq: Record<string, number> = c?.daySeq ?? {};
  let agreementStatus: string | null = c?.agreementStatus ?? null;
  const runs = (c?.runs ?? 0) + 1;
  let timeZone = '';

  // Signals only record facts; the main loop acts on them (handlers stay synchronous and replay-safe).
  const inbox: VippsUsage[] = [];
  const prompts: string[] = [];
  let billNowRequested = false;
  let statusChanged = false;

  setHandler(addVippsUsageSignal, (usage) => {
    if (seenSet.has(usage.sessionId)) return; // the same session's usage twice is billed once
    seenSet.add(usage.sessionId);
    seen.push(usage.sessionId);
    if (seen.length > SEEN_LIMIT) seenSet.delete(seen.shift() as string);
    inbox.push(usage);
  });
  setHandler(chargeEventSignal, (e) => {
    prompts.push(e.chargeId);
  });
  setHandler(agreementStatusSignal, (e) => {
    agreementStatus = e.status;
    statusChanged = true;
  });
  setHandler(billNowSignal, () => {
    billNowRequested = true;
  });
  setHandler(billingStateQuery, () => view());

  function view(): VippsBillingState {
    return {
      agreementId,
      timeZone,
      agreementStatus,
      pending,
      pendingTotal: totals(pending).gross,
      openCharges,
      settledCharges,
      opsDebts,
      seenSessionIds: seen,
      daySeq,
      runs,
    };
  }

  const stopped = () => agreementStatus === 'STOPPED' || agreementStatus === 'EXPIRED';

  function drainInbox(): void {
    for (const u of inbox.splice(0)) {
      // A malformed time must not wedge the workflow task: such usage counts as arriving now.
      const at = Number.isFinite(Date.parse(u.occurredAt)) ? Date.parse(u.occurredAt) : Date.now();
      pending.push({
        sessionId: u.sessionId,
        description: u.description,
        gross: u.gross,
        net: u.net,
        vat: u.vat,
        vatPercent: u.vatPercent,
        currency: u.currency,
        occurredAt: u.occurredAt,
        billableAfterDay: localDay(at, timeZone),
        failedCharges: 0,
      });
    }
  }

  async function ledger(entry: Omit<LedgerEntryInput, 'source' | 'provider' | 'sessionId' | 'occurredAt'>): Promise<void> {
    await acts.recordLedgerEntry({ ...entry, source: 'vipps', provider: 'vipps', sessionId: null, occurredAt: nowIso() });
  }

  /** Money that cannot be collected automatically: visible in billingState and noted in the ledger. */
  async function handToOps(reason: string, lines: BillingLine[], chargeIds: string[]): Promise<void> {
    if (lines.length === 0) return;
    const t = totals(lines);
    const sessionIds = lines.map((l) => l.sessionId);
    const debt: VippsOpsDebt = { reason, amount: t.gross, currency: lines[0].currency, sessionIds, chargeIds, at: nowIso() };
    opsDebts.push(debt);
    if (opsDebts.length > DEBT_LIMIT) opsDebts.shift();
    const ref = chargeIds.length > 0 ? chargeIds.join(',') : fnv1a32(sessionIds.join(','));
    await ledger({
      idempotencyKey: `vipps-ops-debt:${agreementId}:${ref}`,
      kind: 'vipps_charge_failed',
      timeZone,
      ...t,
      currency: debt.currency,
      providerRefs: { agreementId, sessionIds: sessionIds.join(','), ...(chargeIds.length > 0 ? { chargeId: chargeIds.join(',') } : {}) },
      note: `ops_debt: ${reason}; sessions ${sessionIds.join(',')}`,
    });
  }

  async function handStoppedToOps(): Promise<void> {
    const lines = pending;
    pending = [];
    await handToOps(`agreement_${(agreementStatus ?? 'stopped').toLowerCase()}`, lines, []);
  }

  /** What charges already created for this due date take out of the agreement's per-interval limit. */
  function usedForDue(due: string): string {
    const same = [...openCharges, ...settledCharges].filter((r) => r.due === due && (r.outcome === 'open' || r.outcome === 'charged'));
    return totals(same.map((r) => ({ gross: r.amount, net: r.net, vat: r.vat }))).gross;
  }

  async function bill(lines: BillingLine[], billingDay: string): Promise<void> {
    let agreement;
    try {
      agreement = await readActs.syncVippsAgreement({ agreementId });
    } catch (err) {
      log.warn('vipps agreement read failed; billing waits for the next day', { agreementId, error: String(err) });
      return;
    }
    agreementStatus = agreement.status;
    if (stopped()) return handStoppedToOps();
    if (agreement.status !== 'ACTIVE') return; // not accepted yet: keep the usage

    const foreign = lines.filter((l) => l.currency !== agreement.currency);
    if (foreign.length > 0) {
      pending = pending.filter((l) => !foreign.includes(l));
      await handToOps(`currency_mismatch: agreement is ${agreement.currency}`, foreign, []);
      lines = lines.filter((l) => !foreign.includes(l));
    }

    const today = localDay(Date.now(), timeZone);
    const due = addDays(today, 1); // the earliest due date Vipps accepts
    const room = money(agreement.limit).minus(usedForDue(due));
    const { charged, carried } = capAtLimit(lines, room.isNegative() ? 0 : room);
    const t = totals(charged);
    if (charged.length === 0 || money(t.gross).lt(MIN_CHARGE)) return; // below Vipps' minimum: wait for more usage

    // The rest (above the limit) waits for the next day's charge.
    pending = [...pending.filter((l) => !lines.includes(l)), ...carried.map((l) => ({ ...l, billableAfterDay: today }))];
    const seq = (daySeq[billingDay] ?? 0) + 1;
    daySeq[billingDay] = seq; // consumed before the call: a key is never reused for a different request
    for (const d of Object.keys(daySeq)) if (d < addDays(today, -7)) delete daySeq[d];
    const key = vippsChargeKey(agreementId, billingDay, seq);
    const record: VippsChargeRecord = {
      chargeId: key,
      idempotencyKey: key,
      billingDay,
      due,
      amount: t.gross,
      net: t.net,
      vat: t.vat,
      currency: agreement.currency,
      outcome: 'open',
      status: 'CREATING',
      failureReason: null,
      receipt: null,
      lines: charged,
      createdAt: nowIso(),
      settledAt: null,
    };
    openCharges.push(record);
    try {
      const { chargeId } = await chargeActs.createVippsCharge({
        agreementId,
        idempotencyKey: key,
        amount: t.gross,
        description: chargeDescription(billingDay, charged.length),
        due,
        retryDays: settings.retryDays,
      });
      record.chargeId = chargeId;
      record.status = 'CREATED';
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      if (cause?.type !== VIPPS_CHARGE_REJECTED && cause?.type !== VIPPS_NOT_FOUND) throw err;
      record.outcome = 'rejected';
      record.status = 'REJECTED';
      record.failureReason = cause.message;
      settle(record);
      await handToOps(`charge_rejected: ${record.failureReason}`, charged, [key]);
    }
  }

  function settle(record: VippsChargeRecord): void {
    record.settledAt = nowIso();
    openCharges.splice(openCharges.indexOf(record), 1);
    settledCharges.push(record);
    if (settledCharges.length > SETTLED_LIMIT) settledCharges.shift();
  }

  async function onCharged(record: VippsChargeRecord): Promise<void> {
    record.outcome = 'charged';
    settle(record);
    await ledger({
      idempotencyKey: `vipps-charge:${agreementId}:${record.chargeId}`,
      kind: 'vipps_charge',
      timeZone,
      gross: record.amount,
      net: record.net,
      vat: record.vat,
      currency: record.currency,
      providerRefs: { agreementId, chargeId: record.chargeId, billingDay: record.billingDay, sessionIds: record.lines.map((l) => l.sessionId).join(',') },
      note: `sessions ${record.lines.map((l) => l.sessionId).join(',')}`,
    });
    record.receipt = 'pending';
    try {
      const r = await readActs.sendVippsReceipt({ chargeId: record.chargeId, currency: record.currency, lines: record.lines });
      record.receipt = r === 'created' ? 'sent' : 'already_exists';
    } catch (err) {
      log.warn('vipps receipt not sent; visible as receipt=pending', { chargeId: record.chargeId, error: String(err) });
    }
  }

  async function onFailed(record: VippsChargeRecord, reason: string, outcome: 'failed' | 'cancelled'): Promise<void> {
    record.outcome = outcome;
    record.failureReason = reason;
    settle(record);
    await ledger({
      idempotencyKey: `vipps-charge-failed:${agreementId}:${record.chargeId}`,
      kind: 'vipps_charge_failed',
      timeZone,
      gross: record.amount,
      net: record.net,
      vat: record.vat,
      currency: record.currency,
      providerRefs: { agreementId, chargeId: record.chargeId, billingDay: record.billingDay },
      note: `failureReason=${reason}`,
    });
    if (outcome === 'cancelled' || !CARRYABLE.has(reason) || stopped()) {
      return handToOps(`charge_${outcome}: ${reason}`, record.lines, [record.chargeId]);
    }
    // The user can fix it in the app: carry to the next day's charge, up to the configured number of failures.
    const today = localDay(Date.now(), timeZone);
    const lines = record.lines.map((l) => ({ ...l, failedCharges: l.failedCharges + 1, billableAfterDay: today }));
    const exhausted = lines.filter((l) => l.failedCharges >= settings.maxFailedChargeDays);
    pending.push(...lines.filter((l) => l.failedCharges < settings.maxFailedChargeDays));
    await handToOps(`max_failed_charge_days: ${reason}`, exhausted, [record.chargeId]);
  }

  async function refresh(record: VippsChargeRecord): Promise<boolean> {
    let snap: VippsChargeSnapshot;
    try {
      snap = await readActs.getVippsCharge({ agreementId, chargeId: record.chargeId });
    } catch (err) {
      log.warn('vipps charge read failed; next poll retries', { chargeId: record.chargeId, error: String(err) });
      return false;
    }
    record.status = snap.status;
    if (CHARGED_STATES.has(snap.status)) await onCharged(record);
    else if (snap.status === 'FAILED') await onFailed(record, snap.failureReason ?? 'unknown', 'failed');
    else if (snap.status === 'CANCELLED') await onFailed(record, agreementStatus ? `agreement ${agreementStatus}` : 'cancelled', 'cancelled');
    else return false;
    return true;
  }

  const settings = await acts.vippsBillingSettings();
  timeZone = settings.timeZone;
  let lastPoll = Date.now();

  for (;;) {
    drainInbox();
    if (stopped() && pending.length > 0) await handStoppedToOps();
    if (stopped() && openCharges.length === 0 && inbox.length === 0) {
      // Nothing more can be charged on this agreement: finish (a later usage starts a new run that hands it to ops).
      await condition(allHandlersFinished);
      return view();
    }

    const now = Date.now();
    const nextPoll = openCharges.length > 0 ? lastPoll + settings.pollIntervalMs : Infinity;
    const nextDay = pending.length > 0 ? endOfLocalDay(now, timeZone) : Infinity;
    const wakeAt = Math.min(nextPoll, nextDay);
    const wake = () => inbox.length > 0 || prompts.length > 0 || billNowRequested || statusChanged;
    if (wakeAt === Infinity) await condition(wake);
    else await condition(wake, Math.max(1, wakeAt - now));
    statusChanged = false;
    drainInbox();

    // Webhooks only prompt a read-back; polling covers lost webhooks.
    let settledOne = false;
    const pollDue = Date.now() >= nextPoll;
    const prompted = new Set(prompts.splice(0));
    if (pollDue) lastPoll = Date.now();
    for (const record of [...openCharges]) {
      if (record.status === 'CREATING') continue;
      if (pollDue || prompted.has(record.chargeId)) settledOne = (await refresh(record)) || settledOne;
    }

    const today = localDay(Date.now(), timeZone);
    const billNow = billNowRequested;
    billNowRequested = false;
    const billable = pending.filter((l) => billNow || l.billableAfterDay < today);
    if (billable.length > 0 && !stopped()) {
      const hadOpen = openCharges.length;
      await bill(billable, billNow ? today : addDays(today, -1));
      if (openCharges.length > hadOpen) lastPoll = Date.now();
    }

    // Each run stays short: a new run after a settled charge (or when history grows), carrying all state.
    const info = workflowInfo();
    if ((settledOne && openCharges.length === 0) || info.historyLength > HISTORY_LIMIT || info.continueAsNewSuggested) {
      await condition(allHandlersFinished);
      drainInbox();
      const { agreementId: _a, timeZone: _t, pendingTotal: _p, ...carried } = view();
      await continueAsNew<typeof vippsBilling>({ agreementId, carried });
    }
  }
}
