import { ApplicationFailure } from '@temporalio/activity';
import type { CardProvider, CardProviderName } from '../src/providers/card-provider';
import { returnUrl } from '../src/api/pay-link';
import { asActivityFailure, CARD_PROVIDER_REJECTED } from './provider-failures';
import type { SessionActivities } from './contracts';

export interface PaymentDeps {
  cardProviders: Record<CardProviderName, CardProvider>;
  /** Our public base URL: where providers send the browser back and post notifications. */
  publicBaseUrl: string;
  /** Signs the result-page link the provider sends the browser back to. */
  payLinkSecret: string;
}

/**
 * Card payments. The order id `<sessionId>-<attempt>` is the provider-side idempotency key, so a retried
 * activity (worker crash between call and completion) resumes the same payment instead of opening another.
 */
export function createPaymentActivities(deps: PaymentDeps): Pick<SessionActivities, 'startCardPayment' | 'refundCardPayment'> {
  const provider = (name: CardProviderName) => {
    const p = deps.cardProviders[name];
    if (!p) throw ApplicationFailure.nonRetryable(`card provider ${name} is not configured`, CARD_PROVIDER_REJECTED);
    return p;
  };
  return {
    async startCardPayment(req) {
      const resultPage = returnUrl(deps.publicBaseUrl, deps.payLinkSecret, req.sessionId);
      // EPX browser post sends the browser (with the result) to us first; we confirm server to server there.
      const epxResponse = `${deps.publicBaseUrl}/api/providers/epx/response`;
      return provider(req.provider)
        .start({
        orderId: req.orderId,
        amount: req.amount,
        currency: req.currency,
        description: req.description,
        returnUrl: req.provider === 'epx' ? epxResponse : resultPage,
        notifyUrl: req.provider === 'epx' ? epxResponse : `${deps.publicBaseUrl}/api/providers/netopia/ipn`,
        })
        .catch(asActivityFailure);
    },
    async refundCardPayment(req) {
      const res = await provider(req.provider)
        .refund({
          orderId: req.orderId,
          providerRef: req.providerRef,
          amount: req.amount,
          currency: req.currency,
          idempotencyKey: req.idempotencyKey,
        })
        .catch(asActivityFailure);
      return { refundRef: res.refundRef };
    },
  };
}
