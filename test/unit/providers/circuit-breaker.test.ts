/** The per-client circuit breaker, on a hand-driven clock: which failures count, fail-fast, and the trial call. */
import { ProviderRefusal, ProviderUnavailable } from '../../../src/providers/card-provider';
import { CircuitBreaker } from '../../../src/providers/circuit-breaker';

let clock = 0;
const now = () => clock;
const down = () => Promise.reject(new ProviderUnavailable('p', 'HTTP 503'));
const refused = () => Promise.reject(new ProviderRefusal('p', 'not_found', 'no such order', 404));
const ok = () => Promise.resolve('ok');

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof ProviderUnavailable ? `unavailable: ${err.message}` : `refused`;
  }
}

beforeEach(() => {
  clock = 1_000_000;
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive ProviderUnavailable failures and then fails fast without calling', async () => {
    const b = new CircuitBreaker('p', { failureThreshold: 3, coolDownMs: 10_000, now });
    for (let i = 0; i < 3; i++) expect(await outcome(b.run(down))).toBe('unavailable: HTTP 503');
    expect(b.state).toBe('open');
    const fn = jest.fn(ok);
    const err: unknown = await b.run(fn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect(err).toMatchObject({ provider: 'p', message: 'circuit open' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('a success or a refusal in between resets the count: refusals mean the provider is up', async () => {
    const b = new CircuitBreaker('p', { failureThreshold: 3, now });
    await outcome(b.run(down));
    await outcome(b.run(down));
    expect(await outcome(b.run(refused))).toBe('refused');
    await outcome(b.run(down));
    await outcome(b.run(down));
    expect(b.state).toBe('closed');
    expect(await outcome(b.run(ok))).toBe('ok');
    await outcome(b.run(down));
    await outcome(b.run(down));
    expect(b.state).toBe('closed');
  });

  it('an answer the caller marks unavailable counts as a failure', async () => {
    const b = new CircuitBreaker('p', { failureThreshold: 2, now });
    await b.run(() => Promise.resolve(503), (s) => s >= 500);
    await b.run(() => Promise.resolve(503), (s) => s >= 500);
    expect(b.state).toBe('open');
  });

  it('after the cool-down lets exactly one trial through; its success closes the circuit', async () => {
    const b = new CircuitBreaker('p', { failureThreshold: 1, coolDownMs: 10_000, now });
    await outcome(b.run(down));
    clock += 9_999;
    expect(await outcome(b.run(ok))).toBe('unavailable: circuit open');
    clock += 1;
    expect(b.state).toBe('half_open');

    let release: (v: string) => void = () => undefined;
    const trial = b.run(() => new Promise<string>((resolve) => (release = resolve)));
    // While the trial is in flight, everyone else still fails fast.
    expect(await outcome(b.run(ok))).toBe('unavailable: circuit open');
    release('ok');
    expect(await trial).toBe('ok');
    expect(b.state).toBe('closed');
    expect(await outcome(b.run(ok))).toBe('ok');
  });

  it('a failed trial opens the circuit for another cool-down', async () => {
    const b = new CircuitBreaker('p', { failureThreshold: 2, coolDownMs: 5_000, now });
    await outcome(b.run(down));
    await outcome(b.run(down));
    clock += 5_000;
    expect(await outcome(b.run(down))).toBe('unavailable: HTTP 503');
    expect(b.state).toBe('open');
    clock += 4_999;
    expect(await outcome(b.run(ok))).toBe('unavailable: circuit open');
    clock += 1;
    expect(await outcome(b.run(ok))).toBe('ok');
  });
});
