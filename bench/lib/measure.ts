// Peak RSS and CPU seconds of running processes over one measurement. Peak RSS: the kernel's high-water mark
// (VmHWM, reset through /proc/<pid>/clear_refs at the start), cross-checked by pidusage samples every 100 ms.
// CPU seconds: utime + stime from /proc/<pid>/stat, end minus start. RSS afterwards: VmRSS a moment after the end
// (what the process keeps once the transfer is over).
import fs from 'node:fs';
import pidusage from 'pidusage';

export interface Usage {
  peakRss: number;
  cpuSeconds: number;
  /** VmRSS shortly after the measurement ended (absent for clients that report their own usage). */
  rssAfter?: number;
}

/** How long after a measurement its processes' RSS is read: long enough for a transfer's last callbacks. */
const SETTLE_MS = 1000;

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux build in practice). */
const CLOCK_TICKS = 100;

export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function highWaterMark(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Current resident set size (VmRSS), bytes; NaN when the process is gone. */
export function currentRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

function resetHighWaterMark(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux or not allowed: the pidusage samples still give a peak
  }
}

export class Monitor {
  private readonly startCpu = new Map<number, number>();
  private readonly peaks = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly parties: Record<string, number>) {}

  start(): void {
    for (const pid of Object.values(this.parties)) {
      resetHighWaterMark(pid);
      this.startCpu.set(pid, cpuSeconds(pid));
      this.peaks.set(pid, 0);
    }
    this.timer = setInterval(() => void this.sample(), 100);
  }

  private async sample(): Promise<void> {
    for (const pid of Object.values(this.parties)) {
      try {
        const stat = await pidusage(pid);
        this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, stat.memory));
      } catch {
        // the process is gone; its last samples stand
      }
    }
  }

  async stop(): Promise<Record<string, Usage>> {
    clearInterval(this.timer);
    await this.sample();
    const result: Record<string, Usage> = {};
    for (const [name, pid] of Object.entries(this.parties)) {
      result[name] = {
        peakRss: Math.max(this.peaks.get(pid) ?? 0, highWaterMark(pid)),
        cpuSeconds: cpuSeconds(pid) - (this.startCpu.get(pid) ?? 0),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const [name, pid] of Object.entries(this.parties)) result[name].rssAfter = currentRss(pid);
    return result;
  }
}

/** Forgets pidusage's per-pid history (its cleanup timer would otherwise keep the event loop alive). */
export function releaseMonitors(): void {
  pidusage.clear();
}
