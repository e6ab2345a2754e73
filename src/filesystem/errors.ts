// File-system failures carry the FTP reply code the client must see; handlers reply with it as it is.
import { StoreError, describeError } from '../store/object-store';

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

/**
 * The reply for a storage failure during `action`: 550 when the store refused for good (denied, not found, a bad
 * request), 451 when it may work later (retryable: 5xx, throttling, network; or anything unknown).
 */
export function storageError(err: unknown, action: string): FtpReplyError {
  if (err instanceof FtpReplyError) return err;
  if (!(err instanceof StoreError)) {
    return new FtpReplyError(451, `${action}: storage unavailable, try again (${describeError(err)})`, err);
  }
  switch (err.kind) {
    case 'denied': {
      const why = err.storeCode ? ` (${err.storeCode})` : '';
      return new FtpReplyError(550, `${action}: permission denied by the storage${why}`, err);
    }
    case 'not-found':
      if (err.storeCode === 'NoSuchBucket') {
        return new FtpReplyError(550, `${action}: the storage bucket does not exist; tell the server's operator`, err);
      }
      return new FtpReplyError(550, `${action}: no such file or directory`, err);
    case 'conflict':
    case 'fatal':
      return new FtpReplyError(550, `${action}: ${err.describe()}`, err);
    case 'retryable':
      return new FtpReplyError(451, `${action}: storage unavailable, try again (${err.describe()})`, err);
  }
}

/** The reply code and a one-line message for any error reaching a file-system command. */
export function replyOf(err: unknown, fallbackCode = 550): { code: number; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ').slice(0, 300);
  if (typeof code === 'number' && code >= 400 && code < 600) return { code, message };
  return { code: fallbackCode, message: message || 'Requested action not taken.' };
}
