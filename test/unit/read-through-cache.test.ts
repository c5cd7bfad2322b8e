import { ReadThroughCache } from '../../src/db/read-through-cache';

function counted<V>(values: Array<V | null>) {
  let calls = 0;
  return {
    load: async () => values[Math.min(calls++, values.length - 1)],
    calls: () => calls,
  };
}

function cacheAt(ttlMs: number, maxEntries = 10) {
  const clock = { now: 1_000 };
  const cache = new ReadThroughCache<string>({ ttlMs: () => ttlMs, maxEntries, now: () => clock.now });
  return { cache, clock };
}

describe('ReadThroughCache', () => {
  it('reads once within the TTL and again after it', async () => {
    const { cache, clock } = cacheAt(5_000);
    const db = counted(['v1', 'v2']);
    expect(await cache.get('k', db.load)).toBe('v1');
    clock.now += 4_999;
    expect(await cache.get('k', db.load)).toBe('v1');
    expect(db.calls()).toBe(1);
    clock.now += 1;
    expect(await cache.get('k', db.load)).toBe('v2');
    expect(db.calls()).toBe(2);
  });

  it('never keeps a missing row, so a row created later is found on its first request', async () => {
    const { cache } = cacheAt(5_000);
    const db = counted([null, 'created']);
    expect(await cache.get('k', db.load)).toBeNull();
    expect(await cache.get('k', db.load)).toBe('created');
    expect(cache.size).toBe(1);
  });

  it('keeps only what `keep` accepts', async () => {
    const { cache } = cacheAt(5_000);
    const db = counted(['refused', 'refused', 'ok']);
    const keep = (v: string) => v === 'ok';
    expect(await cache.get('k', db.load, keep)).toBe('refused');
    expect(await cache.get('k', db.load, keep)).toBe('refused');
    expect(await cache.get('k', db.load, keep)).toBe('ok');
    expect(await cache.get('k', db.load, keep)).toBe('ok');
    expect(db.calls()).toBe(3);
  });

  it('shares one read among concurrent callers of a key', async () => {
    const { cache } = cacheAt(5_000);
    let release!: (v: string) => void;
    let calls = 0;
    const load = () => {
      calls++;
      return new Promise<string>((r) => (release = r));
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release('v');
    expect(await both).toEqual(['v', 'v']);
    expect(calls).toBe(1);
  });

  it('forget: the next request reads again, and a read that began before the forget is not kept', async () => {
    const { cache } = cacheAt(5_000);
    const db = counted(['old', 'new']);
    await cache.get('k', db.load);
    cache.forget('k');
    expect(await cache.get('k', db.load)).toBe('new');

    let release!: (v: string) => void;
    const inFlight = cache.get('j', () => new Promise<string>((r) => (release = r)));
    cache.clear();
    release('read before the write');
    expect(await inFlight).toBe('read before the write');
    expect(await cache.get('j', async () => 'after the write')).toBe('after the write');
  });

  it('drops the least recently used entry when full', async () => {
    const { cache } = cacheAt(5_000, 2);
    await cache.get('a', async () => 'A');
    await cache.get('b', async () => 'B');
    await cache.get('a', async () => 'unused'); // a is now the most recently used
    await cache.get('c', async () => 'C');
    expect(cache.size).toBe(2);
    expect(await cache.get('a', async () => 'reloaded')).toBe('A');
    expect(await cache.get('b', async () => 'reloaded')).toBe('reloaded');
  });

  it('TTL 0 reads every time and keeps nothing', async () => {
    const { cache } = cacheAt(0);
    const db = counted(['v1', 'v2']);
    expect(await cache.get('k', db.load)).toBe('v1');
    expect(await cache.get('k', db.load)).toBe('v2');
    expect(cache.size).toBe(0);
  });
});
