/**
 * What the kernel counts per process and for the machine (Linux /proc), for `npm run bench:load`: resident memory
 * of one process, CPU time of a set of processes (all their threads: Node's, libuv's, Temporal core's, Go's) and
 * the machine's busy share over the same interval, so a throughput gap can be put on a process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux seen, asked once in case it is not. */
const TICKS_PER_SECOND = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();
const MS_PER_TICK = 1000 / TICKS_PER_SECOND;

/** VmRSS of a process in MiB (what `ps` shows as RSS), or NaN when it has gone. */
export function rssMiBOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, ' ').trim().split(' ')[0]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of a process in ms, or NaN when it has gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count the fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 (utime) and 15 (stime) of proc(5); the first after the name is field 3.
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return NaN;
  }
}

/** All CPUs together, in ms: busy is everything but idle and iowait. */
function machineMs(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!;
  return { busy: (total - idle) * MS_PER_TICK, total: total * MS_PER_TICK };
}

/** The processes to account for, by name; a process the bench did not start (a given server) is null. */
export type Processes = Record<string, number | null>;

export interface CpuSample {
  perProcessMs: Record<string, number>;
  machine: { busy: number; total: number };
}

export function sampleCpu(processes: Processes): CpuSample {
  const perProcessMs = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, pid === null ? NaN : cpuMsOf(pid)]));
  return { perProcessMs, machine: machineMs() };
}

export interface CpuSpent {
  /** CPU ms per process over the interval; NaN for a process not started here. */
  perProcessMs: Record<string, number>;
  /** Busy CPU ms of the whole machine not spent in the processes above (other jobs, the kernel's own work). */
  elsewhereMs: number;
  /** Busy share of all CPUs together over the interval, 0..1. */
  machineBusy: number;
}

export function cpuSince(before: CpuSample, after: CpuSample): CpuSpent {
  const perProcessMs = Object.fromEntries(Object.keys(before.perProcessMs).map((name) => [name, after.perProcessMs[name]! - before.perProcessMs[name]!]));
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  const ours = Object.values(perProcessMs).filter(Number.isFinite).reduce((a, b) => a + b, 0);
  return { perProcessMs, elsewhereMs: busy - ours, machineBusy: total > 0 ? busy / total : NaN };
}
