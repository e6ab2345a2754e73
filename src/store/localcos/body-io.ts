// Request bodies in, object bytes out: one pass that stores, hashes (MD5, CRC-64, SHA-256 when signed) and
// honours backpressure, throttle and cut faults.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Crc64 } from '../../util/crc64';
import type { BlobStore, StoredBlob } from './blob-store';
import { type ChunkSigning, chunkSignature } from './auth-v4';
import { CosError } from './errors';

export interface IngestOptions {
  /** Largest body accepted, bytes. */
  maxBytes: number;
  /** Exact body length expected (Content-Length or x-amz-decoded-content-length). */
  expectedBytes?: number;
  /** Content-MD5, base64. */
  contentMd5?: string;
  /** x-amz-content-sha256 when it is a real digest. */
  sha256Hex?: string;
  throttleBytesPerSec?: number;
  /** Called (and the upload fails) once this many bytes have arrived. */
  cutAfterBytes?: number;
  onCut?: () => void;
}

export interface Ingested {
  blob: StoredBlob;
  size: number;
  md5Hex: string;
  crc: Crc64;
}

export async function ingest(source: AsyncIterable<Buffer>, blobs: BlobStore, opts: IngestOptions): Promise<Ingested> {
  const writer = await blobs.createWriter();
  const md5 = createHash('md5');
  const sha256 = opts.sha256Hex ? createHash('sha256') : undefined;
  const crc = new Crc64();
  let size = 0;
  const started = Date.now();
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > opts.maxBytes) throw new CosError(400, 'EntityTooLarge');
      if (opts.cutAfterBytes !== undefined && size >= opts.cutAfterBytes) {
        opts.onCut?.();
        throw new CosError(400, 'IncompleteBody', 'Connection cut by fault injection.');
      }
      md5.update(chunk);
      crc.update(chunk);
      sha256?.update(chunk);
      const wait = writer.write(chunk);
      if (wait) await wait;
      if (opts.throttleBytesPerSec) {
        const due = started + (size / opts.throttleBytesPerSec) * 1000;
        const ahead = due - Date.now();
        if (ahead > 0) await sleep(ahead);
      }
    }
    if (opts.expectedBytes !== undefined && size !== opts.expectedBytes) {
      throw new CosError(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    const md5Digest = md5.digest();
    if (opts.contentMd5 !== undefined && md5Digest.toString('base64') !== opts.contentMd5) {
      throw new CosError(400, 'BadDigest');
    }
    if (sha256 && sha256.digest('hex') !== opts.sha256Hex?.toLowerCase()) {
      throw new CosError(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
    }
    const blob = await writer.finish();
    return { blob, size, md5Hex: md5Digest.toString('hex'), crc };
  } catch (err) {
    await writer.discard();
    throw err;
  }
}

/**
 * Decodes an `aws-chunked` body (STREAMING-* payloads): yields the data, drops trailers, and checks each chunk's
 * signature when `signing` is given (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
 */
export async function* decodeAwsChunked(source: AsyncIterable<Buffer>, signing?: ChunkSigning): AsyncIterable<Buffer> {
  let state: 'header' | 'data' | 'crlf' | 'trailer' | 'done' = 'header';
  let remaining = 0;
  let partial: Buffer | undefined;
  let previousSignature = signing?.seedSignature ?? '';
  let claimedSignature = '';
  let dataHash = signing ? createHash('sha256') : undefined;
  const verifyChunk = (): void => {
    if (!signing || !dataHash) return;
    const expected = chunkSignature(signing, previousSignature, dataHash.digest('hex'));
    if (expected !== claimedSignature.toLowerCase()) {
      throw new CosError(403, 'SignatureDoesNotMatch', 'The chunk signature does not match.');
    }
    previousSignature = expected;
    dataHash = createHash('sha256');
  };
  for await (const incoming of source) {
    let chunk: Buffer = incoming;
    while (chunk.length > 0) {
      if (state === 'data') {
        const take = Math.min(remaining, chunk.length);
        const data = take === chunk.length ? chunk : chunk.subarray(0, take);
        dataHash?.update(data);
        if (remaining === take && signing) verifyChunk();
        yield data;
        remaining -= take;
        chunk = chunk.subarray(take);
        if (remaining === 0) state = 'crlf';
        continue;
      }
      if (state === 'done') break;
      const buf: Buffer = partial ? Buffer.concat([partial, chunk]) : chunk;
      partial = undefined;
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 8192) throw new CosError(400, 'InvalidRequest', 'Malformed aws-chunked body.');
        partial = buf;
        break;
      }
      const line = buf.subarray(0, eol).toString('latin1');
      chunk = buf.subarray(eol + 2);
      if (state === 'crlf') {
        if (line !== '') throw new CosError(400, 'InvalidRequest', 'Malformed aws-chunked body.');
        state = 'header';
      } else if (state === 'header') {
        const [sizeText, ...extensions] = line.split(';');
        const size = parseInt(sizeText, 16);
        if (!Number.isFinite(size) || size < 0) throw new CosError(400, 'InvalidRequest', 'Malformed aws-chunked body.');
        claimedSignature = extensions.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
        if (size === 0) {
          verifyChunk();
          state = 'trailer';
        }
        else {
          remaining = size;
          state = 'data';
        }
      } else if (line === '') {
        state = 'done';
      }
    }
  }
  if (state !== 'done' && state !== 'trailer') throw new CosError(400, 'IncompleteBody', 'Truncated aws-chunked body.');
}

export interface SendOptions {
  throttleBytesPerSec?: number;
  cutAfterBytes?: number;
}

/** Streams bytes [start, end) of the segments to the response, then ends it. Resolves when done or aborted. */
export async function sendSegments(
  res: ServerResponse,
  blobs: BlobStore,
  segments: StoredBlob[],
  start: number,
  end: number,
  opts: SendOptions = {},
): Promise<void> {
  for (const s of segments) blobs.pin(s);
  const started = Date.now();
  let sent = 0;
  let aborted = false;
  const onClose = (): void => {
    aborted = true;
  };
  res.on('close', onClose);
  try {
    let offset = 0;
    for (const segment of segments) {
      const segmentEnd = offset + segment.size;
      if (segmentEnd > start && offset < end) {
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset, segment.size);
        for await (let chunk of blobs.read(segment, from, to)) {
          if (aborted) return;
          if (opts.cutAfterBytes !== undefined && sent + chunk.length >= opts.cutAfterBytes) {
            chunk = chunk.subarray(0, Math.max(opts.cutAfterBytes - sent, 0));
            if (chunk.length) res.write(chunk);
            // Let the partial bytes leave before the connection drops.
            await new Promise<void>((resolve) => res.write('', () => resolve()));
            res.socket?.destroy();
            return;
          }
          sent += chunk.length;
          if (!res.write(chunk)) {
            await new Promise<void>((resolve) => {
              const done = (): void => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            });
          }
          if (opts.throttleBytesPerSec) {
            const ahead = started + (sent / opts.throttleBytesPerSec) * 1000 - Date.now();
            if (ahead > 0) await sleep(ahead);
          }
        }
      }
      offset = segmentEnd;
      if (offset >= end) break;
    }
    if (!aborted) res.end();
  } finally {
    res.off('close', onClose);
    for (const s of segments) blobs.unpin(s);
  }
}
