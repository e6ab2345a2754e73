// The transfer failures the engines report, as ReplyErrors carrying the FTP reply the client must see.
import { isCancelled } from '../store/object-store';
import { ReplyError } from '../util/reply-error';

export { ReplyError, replyOf } from '../util/reply-error';

/** 426: the client aborted (ABOR) or its data connection went away. */
export const aborted = (message = 'Connection closed; transfer aborted.'): ReplyError => new ReplyError(426, message);

/** 451: the store kept failing, or an integrity check failed; nothing was stored. A cancelled request: 426. */
export const storageFailed = (message: string, cause?: unknown): ReplyError =>
  isCancelled(cause) ? aborted() : new ReplyError(451, `Requested action aborted: ${message}`, cause);

/** 552: the upload grew past single_file_max_size. */
export const tooLarge = (limit: number): ReplyError =>
  new ReplyError(552, `Exceeded storage allocation: file larger than ${limit} bytes.`);
