/**
 * What a person can do about a session in the ops queue, from its state alone (pure: the queue lists it, the
 * routes check it). `resolve` is always offered: a person looked, decided and wrote down why.
 */
import { isTerminal, type PaymentStatus, type SessionKind, type SessionState } from './session';

export type OpsActionName = 'resolve' | 'retry' | 'refund' | 'cancel' | 'manual_stop';

export interface OpsActionInput {
  kind: SessionKind;
  state: SessionState;
  paymentStatus: PaymentStatus;
  paidVia: 'card' | 'vipps' | 'free' | null;
  attentionCode: string | null;
  /** Attempts the provider may still hold money for (started, not settled). */
  unsettledAttempts: number;
  /** The workflow still runs (signals reach it). */
  running: boolean;
}

export function availableOpsActions(s: OpsActionInput): OpsActionName[] {
  const actions: OpsActionName[] = ['resolve'];
  if (s.running && s.unsettledAttempts > 0) actions.push('retry');
  if (s.paymentStatus === 'paid' && s.paidVia === 'card') actions.push('refund');
  if (s.running && !isTerminal(s.state) && s.paymentStatus !== 'paid') actions.push('cancel');
  if (s.running && s.kind === 'anpr' && s.state === 'active') actions.push('manual_stop');
  return actions;
}
