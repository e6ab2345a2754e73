// A client that resets or drops its connection is ordinary client behaviour (a killed client, a NAT timeout, a
// client that closes hard after QUIT). ftp-srv logs every control-socket error at error level with its stack
// (connection.js: `log.error(err, 'Client error')`); for these errors that is one debug line without a stack.
import type { FtpSrvLogger } from '../log/scrub';

/** Socket error codes that mean the client's side went away. */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

function clientGoneCode(value: unknown): string | undefined {
  const code = value instanceof Error ? (value as NodeJS.ErrnoException).code : undefined;
  return code !== undefined && CLIENT_GONE.has(code) ? code : undefined;
}

/** Gives a session's ftp-srv logger an `error` that logs a client that went away at debug level, in one line. */
export function quietClientGone(connection: { log: FtpSrvLogger }): void {
  const log = connection.log;
  const quiet: FtpSrvLogger = Object.create(log) as FtpSrvLogger;
  quiet.error = (...args: unknown[]) => {
    const code = clientGoneCode(args[0]);
    if (code === undefined) return log.error(...args);
    log.debug({ code }, 'client connection lost');
  };
  connection.log = quiet;
}
