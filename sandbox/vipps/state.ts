import { randomBytes, randomUUID } from 'node:crypto';
import { addDays, MINUTE_MS, type SandboxClock } from './clock';
import { badRequest, conflict, notFound } from './http';
import type { SandboxUsers } from './users';
import type {
  AgreementResponse,
  AgreementStatus,
  ChargeResponse,
  ChargeStatus,
  CreateChargeRequest,
  DraftAgreementRequest,
  FailureReason,
  VippsCurrency,
} from '../../src/providers/vipps/wire';

/**
 * Recurring v3 business rules of the sandbox (PROVIDERS.md 1.3–1.9), kept apart from HTTP so the
 * rules read in one place: agreement lifecycle, charge validation, and charge processing on the due
 * date in sandbox time. Every status change is recorded and announced through `emit` (webhooks).
 */

/** Drafts not accepted within 10 minutes expire. */
export const PENDING_AGREEMENT_TTL_MS = 10 * MINUTE_MS;
/** PENDING charges become DUE roughly when the due date is this close. */
const DUE_WINDOW_DAYS = 30;

export type Actor = 'MERCHANT' | 'USER' | 'ADMIN';

export interface StatusChange<S extends string> {
  /** Sandbox time. */
  at: string;
  status: S;
  actor?: Actor;
  failureReason?: FailureReason;
}

export interface SandboxAgreement {
  id: string;
  uuid: string;
  status: AgreementStatus;
  created: string;
  createdMs: number;
  start: string | null;
  stop: string | null;
  productName: string;
  productDescription: string | null;
  currency: VippsCurrency;
  suggestedMaxAmount: number;
  /** Chosen by the user on acceptance; null while PENDING. */
  maxAmount: number | null;
  interval: { unit: 'YEAR' | 'MONTH' | 'WEEK' | 'DAY'; count: number };
  merchantRedirectUrl: string;
  merchantAgreementUrl: string;
  externalId: string | null;
  /** Phone the merchant suggested in the draft (prefills the confirmation page). */
  draftPhoneNumber: string | null;
  /** Phone of the user who accepted. */
  phoneNumber: string | null;
  sub: string | null;
  statusHistory: Array<StatusChange<AgreementStatus>>;
}

export interface ChargeHistoryEntry {
  occurred: string;
  event: 'CREATE' | 'RESERVE' | 'CAPTURE' | 'REFUND' | 'CANCEL' | 'FAIL';
  amount: number;
  idempotencyKey: string | null;
  success: boolean;
}

export interface ChargeAttempt {
  at: string;
  day: string;
  outcome: 'charged' | FailureReason;
}

export interface SandboxCharge {
  id: string;
  agreementId: string;
  amount: number;
  currency: VippsCurrency;
  description: string;
  due: string;
  retryDays: number;
  transactionType: 'DIRECT_CAPTURE' | 'RESERVE_CAPTURE';
  externalId: string | null;
  status: ChargeStatus;
  failureReason: FailureReason | null;
  failureDescription: string | null;
  transactionId: string | null;
  captured: number;
  refunded: number;
  cancelled: number;
  created: string;
  history: ChargeHistoryEntry[];
  attempts: ChargeAttempt[];
  statusHistory: Array<StatusChange<ChargeStatus>>;
}

export type EmitEvent = (orderKey: string, eventType: string, payload: Record<string, unknown>) => void;

export interface RecurringStateOptions {
  clock: SandboxClock;
  users: SandboxUsers;
  merchantSerialNumber: string;
  /** A user whose every charge fails with user_action_required (no money / blocked card). */
  userActionRequiredPhone: string;
  confirmationUrl: (agreementId: string) => string;
  emit: EmitEvent;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function shortId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join('');
}

function intervalText(unit: string, count: number): string {
  const u = unit.toLowerCase();
  return count === 1 ? `every ${u}` : `every ${count} ${u}s`;
}

const FAILURE_DESCRIPTIONS: Record<FailureReason, string> = {
  user_action_required: 'The user must act in the app (e.g. add funds or update the card)',
  charge_amount_too_high: "The amount is above the user's max amount for the agreement",
  non_technical_error: 'The charge could not be completed',
  technical_error: 'A technical error occurred',
};

export class RecurringState {
  readonly agreements = new Map<string, SandboxAgreement>();
  readonly charges = new Map<string, SandboxCharge>();

  constructor(private readonly opts: RecurringStateOptions) {}

  // ---- Agreements ----------------------------------------------------------------------------------

  draft(req: DraftAgreementRequest): SandboxAgreement {
    const now = this.opts.clock.now();
    const agreement: SandboxAgreement = {
      id: shortId('agr_', 7),
      uuid: randomUUID(),
      status: 'PENDING',
      created: now.toISOString(),
      createdMs: now.getTime(),
      start: null,
      stop: null,
      productName: req.productName,
      productDescription: req.productDescription ?? null,
      currency: req.pricing.currency,
      suggestedMaxAmount: req.pricing.suggestedMaxAmount,
      maxAmount: null,
      interval: { unit: req.interval.unit, count: req.interval.count },
      merchantRedirectUrl: req.merchantRedirectUrl,
      merchantAgreementUrl: req.merchantAgreementUrl,
      externalId: req.externalId ?? null,
      draftPhoneNumber: req.phoneNumber ?? null,
      phoneNumber: null,
      sub: null,
      statusHistory: [{ at: now.toISOString(), status: 'PENDING', actor: 'MERCHANT' }],
    };
    this.agreements.set(agreement.id, agreement);
    return agreement;
  }

  getAgreement(id: string): SandboxAgreement {
    this.expireStaleDrafts();
    const agreement = this.agreements.get(id);
    if (!agreement) throw notFound(`Agreement ${id} not found`);
    return agreement;
  }

  /** The user accepts in the app (or the test-only force-accept does it for them). */
  accept(id: string, phoneNumber: string, maxAmount?: number): SandboxAgreement {
    const agreement = this.getAgreement(id);
    if (agreement.status !== 'PENDING') throw badRequest(`Agreement is ${agreement.status}, only PENDING can be accepted`);
    if (maxAmount !== undefined && (!Number.isSafeInteger(maxAmount) || maxAmount < 100 || maxAmount > 2_000_000)) {
      throw badRequest('maxAmount must be between 100 and 2000000 øre', [{ field: 'maxAmount', text: 'out of range' }]);
    }
    const user = this.opts.users.lookup(phoneNumber);
    agreement.phoneNumber = user.phoneNumber;
    agreement.sub = user.sub;
    agreement.maxAmount = maxAmount ?? agreement.suggestedMaxAmount;
    agreement.start = this.opts.clock.nowIso();
    this.setAgreementStatus(agreement, 'ACTIVE', 'USER', 'recurring.agreement-activated.v1');
    return agreement;
  }

  /** The user declines on the confirmation page: the agreement is STOPPED (irreversibly). */
  reject(id: string): SandboxAgreement {
    const agreement = this.getAgreement(id);
    if (agreement.status !== 'PENDING') throw badRequest(`Agreement is ${agreement.status}, only PENDING can be rejected`);
    agreement.stop = this.opts.clock.nowIso();
    this.setAgreementStatus(agreement, 'STOPPED', 'USER', 'recurring.agreement-rejected.v1');
    return agreement;
  }

  /**
   * Merchant PATCH {status:'STOPPED'} or the user cancelling in the app. Open charges are cancelled,
   * except that a user stop leaves RESERVED charges alone (2026 docs). Stopping twice is a no-op.
   */
  stop(id: string, actor: Actor): SandboxAgreement {
    const agreement = this.getAgreement(id);
    if (agreement.status === 'STOPPED') return agreement;
    if (agreement.status === 'EXPIRED') throw badRequest('Agreement is EXPIRED and cannot be stopped');
    agreement.stop = this.opts.clock.nowIso();
    this.setAgreementStatus(agreement, 'STOPPED', actor, 'recurring.agreement-stopped.v1');
    const cancellable: ChargeStatus[] = actor === 'USER' ? ['PENDING', 'DUE'] : ['PENDING', 'DUE', 'RESERVED'];
    for (const charge of this.chargesOf(id)) {
      if (cancellable.includes(charge.status)) this.cancelOpenCharge(charge, null);
    }
    return agreement;
  }

  update(id: string, patch: { productName?: string; productDescription?: string; merchantAgreementUrl?: string; externalId?: string; suggestedMaxAmount?: number }): void {
    const agreement = this.getAgreement(id);
    if (agreement.status === 'STOPPED' || agreement.status === 'EXPIRED') throw badRequest(`Agreement is ${agreement.status}`);
    if (patch.productName !== undefined) agreement.productName = patch.productName;
    if (patch.productDescription !== undefined) agreement.productDescription = patch.productDescription;
    if (patch.merchantAgreementUrl !== undefined) agreement.merchantAgreementUrl = patch.merchantAgreementUrl;
    if (patch.externalId !== undefined) agreement.externalId = patch.externalId;
    // The user is not notified of a new suggestedMaxAmount; their own maxAmount is unchanged.
    if (patch.suggestedMaxAmount !== undefined) agreement.suggestedMaxAmount = patch.suggestedMaxAmount;
  }

  /** The user raising (or lowering) their limit in the app, e.g. after a "limit too low" push. */
  setUserMaxAmount(id: string, maxAmount: number): SandboxAgreement {
    const agreement = this.getAgreement(id);
    if (agreement.status !== 'ACTIVE') throw badRequest(`Agreement is ${agreement.status}`);
    if (!Number.isSafeInteger(maxAmount) || maxAmount < 100 || maxAmount > 2_000_000) throw badRequest('maxAmount out of range');
    agreement.maxAmount = maxAmount;
    return agreement;
  }

  listAgreements(status: AgreementStatus): SandboxAgreement[] {
    this.expireStaleDrafts();
    return [...this.agreements.values()].filter((a) => a.status === status);
  }

  toAgreementResponse(a: SandboxAgreement): AgreementResponse {
    return {
      id: a.id,
      uuid: a.uuid,
      status: a.status,
      created: a.created,
      start: a.start,
      stop: a.stop,
      productName: a.productName,
      productDescription: a.productDescription,
      pricing: { type: 'VARIABLE', currency: a.currency, suggestedMaxAmount: a.suggestedMaxAmount, maxAmount: a.maxAmount },
      interval: { ...a.interval, text: intervalText(a.interval.unit, a.interval.count) },
      campaign: null,
      merchantRedirectUrl: a.merchantRedirectUrl,
      merchantAgreementUrl: a.merchantAgreementUrl,
      sub: a.sub,
      userinfoUrl: null,
      externalId: a.externalId,
      countryCode: 'NO',
      vippsConfirmationUrl: a.status === 'PENDING' ? this.opts.confirmationUrl(a.id) : null,
    };
  }

  private setAgreementStatus(a: SandboxAgreement, status: AgreementStatus, actor: Actor | undefined, eventType: string): void {
    const at = this.opts.clock.nowIso();
    a.status = status;
    a.statusHistory.push({ at, status, ...(actor ? { actor } : {}) });
    this.opts.emit(a.id, eventType, {
      msn: this.opts.merchantSerialNumber,
      agreementId: a.id,
      agreementUUID: a.uuid,
      agreementExternalId: a.externalId,
      eventType,
      occurred: at,
      actor: actor ?? null,
    });
  }

  // ---- Charges --------------------------------------------------------------------------------------

  /** Validation order follows what a merchant would fix first: agreement, then fields, then limits. */
  createCharge(agreementId: string, req: CreateChargeRequest, idempotencyKey: string): SandboxCharge {
    const agreement = this.getAgreement(agreementId);
    if (agreement.status !== 'ACTIVE') throw badRequest(`Agreement is ${agreement.status}; charges need an ACTIVE agreement`);
    if (req.transactionType !== 'DIRECT_CAPTURE') {
      throw badRequest('This sandbox only supports DIRECT_CAPTURE charges', [{ field: 'transactionType', text: 'unsupported' }]);
    }
    const today = this.opts.clock.today();
    if (req.due < addDays(today, 1)) {
      throw badRequest(`due must be at least one day after today (${today})`, [{ field: 'due', text: 'too early' }]);
    }
    if (req.due > addDays(today, 730)) throw badRequest('due must be at most two years ahead', [{ field: 'due', text: 'too late' }]);
    const ceiling = Math.max(agreement.suggestedMaxAmount, agreement.maxAmount ?? 0);
    if (req.amount > ceiling) {
      throw badRequest(`amount ${req.amount} is above max(suggestedMaxAmount, maxAmount) = ${ceiling}`, [
        { field: 'amount', text: 'charge amount too high' },
      ]);
    }
    if (req.orderId !== undefined && this.charges.has(req.orderId)) throw conflict(`A charge with orderId ${req.orderId} already exists`);

    const at = this.opts.clock.nowIso();
    const status: ChargeStatus = req.due <= addDays(today, DUE_WINDOW_DAYS) ? 'DUE' : 'PENDING';
    const charge: SandboxCharge = {
      id: req.orderId ?? shortId('chr-', 7),
      agreementId,
      amount: req.amount,
      currency: agreement.currency,
      description: req.description,
      due: req.due,
      retryDays: req.retryDays,
      transactionType: req.transactionType,
      externalId: req.externalId ?? null,
      status,
      failureReason: null,
      failureDescription: null,
      transactionId: null,
      captured: 0,
      refunded: 0,
      cancelled: 0,
      created: at,
      history: [{ occurred: at, event: 'CREATE', amount: req.amount, idempotencyKey, success: true }],
      attempts: [],
      statusHistory: [{ at, status }],
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  getCharge(agreementId: string, chargeId: string): SandboxCharge {
    const charge = this.charges.get(chargeId);
    if (!charge || charge.agreementId !== agreementId) throw notFound(`Charge ${chargeId} not found on agreement ${agreementId}`);
    return charge;
  }

  chargesOf(agreementId: string): SandboxCharge[] {
    return [...this.charges.values()].filter((c) => c.agreementId === agreementId);
  }

  cancelCharge(agreementId: string, chargeId: string, idempotencyKey: string): SandboxCharge {
    this.getAgreement(agreementId);
    const charge = this.getCharge(agreementId, chargeId);
    if (!['PENDING', 'DUE', 'RESERVED'].includes(charge.status)) {
      throw badRequest(`Charge is ${charge.status}; only PENDING, DUE or RESERVED can be cancelled`);
    }
    this.cancelOpenCharge(charge, idempotencyKey);
    return charge;
  }

  refundCharge(agreementId: string, chargeId: string, amount: number, idempotencyKey: string): SandboxCharge {
    const charge = this.getCharge(agreementId, chargeId);
    if (charge.status !== 'CHARGED' && charge.status !== 'PARTIALLY_REFUNDED') {
      throw badRequest(`Charge is ${charge.status}; only captured charges can be refunded`);
    }
    const refundable = charge.captured - charge.refunded;
    if (amount > refundable) {
      throw badRequest(`amount ${amount} is above the refundable ${refundable}`, [{ field: 'amount', text: 'too high' }]);
    }
    const at = this.opts.clock.nowIso();
    charge.refunded += amount;
    charge.history.push({ occurred: at, event: 'REFUND', amount, idempotencyKey, success: true });
    this.setChargeStatus(charge, charge.refunded === charge.captured ? 'REFUNDED' : 'PARTIALLY_REFUNDED', 'recurring.charge-refunded.v1');
    return charge;
  }

  toChargeResponse(c: SandboxCharge): ChargeResponse {
    return {
      id: c.id,
      agreementId: c.agreementId,
      amount: c.amount,
      currency: c.currency,
      description: c.description,
      due: c.due,
      status: c.status,
      transactionId: c.transactionId,
      type: 'RECURRING',
      transactionType: c.transactionType,
      retryDays: c.retryDays,
      externalId: c.externalId,
      failureReason: c.failureReason,
      failureDescription: c.failureDescription,
      summary: { captured: c.captured, refunded: c.refunded, cancelled: c.cancelled },
      history: c.history.map((h) => ({ ...h })),
    };
  }

  private cancelOpenCharge(charge: SandboxCharge, idempotencyKey: string | null): void {
    const at = this.opts.clock.nowIso();
    charge.cancelled = charge.amount - charge.captured;
    charge.history.push({ occurred: at, event: 'CANCEL', amount: charge.cancelled, idempotencyKey, success: true });
    this.setChargeStatus(charge, 'CANCELLED', 'recurring.charge-canceled.v1');
  }

  private setChargeStatus(c: SandboxCharge, status: ChargeStatus, eventType?: string): void {
    const at = this.opts.clock.nowIso();
    c.status = status;
    c.statusHistory.push({ at, status, ...(c.failureReason && status === 'FAILED' ? { failureReason: c.failureReason } : {}) });
    if (!eventType) return;
    this.opts.emit(c.agreementId, eventType, {
      msn: this.opts.merchantSerialNumber,
      agreementId: c.agreementId,
      agreementExternalId: this.agreements.get(c.agreementId)?.externalId ?? null,
      chargeId: c.id,
      chargeExternalId: c.externalId,
      amount: c.amount,
      chargeType: 'RECURRING',
      currency: c.currency,
      eventType,
      occurred: at,
      amountCaptured: c.captured,
      amountCanceled: c.cancelled,
      amountRefunded: c.refunded,
      failureReason: c.failureReason,
      failureDescription: c.failureDescription,
      transactionId: c.transactionId,
    });
  }

  // ---- Processing in sandbox time ----------------------------------------------------------------

  /** Runs everything the clock has made due: draft expiry, PENDING→DUE, and due-date charging. */
  tick(): void {
    this.expireStaleDrafts();
    const today = this.opts.clock.today();
    for (const charge of this.charges.values()) {
      if (charge.status === 'PENDING' && charge.due <= addDays(today, DUE_WINDOW_DAYS)) this.setChargeStatus(charge, 'DUE');
      if (charge.status === 'DUE' && charge.due <= today) this.attemptCharge(charge, today);
    }
  }

  private expireStaleDrafts(): void {
    const nowMs = this.opts.clock.now().getTime();
    for (const a of this.agreements.values()) {
      if (a.status === 'PENDING' && nowMs - a.createdMs >= PENDING_AGREEMENT_TTL_MS) {
        this.setAgreementStatus(a, 'EXPIRED', undefined, 'recurring.agreement-expired.v1');
      }
    }
  }

  /**
   * One attempt per sandbox day from the due date. The outcome is decided by the scenario rules; a
   * failure keeps the charge DUE until the last retry day (due + retryDays), then it is FAILED.
   */
  private attemptCharge(charge: SandboxCharge, today: string): void {
    const agreement = this.agreements.get(charge.agreementId);
    if (!agreement || agreement.status !== 'ACTIVE') return;
    if (charge.attempts.at(-1)?.day === today) return;
    const outcome = this.decide(charge, agreement);
    const at = this.opts.clock.nowIso();
    charge.attempts.push({ at, day: today, outcome });
    if (outcome === 'charged') {
      charge.captured = charge.amount;
      charge.transactionId = shortId('', 10);
      charge.history.push({ occurred: at, event: 'CAPTURE', amount: charge.amount, idempotencyKey: null, success: true });
      this.setChargeStatus(charge, 'CHARGED', 'recurring.charge-captured.v1');
      return;
    }
    if (today < addDays(charge.due, charge.retryDays)) return;
    charge.failureReason = outcome;
    charge.failureDescription = FAILURE_DESCRIPTIONS[outcome];
    charge.history.push({ occurred: at, event: 'FAIL', amount: charge.amount, idempotencyKey: null, success: false });
    this.setChargeStatus(charge, 'FAILED', 'recurring.charge-failed.v1');
  }

  private decide(charge: SandboxCharge, agreement: SandboxAgreement): 'charged' | FailureReason {
    if (agreement.phoneNumber === this.opts.userActionRequiredPhone) return 'user_action_required';
    if (agreement.maxAmount !== null && charge.amount > agreement.maxAmount) return 'charge_amount_too_high';
    return 'charged';
  }
}
