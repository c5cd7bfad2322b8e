import { ApplicationFailure } from '@temporalio/activity';
import { ProviderRefusal } from '../src/providers/card-provider';

/** Failure type the workflows list as non-retryable: the provider answered and said no. */
export const CARD_PROVIDER_REJECTED = 'CardProviderRejected';

/**
 * A provider's business refusal becomes a non-retryable failure carrying the provider's code; anything else
 * (unreachable, 5xx, timeout) is rethrown as is, so the activity's retry policy tries again.
 */
export function asActivityFailure(err: unknown): never {
  if (err instanceof ProviderRefusal) {
    throw ApplicationFailure.nonRetryable(`${err.provider} refused: ${err.message}`, CARD_PROVIDER_REJECTED, { provider: err.provider, code: err.code });
  }
  throw err;
}
