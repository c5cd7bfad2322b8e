import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { LedgerModel, SessionModel, sessionRowId } from '../src/db/models';
import { orderRefundWorkflowId } from '../src/temporal/ids';
import { orderRefund } from '../workflows/order-refund';
import { money } from '../src/domain/money';
import { ProviderRefusal, type CardProvider, type CardProviderName } from '../src/providers/card-provider';
import { recordLedgerEntry } from './ledger';
import type { OrderRefundActivities } from './contracts';

const refundKey = (orderId: string) => `refund-${orderId}-auto`;

export function createOrderRefundActivities(deps: {
  cardProviders: Record<CardProviderName, CardProvider>;
  temporal: Client;
  taskQueue: string;
}): OrderRefundActivities {
  return {
    async startOrderRefund(req) {
      try {
        await deps.temporal.workflow.start(orderRefund, {
          workflowId: orderRefundWorkflowId(req.orderId),
          taskQueue: deps.taskQueue,
          args: [req],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return { started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw err;
      }
    },

    async refundCapturedOrder(req) {
      const done = await LedgerModel.findById(refundKey(req.orderId)).lean();
      if (done) return { status: 'refunded', refundRef: String((done.providerRefs as Record<string, string>).refundRef ?? '') };
      const capture = await LedgerModel.findById(`capture-${req.orderId}`).lean();
      // The capture's own VAT split when the whole capture goes back; otherwise no VAT claim on it.
      const split = capture && money(capture.gross).equals(money(req.amount)) ? { net: capture.net, vat: capture.vat } : { net: req.amount, vat: '0.00' };
      const base = {
        source: req.source,
        provider: req.provider,
        sessionId: String(req.sessionId),
        gross: req.amount,
        ...split,
        currency: req.currency,
        occurredAt: new Date().toISOString(),
      };
      try {
        const res = await deps.cardProviders[req.provider].refund({
          orderId: req.orderId,
          providerRef: req.providerRef,
          amount: req.amount,
          currency: req.currency,
          idempotencyKey: `${req.orderId}-auto-refund`,
        });
        await recordLedgerEntry({
          ...base,
          kind: 'refund',
          idempotencyKey: refundKey(req.orderId),
          providerRefs: { orderId: req.orderId, providerRef: req.providerRef, refundRef: res.refundRef },
          note: `automatic refund: ${req.reason}`,
        });
        return { status: 'refunded', refundRef: res.refundRef };
      } catch (err) {
        if (!(err instanceof ProviderRefusal)) throw err; // unreachable or 5xx: the workflow retries
        await recordLedgerEntry({
          ...base,
          kind: 'refund_refused',
          idempotencyKey: `refund-refused-${req.orderId}-${err.code}`,
          providerRefs: { orderId: req.orderId, providerRef: req.providerRef },
          note: `${req.provider} refused the refund (${err.code}): ${err.message}`,
        });
        return { status: 'refused', code: err.code, message: err.message };
      }
    },

    async bookLateCapture(req) {
      const row = await SessionModel.findById(sessionRowId(req.sessionId), { kind: 1 }).lean();
      const source = row?.kind === 'anpr' ? ('autopay' as const) : ('barrier' as const);
      const key = `capture-${req.orderId}`;
      if (await LedgerModel.exists({ _id: key })) return { booked: false, source };
      await recordLedgerEntry({
        idempotencyKey: key,
        kind: 'capture',
        source,
        provider: req.provider,
        sessionId: String(req.sessionId),
        gross: req.amount,
        net: req.amount,
        vat: '0.00',
        currency: req.currency,
        occurredAt: new Date().toISOString(),
        providerRefs: { orderId: req.orderId, providerRef: req.providerRef },
        note: 'late capture: the session had already ended',
      });
      return { booked: true, source };
    },
  };
}
