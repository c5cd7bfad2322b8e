/**
 * A bounded, expiring, per-process memo of rows the request path reads many times a second and ops change rarely
 * (a parking, a gate key, a driver token). Without it a driver session read its parking about ten times and its
 * token seven; on FerretDB every read is a round trip and a SQLite lookup (docs/ARCHITECTURE.md, "Where a session's CPU
 * goes").
 *
 * Consistency: a write through this process forgets the entry at once (`forget`, `clear`); a write by another
 * process (a second API replica, the admin CLI) is seen within `ttlMs`. Only rows that exist are kept, so a row
 * created anywhere is found on its first request. `ttlMs` 0 turns the memo off.
 */
export class ReadThroughCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<V | null>>();
  /** Bumped by every forget/clear: a load that started before it must not store what it read. */
  private generation = 0;

  constructor(
    private readonly opts: { ttlMs: () => number; maxEntries: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** The cached value, or the loader's (shared by concurrent callers of one key); null, or what `keep` refuses, is not kept. */
  async get(key: string, load: () => Promise<V | null>, keep: (value: V) => boolean = () => true): Promise<V | null> {
    const ttlMs = this.opts.ttlMs();
    if (ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) {
      // Least recently used goes first when the map is full: re-insert to move the key to the end.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    if (hit) this.entries.delete(key);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const loaded = load().then(
      (value) => {
        if (value !== null && keep(value) && generation === this.generation) this.store(key, value, ttlMs);
        return value;
      },
    ).finally(() => {
      if (this.loading.get(key) === loaded) this.loading.delete(key);
    });
    this.loading.set(key, loaded);
    return loaded;
  }

  private store(key: string, value: V, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  forget(key: string): void {
    this.generation++;
    this.entries.delete(key);
    this.loading.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

let referenceTtlMs = 5_000;

/** Set from REFERENCE_CACHE_TTL_MS when the API starts; every reference memo reads it on each lookup. */
export function setReferenceCacheTtl(ms: number): void {
  referenceTtlMs = ms;
}

export const referenceCacheTtl = (): number => referenceTtlMs;
