// The one error type that carries the FTP reply a client must see (ftp-srv would turn everything into 550): the
// file system and the transfer engines throw it, the command handlers reply with it as it is.

export class ReplyError extends Error {
  constructor(
    /** The FTP reply code, 4xx or 5xx. */
    readonly code: number,
    message: string,
    /** The storage or socket error behind it, for the log. */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

/**
 * The reply code and a one-line message (no line breaks, no XML) for any error reaching a command handler: a
 * ReplyError's or an ftp-srv-style numeric `code` in 400-599, else `fallbackCode`.
 */
export function replyOf(err: unknown, fallbackCode = 550): { code: number; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const text = err instanceof Error ? err.message : String((err as { message?: unknown } | null)?.message ?? err);
  const message = text.replace(/[\r\n]+/g, ' ').slice(0, 300) || 'Requested action not taken.';
  if (typeof code === 'number' && code >= 400 && code < 600) return { code, message };
  return { code: fallbackCode, message };
}
