// File-system failures carry the FTP reply code the client must see; handlers reply with it as it is.
import { StoreError, describeError } from '../store/object-store';
import { ReplyError } from '../util/reply-error';

export { ReplyError, replyOf } from '../util/reply-error';

/** 550: refused or not found. */
export const refused = (message: string): ReplyError => new ReplyError(550, message);

/** 553: the name itself is not allowed. */
export const badName = (message: string): ReplyError => new ReplyError(553, message);

/**
 * The reply for a storage failure during `action`: 550 when the store refused for good (denied, not found, a bad
 * request), 451 when it may work later (retryable: 5xx, throttling, network; or anything unknown).
 */
export function storageError(err: unknown, action: string): ReplyError {
  if (err instanceof ReplyError) return err;
  if (!(err instanceof StoreError)) {
    return new ReplyError(451, `${action}: storage unavailable, try again (${describeError(err)})`, err);
  }
  switch (err.kind) {
    case 'denied': {
      const why = err.storeCode ? ` (${err.storeCode})` : '';
      return new ReplyError(550, `${action}: permission denied by the storage${why}`, err);
    }
    case 'not-found':
      if (err.storeCode === 'NoSuchBucket') {
        return new ReplyError(550, `${action}: the storage bucket does not exist; tell the server's operator`, err);
      }
      return new ReplyError(550, `${action}: no such file or directory`, err);
    case 'conflict':
    case 'fatal':
      return new ReplyError(550, `${action}: ${err.describe()}`, err);
    case 'retryable':
      return new ReplyError(451, `${action}: storage unavailable, try again (${err.describe()})`, err);
  }
}
