// Shared pieces of the store's conformance suite: a store, a real SDK client pointed at it, byte generators.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { type LocalCos, type LocalCosOptions, startLocalCos } from '../../src/store/localcos';
import { Crc64 } from '../../src/util/crc64';
import { StoreError } from '../../src/store/object-store';

export const BUCKET = 'bucket1-1250000000';
export const REGION = 'ap-guangzhou';
export const SECRET_ID = 'AKIDlocaltest';
export const SECRET_KEY = 'local-test-secret';

export async function startStore(opts: Partial<LocalCosOptions> = {}): Promise<LocalCos> {
  return startLocalCos({
    credentials: [{ id: SECRET_ID, key: SECRET_KEY }],
    buckets: [BUCKET],
    ...opts,
  });
}

export function sdkClient(store: { port: number }, secretId = SECRET_ID, secretKey = SECRET_KEY, extra: Partial<COS.COSOptions> = {}): COS {
  return new COS({
    SecretId: secretId,
    SecretKey: secretKey,
    Protocol: 'http:',
    Ip: `127.0.0.1:${store.port}`,
    KeepAlive: true,
    AutoSwitchHost: false,
    Timeout: 60_000,
    ...extra,
  });
}

export const at = { Bucket: BUCKET, Region: REGION };

/** Deterministic pseudo-random bytes (xorshift), so tests can regenerate expected content without keeping it. */
export function patternBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function crc64Of(...parts: Buffer[]): string {
  const crc = new Crc64();
  for (const p of parts) crc.update(p);
  return crc.digest();
}

/** The error a rejected SDK promise carries. */
export interface SdkError {
  code?: string;
  statusCode?: number;
  message?: string;
}

export async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}

/** The StoreError a failed call rejects with (fails the test when the call succeeds or fails otherwise). */
export async function storeFailure(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    return err;
  }
  throw new Error('expected the call to fail');
}
