// File-system failures carry the FTP reply code the client must see; handlers reply with it as it is.

export class FtpReplyError extends Error {
  constructor(
    /** The FTP reply code (numeric, so that the transfer layer's replyCodeOf() picks it up too). */
    readonly code: number,
    message: string,
    /** The COS error behind it, for the log. */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'FtpReplyError';
  }
}

/** 550: refused or not found. */
export const refused = (message: string): FtpReplyError => new FtpReplyError(550, message);

/** 553: the name itself is not allowed. */
export const badName = (message: string): FtpReplyError => new FtpReplyError(553, message);

/** What the SDK reports: a COS error (statusCode + Code) or a network error (code only). */
interface SdkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

export function cosStatusOf(err: unknown): number | undefined {
  const s = (err as SdkError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** A one-line description of a COS/SDK error for logs and replies (no XML, no line breaks). */
export function describeCosError(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  const text = [e.statusCode, e.code, e.message].filter((x) => x !== undefined && x !== '').join(' ') || String(err);
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

/**
 * The reply for a COS failure during `action`: 550 when COS refused for good (403, 404, other 4xx),
 * 451 when it may work later (5xx, throttling, network).
 */
export function storageError(err: unknown, action: string): FtpReplyError {
  if (err instanceof FtpReplyError) return err;
  const status = cosStatusOf(err);
  const cosCode = (err as SdkError | null)?.code;
  if (status === 403) {
    const why = cosCode && cosCode !== '403' ? ` (${cosCode})` : '';
    return new FtpReplyError(550, `${action}: permission denied by the storage${why}`, err);
  }
  if (status === 404 && cosCode === 'NoSuchBucket') {
    return new FtpReplyError(550, `${action}: the storage bucket does not exist; tell the server's operator`, err);
  }
  if (status === 404) return new FtpReplyError(550, `${action}: no such file or directory`, err);
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new FtpReplyError(550, `${action}: ${describeCosError(err)}`, err);
  }
  return new FtpReplyError(451, `${action}: storage unavailable, try again (${describeCosError(err)})`, err);
}

/** The reply code and a one-line message for any error reaching a file-system command. */
export function replyOf(err: unknown, fallbackCode = 550): { code: number; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ').slice(0, 300);
  if (typeof code === 'number' && code >= 400 && code < 600) return { code, message };
  return { code: fallbackCode, message: message || 'Requested action not taken.' };
}
