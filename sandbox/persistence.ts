import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Lets the provider sandboxes survive a restart like the providers they stand for: orders, agreements, camera
 * parkings and deliveries are written to one JSON file per sandbox (default .data/sandbox/<name>.json) whenever
 * they change, and read back at start. What is in flight (a pending IPN retry, a webhook between attempts) is
 * not resumed: a real provider would retry it, the demo asks again through the product's own polling.
 */
export interface SandboxPersistence {
  /** The state a sandbox saved last time, checked with its schema; undefined on a first start. */
  restore<T>(name: string, schema: z.ZodType<T>): T | undefined;
  /** How to read a sandbox's state now; written whenever it differs from what was written last. */
  track(name: string, snapshot: () => unknown): void;
  /** Writes every changed state now (after each sandbox request, on a timer and on close). */
  flush(): void;
  close(): void;
}

const FileFormat = z.object({ version: z.literal(1), savedAt: z.string(), state: z.unknown() });

export function fileSandboxPersistence(dir: string, log: (m: string) => void = () => undefined): SandboxPersistence {
  mkdirSync(dir, { recursive: true });
  const tracked = new Map<string, () => unknown>();
  const written = new Map<string, string>();
  const file = (name: string) => path.join(dir, `${name}.json`);

  const flush = () => {
    for (const [name, snapshot] of tracked) {
      const state = JSON.stringify(snapshot());
      if (written.get(name) === state) continue;
      // Write-then-rename: a crash mid-write leaves the previous state, never half a file.
      const tmp = `${file(name)}.${process.pid}.tmp`;
      writeFileSync(tmp, `{"version":1,"savedAt":${JSON.stringify(new Date().toISOString())},"state":${state}}\n`);
      renameSync(tmp, file(name));
      written.set(name, state);
    }
  };
  const timer = setInterval(() => {
    try {
      flush();
    } catch (err) {
      log(`sandbox state not saved: ${(err as Error).message}`);
    }
  }, 250);
  timer.unref();

  return {
    restore<T>(name: string, schema: z.ZodType<T>): T | undefined {
      let text: string;
      try {
        text = readFileSync(file(name), 'utf8');
      } catch {
        return undefined; // first start
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = undefined;
      }
      const parsed = FileFormat.safeParse(raw);
      const state = parsed.success ? schema.safeParse(parsed.data.state) : null;
      if (!state?.success) {
        // An unreadable file (older format, hand edits) is set aside, not silently overwritten.
        const aside = `${file(name)}.unreadable-${Date.now()}`;
        renameSync(file(name), aside);
        log(`${name} sandbox: saved state unreadable, starting empty (kept as ${path.basename(aside)})`);
        return undefined;
      }
      log(`${name} sandbox: state restored from ${path.relative(process.cwd(), file(name)) || file(name)}`);
      return state.data;
    },
    track(name, snapshot) {
      tracked.set(name, snapshot);
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}

/** Deletes a persistence directory (npm run reset). */
export function wipeSandboxState(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Map entries as a JSON array and back (Maps do not survive JSON.stringify). */
export const mapEntries = <V>(m: Map<string, V>): Array<[string, V]> => [...m.entries()];
