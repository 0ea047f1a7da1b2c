/**
 * Peak memory per stage for the real-SAM bench, read from Linux's /proc: VmHWM is a process's peak
 * resident set, and writing "5" to /proc/PID/clear_refs resets it to the current RSS, so a reset at the
 * start of a stage and a read at its end give that stage's own peak, exactly, without sampling.
 * Where /proc cannot be written (not Linux, no permission), peaks fall back to the process's peak since
 * it started (`cumulative` then says so).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

export type Pid = number | 'self';

/** A field of /proc/PID/status in bytes (VmHWM, VmRSS), or null when the process is gone. */
export function statusBytes(pid: Pid, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets the process's peak RSS to its current RSS; false when the kernel does not allow it. */
export function resetPeak(pid: Pid): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS of this process so far, in bytes, on any platform (VmHWM where there is /proc). */
export function ownPeakBytes(): number {
  return statusBytes('self', 'VmHWM') ?? process.resourceUsage().maxRSS * 1024;
}

export interface ProcessEntry {
  pid: number;
  parent: number;
  /** Chromium's --type= (renderer, gpu-process, utility, zygote), 'browser' without one, or the program's name. */
  kind: string;
  command: string;
}

function processEntry(pid: number): ProcessEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name in parentheses may contain spaces: the fields after it start at the last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    const type = /--type=([\w-]+)/.exec(command)?.[1];
    const program = command.split(' ')[0] ?? '';
    return { pid, parent, kind: type ?? (/chrom/.test(program) ? 'browser' : program.split('/').pop() || '?'), command };
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (children, grandchildren, …). */
export function descendants(root: number): ProcessEntry[] {
  let entries: ProcessEntry[];
  try {
    entries = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((name) => processEntry(Number(name)))
      .filter((entry): entry is ProcessEntry => entry !== null);
  } catch {
    return [];
  }
  const byParent = new Map<number, ProcessEntry[]>();
  for (const entry of entries) byParent.set(entry.parent, [...(byParent.get(entry.parent) ?? []), entry]);
  const found: ProcessEntry[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Per-stage peaks of a group of processes (one, or Chromium's renderers): `begin` resets their peaks,
 * `peaks` reads them. The group is re-read at every call, so processes that appear later are counted.
 */
export class PeakMeter {
  cumulative = false;

  constructor(private readonly members: () => Pid[]) {}

  begin(): void {
    for (const pid of this.members()) if (!resetPeak(pid)) this.cumulative = true;
  }

  /** Peak RSS per member since `begin` (bytes). */
  peaks(): Map<Pid, number> {
    const result = new Map<Pid, number>();
    for (const pid of this.members()) {
      const bytes = statusBytes(pid, 'VmHWM');
      if (bytes !== null) result.set(pid, bytes);
    }
    return result;
  }

  /** Current RSS per member (bytes). */
  current(): Map<Pid, number> {
    const result = new Map<Pid, number>();
    for (const pid of this.members()) {
      const bytes = statusBytes(pid, 'VmRSS');
      if (bytes !== null) result.set(pid, bytes);
    }
    return result;
  }
}

export const mib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? '—' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

/** MemAvailable of /proc/meminfo (bytes), or null off Linux. */
export function availableMemoryBytes(): number | null {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Calls `onExceeded` once when a watched process's RSS passes `limitBytes` (polled every 200 ms), so the
 * bench can stop a run before the kernel's OOM killer picks a process, perhaps someone else's.
 * Returns a function that stops watching.
 */
export function watchRss(members: () => Pid[], limitBytes: number, onExceeded: (pid: Pid, bytes: number) => void): () => void {
  const timer = setInterval(() => {
    for (const pid of members()) {
      const bytes = statusBytes(pid, 'VmRSS');
      if (bytes !== null && bytes > limitBytes) {
        clearInterval(timer);
        onExceeded(pid, bytes);
        return;
      }
    }
  }, 200);
  return () => clearInterval(timer);
}
