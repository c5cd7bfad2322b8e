import { ProviderUnavailable } from './card-provider';

/**
 * One per provider client. After `failureThreshold` consecutive ProviderUnavailable failures the circuit opens:
 * calls fail fast with ProviderUnavailable('circuit open') for `coolDownMs`, so a provider that is down costs the
 * activity nothing but its own retry back-off. Then one trial call is let through: success closes the circuit,
 * failure opens it for another cool-down. Anything but ProviderUnavailable (an answer, a refusal) counts as the
 * provider being reachable.
 */
export interface CircuitBreakerOptions {
  failureThreshold?: number;
  coolDownMs?: number;
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export const CIRCUIT_BREAKER_DEFAULTS = { failureThreshold: 5, coolDownMs: 30_000 } as const;

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;

  constructor(
    readonly provider: string,
    opts: CircuitBreakerOptions = {},
  ) {
    this.threshold = Math.max(1, opts.failureThreshold ?? CIRCUIT_BREAKER_DEFAULTS.failureThreshold);
    this.coolDownMs = opts.coolDownMs ?? CIRCUIT_BREAKER_DEFAULTS.coolDownMs;
    this.now = opts.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.coolDownMs ? 'half_open' : 'open';
  }

  /**
   * Runs fn unless the circuit is open. `unavailable` marks an answer that counts as a failure although fn did
   * not throw (e.g. a final 503 handed back to a client that reads the body itself).
   */
  async run<T>(fn: () => Promise<T>, unavailable: (result: T) => boolean = () => false): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half_open' && this.trialInFlight)) {
      throw new ProviderUnavailable(this.provider, 'circuit open');
    }
    const trial = state === 'half_open';
    if (trial) this.trialInFlight = true;
    try {
      const result = await fn();
      if (unavailable(result)) this.failed();
      else this.succeeded();
      return result;
    } catch (err) {
      if (err instanceof ProviderUnavailable) this.failed();
      else this.succeeded();
      throw err;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private failed(): void {
    this.failures++;
    // A failed trial re-opens at once; otherwise open on reaching the threshold.
    if (this.openedAt !== undefined || this.failures >= this.threshold) this.openedAt = this.now();
  }

  private succeeded(): void {
    this.failures = 0;
    this.openedAt = undefined;
  }
}
