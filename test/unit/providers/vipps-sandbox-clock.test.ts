import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { loadConfig } from '../../../src/config';
import { createSandboxApp } from '../../../sandbox/app';
import { DAY_MS, MINUTE_MS, SandboxClock } from '../../../sandbox/vipps/clock';
import { createVippsSandbox, type VippsSandbox } from '../../../sandbox/vipps/sandbox';

/**
 * The Vipps sandbox clock's two modes. Running (demos): real time plus an offset. Frozen (tests on Temporal's
 * time-skipping server): sandbox time is exactly what was set or advanced, whatever the wall clock does meanwhile.
 * Real time is a fake here where the class takes it, and a real wait where the whole sandbox runs.
 */

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A wall clock the test moves by hand. */
function fakeRealTime(start = T0) {
  let now = start;
  return { read: () => now, pass: (ms: number) => void (now += ms) };
}

const realWait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SandboxClock', () => {
  it('running (the default): follows real time, plus what set/advance added', () => {
    const real = fakeRealTime();
    const clock = new SandboxClock(real.read);
    expect(clock.mode).toBe('running');
    expect(clock.now().getTime()).toBe(T0);
    real.pass(5 * MINUTE_MS);
    expect(clock.now().getTime()).toBe(T0 + 5 * MINUTE_MS);
    clock.advance(DAY_MS);
    real.pass(MINUTE_MS);
    expect(clock.now().getTime()).toBe(T0 + 6 * MINUTE_MS + DAY_MS);
  });

  it('frozen: starts at the real time it was made, and real time passing does not move it', () => {
    const real = fakeRealTime();
    const clock = new SandboxClock(real.read, 'frozen');
    expect(clock.mode).toBe('frozen');
    real.pass(3 * DAY_MS + 17);
    expect(clock.now().getTime()).toBe(T0);
    expect(clock.today()).toBe('2026-03-01');
  });

  it('frozen: is exactly what set and advance made it, to the millisecond', () => {
    const real = fakeRealTime();
    const clock = new SandboxClock(real.read, 'frozen');
    clock.set(new Date('2026-05-04T23:59:59.999Z'));
    real.pass(1234);
    expect(clock.nowIso()).toBe('2026-05-04T23:59:59.999Z');
    clock.advance(1);
    real.pass(DAY_MS);
    expect(clock.nowIso()).toBe('2026-05-05T00:00:00.000Z');
    expect(clock.today()).toBe('2026-05-05');
    // Backwards too, with set: a test may rewind to a new time-skipping server's time.
    clock.set(new Date('2026-01-01T00:00:00.000Z'));
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('frozen: refuses what a running clock refuses', () => {
    const clock = new SandboxClock(fakeRealTime().read, 'frozen');
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set(new Date('not a date'))).toThrow(RangeError);
    expect(clock.now().getTime()).toBe(T0);
  });

  it('frozen: saves its distance to real time and is frozen again where it was when restored', () => {
    const real = fakeRealTime();
    const saved = new SandboxClock(real.read, 'frozen');
    saved.advance(2 * DAY_MS);
    expect(saved.offset).toBe(2 * DAY_MS);
    const restored = new SandboxClock(real.read, 'frozen');
    restored.restoreOffset(saved.offset);
    expect(restored.now().getTime()).toBe(T0 + 2 * DAY_MS);
    real.pass(DAY_MS);
    expect(restored.now().getTime()).toBe(T0 + 2 * DAY_MS);
    expect(restored.offset).toBe(DAY_MS);
  });
});

describe('the Vipps sandbox with a frozen clock, over HTTP', () => {
  let sandbox: VippsSandbox;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sandbox = createVippsSandbox(
      { sandboxBaseUrl: url, apiBaseUrl: url, log: () => undefined },
      {
        clientId: 'clock-client',
        clientSecret: 'clock-secret',
        subscriptionKey: 'clock-sub',
        merchantSerialNumber: '123456',
        webhookSecret: 'clock-webhook-secret',
        webhookUrl: `${url}/nowhere`,
        userActionRequiredPhone: '4790000001',
        clock: 'frozen',
      },
    );
    app.use('/vipps', sandbox.router);
    base = sandbox.baseUrl;
  });

  afterAll(async () => {
    sandbox.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function control(path: string, body?: unknown): Promise<{ now: string; today: string }> {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { now: string; today: string };
  }

  it('answers exactly the time it was set to and advanced by, while real time passes', async () => {
    expect(await control('/_clock/set', { now: '2026-02-10T08:00:00Z' })).toEqual({ now: '2026-02-10T08:00:00.000Z', today: '2026-02-10' });
    await realWait(30);
    expect(await control('/_clock')).toEqual({ now: '2026-02-10T08:00:00.000Z', today: '2026-02-10' });
    expect(await control('/_clock/advance', { days: 1, minutes: 30 })).toEqual({ now: '2026-02-11T08:30:00.000Z', today: '2026-02-11' });
    await realWait(30);
    expect(sandbox.clock.now().toISOString()).toBe('2026-02-11T08:30:00.000Z');
    expect(sandbox.records().now).toBe('2026-02-11T08:30:00.000Z');
  });
});

describe('createSandboxApp', () => {
  const config = loadConfig({});

  it('freezes the Vipps clock on request (vippsClock: frozen)', async () => {
    const sandboxes = createSandboxApp(config, undefined, { vippsClock: 'frozen' });
    try {
      await sandboxes.vipps.clock.set('2026-07-01T10:00:00.000Z');
      await realWait(30);
      expect(sandboxes.vipps.clock.now().toISOString()).toBe('2026-07-01T10:00:00.000Z');
    } finally {
      sandboxes.close();
    }
  });

  it('keeps the running clock by default (demos, npm start)', async () => {
    const sandboxes = createSandboxApp(config);
    try {
      await sandboxes.vipps.clock.set('2026-07-01T10:00:00.000Z');
      await realWait(30);
      expect(sandboxes.vipps.clock.now().getTime()).toBeGreaterThan(Date.parse('2026-07-01T10:00:00.000Z'));
    } finally {
      sandboxes.close();
    }
  });
});
