// Keeps passwords out of what ftp-srv logs. ftp-srv logs every raw control line at trace level (`PASS secret`
// included, both as the line array in connection.js and as `command.raw` in commands/index.js), so every argument
// it hands to the logger is scrubbed before it reaches pino, at every level.
import type { Logger } from 'pino';

const PASS_LINE = /(^|[\r\n])(\s*PASS)([ \t]+)[^\r\n]*/gi;
const MAX_DEPTH = 6;

/** Replaces the argument of any `PASS ...` line in a string. */
export function scrubText(text: string): string {
  return text.replace(PASS_LINE, '$1$2$3********');
}

/** A copy of a log argument with every PASS line masked (strings inside arrays and plain objects, bounded depth). */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  if (value instanceof Error) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) copy[key] = scrubValue(item, depth + 1);
  return copy;
}

type LogMethod = (...args: unknown[]) => void;

/** The subset of a logger ftp-srv uses (bunyan-style: child plus one method per level). */
export interface FtpSrvLogger {
  child(bindings: Record<string, unknown>): FtpSrvLogger;
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Wraps a pino logger for ftp-srv so that nothing it logs can carry a password. */
export function scrubbingLogger(logger: Logger): FtpSrvLogger {
  const wrapped = {
    child: (bindings: Record<string, unknown>) =>
      scrubbingLogger(logger.child(scrubValue(bindings) as Record<string, unknown>)),
  } as FtpSrvLogger;
  for (const level of LEVELS) {
    wrapped[level] = (...args: unknown[]) => {
      if (!logger.isLevelEnabled(level)) return;
      const clean = args.map((arg) => scrubValue(arg));
      (logger[level] as (...a: unknown[]) => void)(...clean);
    };
  }
  return wrapped;
}
