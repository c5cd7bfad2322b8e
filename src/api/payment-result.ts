import type { Client } from '@temporalio/client';
import type { CardPaymentStatus } from '../providers/card-provider';
import { paymentResultSignal } from '../../workflows/messages';
import { sessionHandle } from './sessions';

/** A verified, final card outcome becomes the session workflow's paymentResult signal. */
export async function signalPaymentResult(temporal: Client, sessionId: number, s: CardPaymentStatus & { outcome: 'paid' | 'declined' | 'expired' }): Promise<void> {
  await sessionHandle(temporal, sessionId).signal(paymentResultSignal, {
    orderId: s.orderId,
    outcome: s.outcome,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.reasonCode ? { reasonCode: s.reasonCode } : {}),
    providerRef: s.providerRef,
    amount: s.amount,
    currency: s.currency,
    ...(s.cardLast4 ? { cardLast4: s.cardLast4 } : {}),
  });
}
