// Transfer failures carry the FTP reply code the client must see (ftp-srv would turn everything into 550).
import { isCancelled } from '../store/object-store';

export class TransferError extends Error {
  constructor(
    readonly replyCode: number,
    message: string,
    /** The COS or socket error behind it, for the log. */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

/** 426: the client aborted (ABOR) or its data connection went away. */
export const aborted = (message = 'Connection closed; transfer aborted.'): TransferError => new TransferError(426, message);

/** 451: the store kept failing, or an integrity check failed; nothing was stored. A cancelled request: 426. */
export const storageFailed = (message: string, cause?: unknown): TransferError =>
  isCancelled(cause) ? aborted() : new TransferError(451, `Requested action aborted: ${message}`, cause);

/** 552: the upload grew past single_file_max_size. */
export const tooLarge = (limit: number): TransferError =>
  new TransferError(552, `Exceeded storage allocation: file larger than ${limit} bytes.`);

/** The reply code for any error reaching a transfer command: ours, ftp-srv-style `{code}` numbers, else `fallback`. */
export function replyCodeOf(err: unknown, fallback: number): number {
  if (err instanceof TransferError) return err.replyCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && code >= 400 && code < 600) return code;
  return fallback;
}

/** A one-line message for a reply (no line breaks, no XML). */
export function replyMessageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  return message.replace(/[\r\n]+/g, ' ').slice(0, 300) || 'Transfer failed.';
}
