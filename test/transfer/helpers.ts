// Test data and checks for the transfer tests: seeded byte streams (AES-CTR keystream: fast, reproducible, never
// held in memory whole), hashes, and what COS holds afterwards.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import type COS from 'cos-nodejs-sdk-v5';
import type { Stack } from '../helpers/stack';
import type { TransferTarget } from '../../src/transfer/index';
import { retryPolicy } from '../../src/store/retry';

export const MIB = 1024 * 1024;

/** Retries as in production but with short waits, so failure tests stay quick. */
export function fastRetries(): void {
  retryPolicy.baseDelayMs = 5;
  retryPolicy.maxDelayMs = 50;
}

const ZEROS = Buffer.alloc(256 * 1024);

/** `size` pseudo-random bytes determined by `seed`, in chunks of up to `chunkSize`. */
export function seededStream(seed: string, size: number, chunkSize = 64 * 1024): Readable {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunkSize, ZEROS.length);
      left -= n;
      this.push(cipher.update(ZEROS.subarray(0, n)));
    },
  });
}

/** All of a seeded stream as one buffer (small sizes only). */
export async function seededBytes(seed: string, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of seededStream(seed, size)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function sha256Of(source: AsyncIterable<Buffer | Uint8Array | string>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of source) h.update(c);
  return h.digest('hex');
}

export function sha256OfBuffer(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function seededHash(seed: string, size: number): Promise<string> {
  return sha256Of(seededStream(seed, size));
}

/** SHA-256 of an object as COS holds it, streamed; undefined when missing. */
export async function objectHash(cos: COS, bucket: string, key: string): Promise<string | undefined> {
  const h = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      h.update(chunk);
      cb();
    },
  });
  try {
    await cos.getObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: key, Output: sink });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  return h.digest('hex');
}

export async function objectSize(cos: COS, bucket: string, key: string): Promise<number | undefined> {
  try {
    const r = await cos.headObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: key });
    return Number((r.headers as Record<string, string>)['content-length']);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

export async function putBytes(cos: COS, bucket: string, key: string, body: Buffer): Promise<void> {
  await cos.putObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: key, Body: body });
}

/** Multipart uploads still open in the bucket (must be none after any transfer). */
export async function openUploads(cos: COS, bucket: string): Promise<string[]> {
  const r = await cos.multipartList({ Bucket: bucket, Region: 'ap-guangzhou', Prefix: '', Delimiter: '' } as COS.MultipartListParams);
  const uploads = (r as unknown as { Upload?: Array<{ Key: string }> }).Upload ?? [];
  return uploads.map((u) => u.Key);
}

/** A TransferTarget on the stack's first account, for driving the engine without FTP. */
export function targetFor(stack: Stack, key: string): TransferTarget {
  const gateway = stack.gateway.context;
  const { account, store } = gateway.accounts[0];
  return { services: gateway.transferServices, store, key, user: account.userName, log: stack.logger };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sink that hashes (SHA-256) and counts what is written to it. */
export function hashingSink(): { sink: Writable; digest: () => string; bytes: () => number } {
  const h = createHash('sha256');
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      h.update(chunk);
      n += chunk.length;
      cb();
    },
  });
  return { sink, digest: () => h.digest('hex'), bytes: () => n };
}
