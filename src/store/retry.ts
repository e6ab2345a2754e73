// The one retry policy of every store: exponential backoff with jitter, for the failures classified 'retryable'
// (5xx, throttling, network, damaged bodies, checksum mismatches), never for a cancelled call.
import type { Logger } from 'pino';
import { StoreError, cancelled } from './object-store';

/** Backoff of every store operation; a module-level object so that tests can shorten the waits. */
export const retryPolicy = {
  /** Tries in all, the first included. */
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 8_000,
};

/** The wait before try n+1: half the exponential ceiling plus a random part of the other half. */
export function backoffMs(n: number): number {
  const ceiling = Math.min(retryPolicy.maxDelayMs, retryPolicy.baseDelayMs * 2 ** (n - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryOptions {
  log: Logger;
  signal?: AbortSignal;
  /** Tries in all; default retryPolicy.attempts. */
  tries?: number;
  /** Which failures to try again; default: kind 'retryable'. */
  retryable?: (err: StoreError, attempt: number) => boolean;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable StoreError, or the tries are used up. `attempt`
 * must reject with StoreError only (each store translates its SDK's errors). A cancelled signal stops at once.
 */
export async function withRetry<T>(
  operation: string,
  attempt: (n: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const retryable = opts.retryable ?? ((err: StoreError) => err.kind === 'retryable');
  let clockRetried = false;
  for (let n = 1; ; n++) {
    if (opts.signal?.aborted) throw cancelled(operation);
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      if (opts.signal?.aborted) throw cancelled(operation);
      // Once per call: the SDK has taken the store's clock from `Date` by now (it re-sends only bodies it holds
      // itself, never a stream), and a new signature is made at the new time.
      const clockOnce: boolean = isClockError(err) && !clockRetried;
      clockRetried ||= clockOnce;
      if (n >= (opts.tries ?? retryPolicy.attempts) || !(retryable(err, n) || clockOnce)) throw err;
      const delayMs = backoffMs(n);
      opts.log.warn({ op: operation, attempt: n, delayMs, err: err.describe() }, 'storage request failed; retrying');
      await sleep(delayMs, opts.signal);
    }
  }
}

/** COS refused the request's time: RequestTimeTooSkewed, or AccessDenied "Request has expired" (doc 7730). */
export function isClockError(err: StoreError): boolean {
  return err.storeCode === 'RequestTimeTooSkewed' || (err.storeCode === 'AccessDenied' && /Request has expired/i.test(err.message));
}
