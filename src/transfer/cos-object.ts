// One object in COS as the transfer layer addresses it, plus the retry policy every transfer request follows.
import type COS from 'cos-nodejs-sdk-v5';
import type { Logger } from 'pino';
import type { AccountContext } from '../server/context';
import { endpointOptions } from '../store/cos-client';

export interface ObjectLocation {
  cos: COS;
  Bucket: string;
  Region: string;
  Key: string;
}

export function locate(account: AccountContext, key: string): ObjectLocation {
  return { cos: account.cos, Bucket: account.account.bucket, Region: endpointOptions(account.account).Region, Key: key };
}

/** The SDK's params for this object (without the client). */
export function objectParams(loc: ObjectLocation): { Bucket: string; Region: string; Key: string } {
  return { Bucket: loc.Bucket, Region: loc.Region, Key: loc.Key };
}

/** `x-cos-copy-source` for this object: `<bucket>.cos.<region>.myqcloud.com/<url-encoded key>`. */
export function copySourceOf(loc: ObjectLocation): string {
  const key = loc.Key.split('/').map(encodeURIComponent).join('/');
  return `${loc.Bucket}.cos.${loc.Region}.myqcloud.com/${key}`;
}

/** What the SDK reports: a COS error (statusCode + Code) or a network error (code only). */
export interface SdkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

// BadDigest: COS refused a body that did not match its Content-MD5, i.e. it was damaged on the way; send it again.
const RETRYABLE_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'BadDigest']);

/** 5xx, SlowDown and network failures (no status at all) are worth another try; other 4xx are not. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof IntegrityMismatch) return true;
  const e = (err ?? {}) as SdkError;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  // Socket errors (ECONNRESET, ESOCKETTIMEDOUT, EPIPE...), even when a 2xx status had already arrived.
  if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return true;
  if (typeof e.statusCode === 'number') return e.statusCode >= 500 || e.statusCode === 429;
  return false;
}

export function statusOf(err: unknown): number | undefined {
  const s = (err as SdkError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function describe(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  return [e.statusCode, e.code, e.message].filter((x) => x !== undefined && x !== '').join(' ') || String(err);
}

/** COS answered, but with a checksum that differs from the bytes sent. */
export class IntegrityMismatch extends Error {
  constructor(what: string, expected: string, actual: string | undefined) {
    super(`${what}: CRC-64 mismatch (sent ${expected}, COS has ${actual ?? 'none'})`);
    this.name = 'IntegrityMismatch';
  }
}

/** Backoff for one request kind; a module-level object so operators/tests can tune it. */
export const retryPolicy = {
  /** Tries in all, the first included. */
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 8_000,
};

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the tries are used up; waits with
 * exponential backoff and full jitter in between. `cancelled()` stops further tries (the transfer is gone).
 */
export async function withRetry<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  opts: { log: Logger; cancelled?: () => boolean },
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= retryPolicy.attempts || !isRetryable(err) || opts.cancelled?.()) throw err;
      const ceiling = Math.min(retryPolicy.maxDelayMs, retryPolicy.baseDelayMs * 2 ** (n - 1));
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      opts.log.warn({ op: what, attempt: n, delayMs: delay, err: describe(err) }, 'COS request failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (opts.cancelled?.()) throw err;
    }
  }
}

/** The `x-cos-hash-crc64ecma` header of a response, if any. */
export function crcHeader(result: { headers?: Record<string, unknown> } | undefined): string | undefined {
  const value = result?.headers?.['x-cos-hash-crc64ecma'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
