/**
 * Provider facts about a card order whose session workflow has already completed: a capture nobody waited for
 * (the driver paid an old tab after exiting, an IPN delivered after the session was settled otherwise), or money
 * taken back after the session closed (reversal, chargeback, a refund made at the provider). Started with
 * signalWithStart as `late-capture-<orderId>`, so repeated notices land in one place and change nothing twice.
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderRefundActivities, SessionActivities } from '../activities/contracts';
import { lateProviderResultSignal, type LateCaptureInput, type PaymentResult, type CardProviderName } from './messages';
import { SA_ATTENTION } from './search-attributes';

const acts = proxyActivities<SessionActivities & OrderRefundActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', backoffCoefficient: 2 },
});

export async function lateCapture(input: LateCaptureInput): Promise<{ handled: string[] }> {
  const queue: Array<PaymentResult & { provider: CardProviderName }> = [];
  const handled: string[] = [];
  setHandler(lateProviderResultSignal, (r) => void queue.push(r));
  // signalWithStart delivers the signal with the first task; later copies may follow within moments.
  while (await condition(() => queue.length > 0, '1 minute')) {
    const r = queue.shift()!;
    const order = { sessionId: input.sessionId, orderId: input.orderId, provider: r.provider, providerRef: r.providerRef, amount: r.amount, currency: r.currency };
    if (r.outcome === 'paid') {
      const { booked, source } = await acts.bookLateCapture(order);
      if (!booked) {
        handled.push('paid: already booked by the session');
        continue;
      }
      await acts.startOrderRefund({ ...order, reason: 'late capture after the session ended', source });
      handled.push('paid: booked and refunded');
    } else if (r.outcome === 'refunded' || r.outcome === 'reversed' || r.outcome === 'chargeback') {
      const kind = r.outcome === 'refunded' ? 'refund' : r.outcome === 'reversed' ? 'reversal' : 'chargeback';
      const booked = await acts.recordReturnedMoney({ ...order, kind });
      if (booked && kind !== 'refund') upsertSearchAttributes([{ key: SA_ATTENTION, value: kind }]);
      handled.push(`${r.outcome}: ${booked ? 'booked' : 'already booked'}`);
    } else {
      handled.push(`${r.outcome}: nothing was captured`);
    }
  }
  return { handled };
}
