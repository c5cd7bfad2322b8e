/** A tiny benchmark loop: warm up, then time single calls for a fixed budget; prints ops/s and p50/p95/p99. */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  name: string;
  ops: number;
  opsPerSec: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
}

export interface BenchOptions {
  /** Time spent measuring, in ms (default 1000). */
  budgetMs?: number;
  /** Time spent warming up first, in ms (default 200). */
  warmupMs?: number;
}

/** Anything a benchmarked function returns goes here, so the optimiser cannot drop the call. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function bench(name: string, fn: () => unknown, options: BenchOptions = {}): BenchResult {
  const budgetMs = options.budgetMs ?? 1000;
  const warmupMs = options.warmupMs ?? 200;

  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) consume(fn());

  const samples: number[] = [];
  const start = performance.now();
  const end = start + budgetMs;
  let now = start;
  while (now < end) {
    const t0 = performance.now();
    consume(fn());
    now = performance.now();
    samples.push(now - t0);
  }
  const total = now - start;
  const sorted = Float64Array.from(samples).sort();
  return {
    name,
    ops: samples.length,
    opsPerSec: (samples.length / total) * 1000,
    p50Us: percentile(sorted, 50) * 1000,
    p95Us: percentile(sorted, 95) * 1000,
    p99Us: percentile(sorted, 99) * 1000,
  };
}

const fmtNum = (n: number, digits = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printTable(results: BenchResult[]): void {
  const rows = results.map((r) => [r.name, fmtNum(r.opsPerSec, 0), fmtNum(r.p50Us), fmtNum(r.p95Us), fmtNum(r.p99Us), String(r.ops)]);
  const head = ['benchmark', 'ops/s', 'p50 µs', 'p95 µs', 'p99 µs', 'samples'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
