// Time-based rotation of log/cos_v5.log, like the original's TimedRotatingFileHandler: the live file keeps its
// name; at each period it is renamed with a time suffix and a new one is opened; only log_backup_count old files
// are kept. (pino-roll numbers the live file itself, which would break `tail -f log/cos_v5.log`.)
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { RotateUnit } from '../config/types';

const PERIOD_MS: Record<RotateUnit, number> = { S: 1000, M: 60_000, H: 3_600_000, D: 86_400_000 };

/** The original's suffixes (Python's TimedRotatingFileHandler), in local time. */
export function rotationSuffix(date: Date, unit: RotateUnit): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
  if (unit === 'D') return day;
  if (unit === 'H') return `${day}_${p(date.getHours())}`;
  if (unit === 'M') return `${day}_${p(date.getHours())}-${p(date.getMinutes())}`;
  return `${day}_${p(date.getHours())}-${p(date.getMinutes())}-${p(date.getSeconds())}`;
}

/** Start of the period containing `ms`, in local time. */
function periodStart(ms: number, unit: RotateUnit): number {
  const d = new Date(ms);
  if (unit === 'D') return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const period = PERIOD_MS[unit];
  return ms - (ms % period);
}

export type FileDestination = ReturnType<typeof pino.destination>;

export interface RotatingFile {
  stream: FileDestination;
  /** Rotates now (also called by the timer); exposed for tests. */
  rotate(): void;
  /** Opens the file by its name again (SIGUSR1: an external logrotate has moved it). */
  reopen(): void;
  close(): void;
}

/** Opens `file` for appending; with `rotate`, renames it at every period boundary and prunes old files. */
export function openLogFile(file: string, rotate?: { unit: RotateUnit; backupCount: number }): RotatingFile {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // sync: every line is on disk when the call returns, so nothing is lost on exit or crash.
  // 0600, as vsftpd creates its log: it names users, addresses and paths.
  const stream = pino.destination({ dest: file, sync: true, mkdir: true, mode: 0o600 });
  let timer: NodeJS.Timeout | undefined;
  let currentStart = Date.now();

  const rotateNow = (): void => {
    if (!rotate) return;
    const target = `${file}.${rotationSuffix(new Date(periodStart(currentStart, rotate.unit)), rotate.unit)}`;
    try {
      if (fs.existsSync(file) && fs.statSync(file).size > 0) {
        let name = target;
        for (let i = 1; fs.existsSync(name); i++) name = `${target}.${i}`;
        fs.renameSync(file, name);
      }
      stream.reopen();
      prune(file, rotate.backupCount);
    } catch (err) {
      process.stderr.write(`log rotation failed: ${(err as Error).message}\n`);
    }
    currentStart = Date.now();
  };

  const schedule = (): void => {
    if (!rotate) return;
    const now = Date.now();
    const next = periodStart(now, rotate.unit) + (rotate.unit === 'D' ? 0 : PERIOD_MS[rotate.unit]);
    const nextDay = rotate.unit === 'D' ? new Date(new Date(now).setHours(24, 0, 0, 0)).getTime() : next;
    timer = setTimeout(() => {
      rotateNow();
      schedule();
    }, Math.max(50, nextDay - now));
    timer.unref();
  };
  schedule();

  return {
    stream,
    rotate: rotateNow,
    reopen() {
      // Creates the folder and file again if logrotate removed them; the old descriptor is closed.
      fs.mkdirSync(path.dirname(file), { recursive: true });
      stream.reopen();
    },
    close() {
      if (timer) clearTimeout(timer);
      try {
        stream.flushSync();
      } catch {
        // nothing buffered or already closed
      }
      stream.end();
    },
  };
}

/** Keeps the newest `keep` rotated files of `file`. */
function prune(file: string, keep: number): void {
  const dir = path.dirname(file);
  const base = `${path.basename(file)}.`;
  const rotated = fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(base))
    .map((name) => ({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name));
  for (const old of rotated.slice(keep)) fs.rmSync(path.join(dir, old.name), { force: true });
}
