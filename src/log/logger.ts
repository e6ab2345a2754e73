// The daemon's logger: JSON lines to log_dir/cos_v5.log at log_level, and to the terminal (readable with
// pino-pretty on a TTY, JSON otherwise). Secrets are redacted by field name; ftp-srv's raw lines are scrubbed
// separately (scrub.ts).
import path from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogConfig } from '../config/types';
import { openLogFile } from './rotating-file';
import type { RotatingFile } from './rotating-file';

export const LOG_FILE_NAME = 'cos_v5.log';

/** Field names that never reach a log line. */
export const REDACT_PATHS = [
  'password',
  'secretKey',
  'secretkey',
  'cos_secretkey',
  'ftp_login_user_password',
  '*.password',
  '*.secretKey',
  'accounts[*].password',
  'accounts[*].secretKey',
  'config.accounts[*].password',
  'config.accounts[*].secretKey',
  'account.password',
  'account.secretKey',
];

export interface DaemonLogger {
  logger: Logger;
  /** The log file path. */
  file: string;
  /** Opens the log file by its name again, after an external logrotate moved it (SIGUSR1). */
  reopen(): void;
  /** Flushes and closes the file. */
  close(): void;
}

export interface DaemonLoggerOptions {
  /** Also write to the terminal (stdout); default true. */
  console?: boolean;
  /** Force pretty output on or off; default: pretty when stdout is a TTY. */
  pretty?: boolean;
}

export function createDaemonLogger(config: LogConfig, options: DaemonLoggerOptions = {}): DaemonLogger {
  const file = path.join(config.dir, LOG_FILE_NAME);
  const logFile: RotatingFile = openLogFile(
    file,
    config.rotateEnabled ? { unit: config.rotateWhen, backupCount: config.backupCount } : undefined,
  );
  const streams: pino.StreamEntry[] = [{ level: config.level, stream: logFile.stream }];
  if (options.console ?? true) {
    const usePretty = options.pretty ?? process.stdout.isTTY === true;
    const out = usePretty
      ? pretty({
          colorize: true,
          singleLine: true,
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          ignore: 'pid,hostname',
          sync: true,
        })
      : pino.destination({ fd: 1, sync: true });
    // A terminal that went away (closed pipe, hung-up session) must not take the daemon down with it.
    out.on('error', () => undefined);
    streams.push({ level: config.level, stream: out });
  }
  const logger = pino(
    {
      level: config.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '********' },
    },
    pino.multistream(streams),
  );
  return { logger, file, reopen: () => logFile.reopen(), close: () => logFile.close() };
}
