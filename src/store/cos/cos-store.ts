// ObjectStore on cos-nodejs-sdk-v5: everything COS-specific lives here (endpoint and signature options through
// the SDK, `x-cos-hash-crc64ecma`, `x-cos-copy-source`, the error codes COS sends, request cancellation). GetObject
// goes through the store's own HTTP client (get-object.ts), which takes URL, address and signature from the SDK.
import { Readable } from 'node:stream';
import type COS from 'cos-nodejs-sdk-v5';
import type { Logger } from 'pino';
import type { AccountConfig } from '../../config/types';
import {
  type Body,
  type CallOptions,
  type CompleteOptions,
  type CompletedPart,
  type CopyOptions,
  type DeleteFailure,
  type GetOptions,
  type GetResult,
  type InitMultipartOptions,
  type ListOptions,
  type ListPage,
  MAX_BATCH,
  type ObjectInfo,
  type ObjectMetadata,
  type ObjectStore,
  type PartCopyOptions,
  type PutOptions,
  type StoreCapabilities,
  StoreError,
  type WriteResult,
  cancelled,
  classify,
  isStoreError,
} from '../object-store';
import { type RetryOptions, withRetry } from '../retry';
import { decodeListed, listPages, pageOf, rangeOf } from '../listing';
import { createCosClient, endpointOptions } from './client';
import { type Call, CosRequests } from './requests';
import { DEFAULT_TIMEOUT_MS, type StoreOptions } from '../store-options';
import { CosGetClient, namesBucket } from './get-object';
import type { HttpResponse } from './http-exchange';

/** What the SDK reports: a COS error (statusCode + Code) or a network error (code only). */
interface SdkError {
  statusCode?: number;
  code?: unknown;
  message?: string;
}

type Headers = Record<string, string | undefined>;

const headersOf = (r: { headers?: unknown } | undefined): Headers => (r?.headers ?? {}) as Headers;

/** The `x-cos-hash-crc64ecma` header of a response, if any. */
function crcOf(headers: Headers): string | undefined {
  const value = headers['x-cos-hash-crc64ecma'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const noop = (): void => undefined;

/** Size of the whole object and bytes of this answer, from Content-Range / Content-Length (none: unknown). */
function extentOf(h: Headers, start: number): { size: number; length: number } | undefined {
  const range = /^bytes (\d+)-(\d+)\/(\d+)\s*$/.exec(h['content-range'] ?? '');
  const declared = h['content-length'] === undefined ? undefined : Number(h['content-length']);
  if (range) return { size: Number(range[3]), length: declared ?? Number(range[2]) - Number(range[1]) + 1 };
  return declared === undefined ? undefined : { size: start + declared, length: declared };
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Code and Message of a COS error document (what the SDK parses with its XML library). */
function errorDocument(body: Buffer | undefined): { code: string | undefined; message: string } {
  const text = body?.toString('utf8') ?? '';
  const field = (name: string): string | undefined =>
    new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => XML_ENTITIES[e]).trim();
  return { code: field('Code') || undefined, message: field('Message') ?? '' };
}

const META_PREFIX = 'x-cos-meta-';
/** What COS drops on a copy with x-cos-metadata-directive: Replaced unless the request repeats it. */
const KEPT_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-cos-storage-class',
  'x-cos-server-side-encryption',
];

function metadataOf(h: Headers): ObjectMetadata {
  const meta: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (typeof value !== 'string') continue;
    const lower = name.toLowerCase();
    if (lower.startsWith(META_PREFIX)) meta[lower.slice(META_PREFIX.length)] = value;
    else if (KEPT_HEADERS.includes(lower)) headers[lower] = value;
  }
  return { meta, headers };
}

function metadataHeaders(m: ObjectMetadata): Record<string, string> {
  const out: Record<string, string> = { ...m.headers };
  for (const [name, value] of Object.entries(m.meta)) out[META_PREFIX + name] = value;
  return out;
}

export class CosStore implements ObjectStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities = { crc64: true, partCopy: true, maxCopyBytes: 5 * 1024 ** 3 };
  private readonly cos: COS;
  private readonly requests: CosRequests;
  private readonly bucket: string;
  private readonly region: string;
  private readonly log: Logger;
  private readonly getter: CosGetClient;

  constructor(account: AccountConfig, opts: StoreOptions) {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.cos = createCosClient(account, { timeoutMs, ca: opts.ca });
    this.requests = new CosRequests(this.cos, opts.onRequest);
    this.bucket = account.bucket;
    this.region = endpointOptions(account).Region;
    this.name = `cos://${account.bucket}`;
    this.getter = new CosGetClient(this.cos, account, account.bucket, this.region, timeoutMs, opts.ca);
    this.log = opts.logger.child({ store: this.name });
  }

  private get at(): { Bucket: string; Region: string } {
    return { Bucket: this.bucket, Region: this.region };
  }

  /** The SDK's error as a StoreError; the COS error code decides before the status (see classify). */
  private translate(operation: string, err: unknown, call: Call): StoreError {
    if (err instanceof StoreError) return err;
    if (call.cancelled) return cancelled(operation);
    const e = (err ?? {}) as SdkError;
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    let code = typeof e.code === 'string' && e.code !== '' ? e.code : undefined;
    // Without an error body (HEAD) the SDK puts the status in `code`.
    if (code !== undefined && status !== undefined && code === String(status)) code = undefined;
    const message = (typeof e.message === 'string' && e.message) || (err instanceof Error ? err.message : String(err));
    return new StoreError(classify(status, code), operation, message, code, status, err);
  }

  /** One store operation: its requests are tracked, observed and cancellable; it is retried by the one policy. */
  private async run<T>(
    operation: string,
    opts: CallOptions,
    send: (call: Call) => Promise<T>,
    retryable?: RetryOptions['retryable'],
  ): Promise<T> {
    const { signal, tries } = opts;
    const call = this.requests.begin(operation, signal);
    try {
      return await withRetry(
        operation,
        async () => {
          try {
            return await send(call);
          } catch (err) {
            throw this.translate(operation, err, call);
          }
        },
        { log: this.log, signal, tries, retryable },
      );
    } finally {
      call.end();
    }
  }

  /**
   * The body for one try, always a stream that is destroyed with the call when it is cancelled (never without an
   * error listener). Even one Buffer goes as a stream: the SDK's request for a Buffer body never called back once
   * cancelled (its ClientRequest destroyed before or after it was sent), so a cancelled upload waited forever for
   * its parts.
   */
  private payload(body: Body, call: Call): Buffer | Readable {
    const chunks = Buffer.isBuffer(body) ? [body] : (body as readonly Buffer[]);
    if (chunks.every((c) => c.length === 0)) return Buffer.alloc(0);
    const stream = Readable.from(slices(chunks), { objectMode: false });
    stream.on('error', () => undefined);
    call.attach(stream);
    return stream;
  }

  /** Checks the CRC-64 COS computed against the one sent; a mismatch is sent again. */
  private written(operation: string, r: { ETag?: string; headers?: unknown }, expected: string | undefined): WriteResult {
    const crc64 = crcOf(headersOf(r));
    if (expected !== undefined && crc64 !== undefined && crc64 !== expected) {
      throw new StoreError('retryable', operation, `CRC-64 mismatch (sent ${expected}, COS has ${crc64})`, 'ChecksumMismatch', 200);
    }
    return { etag: r.ETag ?? headersOf(r).etag ?? '', crc64 };
  }

  /** `x-cos-copy-source` for a key of this bucket. */
  private copySource(key: string): string {
    return `${this.bucket}.cos.${this.region}.myqcloud.com/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async head(key: string, opts: CallOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.run('HeadObject', opts, (c) => this.cos.headObject({ ...this.at, Key: key, Headers: c.headers() }));
      const h = headersOf(r);
      const mtime = Date.parse(h['last-modified'] ?? '');
      return {
        key,
        size: Number(h['content-length'] ?? 0),
        mtime: Number.isFinite(mtime) ? mtime : 0,
        etag: h.etag,
        crc64: crcOf(h),
        metadata: metadataOf(h),
      };
    } catch (err) {
      if (isStoreError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  async listPage(opts: ListOptions): Promise<ListPage> {
    const r = await this.run('GetBucket', opts, (c) =>
      this.cos.getBucket({
        ...this.at,
        Prefix: opts.prefix,
        Delimiter: opts.delimiter,
        Marker: opts.marker,
        MaxKeys: opts.maxKeys ?? MAX_BATCH,
        // Keys may hold characters XML 1.0 cannot carry; COS percent-encodes them on request.
        EncodingType: 'url',
        Headers: c.headers(),
      }),
    );
    const objects = (r.Contents ?? []).map((c) => ({
      key: decodeListed(c.Key),
      size: Number(c.Size ?? 0),
      mtime: Date.parse(c.LastModified ?? '') || 0,
      etag: c.ETag,
    }));
    const prefixes = (r.CommonPrefixes ?? []).map((p) => decodeListed(p.Prefix));
    const next = r.NextMarker ? decodeListed(r.NextMarker) : undefined;
    return pageOf(objects, prefixes, String(r.IsTruncated) === 'true', next, opts.marker);
  }

  list(opts: ListOptions): AsyncIterable<ListPage> {
    return listPages(this, opts);
  }

  async get(key: string, opts: GetOptions = {}): Promise<GetResult> {
    const operation = 'GetObject';
    // The SDK refuses such a key too: its GET would be a GET of the bucket (a listing served as file content).
    if (namesBucket(key)) throw new StoreError('fatal', operation, `the key ${JSON.stringify(key)} names no object`, 'InvalidKey');
    const call = this.requests.begin(operation, opts.signal);
    try {
      return await withRetry(operation, () => this.openGet(call, key, opts), { log: this.log, signal: opts.signal, tries: opts.tries });
    } catch (err) {
      call.end();
      throw err;
    }
  }

  /**
   * One GetObject try: resolves once its status (2xx) and headers are in, or fails with the store's error. Costs one
   * GET; plus one HEAD when the answer has neither Content-Length nor Content-Range (re-framed by a proxy).
   */
  private async openGet(call: Call, key: string, opts: GetOptions): Promise<GetResult> {
    const operation = 'GetObject';
    if (call.cancelled) throw cancelled(operation);
    const start = opts.start ?? 0;
    // After a 2xx a failure is a body that broke off: resumable (unless the call was cancelled).
    const bodyError = (err: Error): StoreError => {
      const failure = this.translate(operation, err, call);
      if (failure.kind !== 'fatal' || call.cancelled) return failure;
      return new StoreError('retryable', operation, failure.message, failure.storeCode, failure.status, err);
    };
    // Cancelling the call destroys the exchange (never before it exists: nothing cancels synchronously in between).
    const observer = call.track((err) => exchange.destroy(err));
    const exchange = this.getter.send({ key, range: rangeOf(start, opts.end), ifMatch: opts.ifMatch }, observer, bodyError);
    let response: HttpResponse;
    try {
      response = await exchange.response;
    } catch (err) {
      throw this.translate(operation, err, call);
    }
    const h = response.headers;
    const body = response.body;
    if (!body) {
      const { code, message } = errorDocument(response.errorBody);
      this.getter.learnClock(code, message, h.date);
      throw this.translate(operation, { statusCode: response.status, code, message: message || `HTTP ${response.status}` }, call);
    }
    // The reader attaches its own; until then (and after) an error must never go unheard.
    body.on('error', noop);
    body.once('close', () => call.end());
    const extent = extentOf(h, start);
    if (extent) return { body, ...extent, etag: h.etag, crc64: crcOf(h) };
    // A proxy re-framed a whole object's answer as chunks without a length: the size comes from a HEAD.
    const info = await this.head(key, { signal: opts.signal }).catch((err: unknown) => {
      body.destroy();
      throw err;
    });
    if (!info || info.etag !== h.etag) {
      body.destroy();
      throw new StoreError('retryable', operation, 'the object changed while its size was asked for', 'ObjectChanged');
    }
    return { body, size: info.size, length: info.size - start, etag: h.etag, crc64: crcOf(h) };
  }

  async put(key: string, body: Body, opts: PutOptions): Promise<WriteResult> {
    return this.run('PutObject', opts, async (c) => {
      if (opts.onBodySent) c.whenSent(opts.onBodySent);
      const r = await this.cos.putObject({
        ...this.at,
        Key: key,
        Body: this.payload(body, c),
        ContentLength: opts.length,
        Headers: c.headers(opts.md5 ? { 'Content-MD5': opts.md5 } : {}),
      });
      return this.written('PutObject', r, opts.crc64);
    });
  }

  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    try {
      await this.run('DeleteObject', opts, (c) => this.cos.deleteObject({ ...this.at, Key: key, Headers: c.headers() }));
    } catch (err) {
      if (!isStoreError(err, 'not-found') || err.storeCode === 'NoSuchBucket') throw err;
    }
  }

  async deleteMany(keys: readonly string[], opts: CallOptions = {}): Promise<DeleteFailure[]> {
    if (keys.length === 0) return [];
    const r = await this.run('DeleteMultipleObjects', opts, (c) =>
      this.cos.deleteMultipleObject({ ...this.at, Objects: keys.map((Key) => ({ Key })), Quiet: true, Headers: c.headers() }),
    );
    return (r.Error ?? []).map((e) => ({ key: e.Key, reason: `${e.Code} ${e.Message}` }));
  }

  async copy(sourceKey: string, targetKey: string, opts: CopyOptions = {}): Promise<WriteResult> {
    return this.run('PutObjectCopy', opts, async (c) => {
      const r = await this.cos.putObjectCopy({
        ...this.at,
        Key: targetKey,
        CopySource: this.copySource(sourceKey),
        CopySourceIfMatch: opts.sourceIfMatch,
        Headers: c.headers(opts.replaceMetadata ? { 'x-cos-metadata-directive': 'Replaced', ...metadataHeaders(opts.replaceMetadata) } : {}),
      });
      const result = this.written('PutObjectCopy', r, undefined);
      const crc = (r as { CRC64?: string }).CRC64;
      return { ...result, crc64: result.crc64 ?? (crc || undefined) };
    });
  }

  async initMultipart(key: string, opts: InitMultipartOptions = {}): Promise<string> {
    const r = await this.run(
      'InitiateMultipartUpload',
      opts,
      (c) => this.cos.multipartInit({ ...this.at, Key: key, Headers: c.headers(opts.metadata ? metadataHeaders(opts.metadata) : {}) }),
      // Only when COS answered: a lost answer may have created an upload, and a second one would be orphaned.
      (err) => err.kind === 'retryable' && err.status !== undefined,
    );
    return r.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Body, opts: PutOptions): Promise<WriteResult> {
    return this.run('UploadPart', opts, async (c) => {
      const r = await this.cos.multipartUpload({
        ...this.at,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: this.payload(body, c),
        ContentLength: opts.length,
        Headers: c.headers(opts.md5 ? { 'Content-MD5': opts.md5 } : {}),
      });
      return this.written('UploadPart', r, opts.crc64);
    });
  }

  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    sourceKey: string,
    opts: PartCopyOptions,
  ): Promise<WriteResult> {
    return this.run('UploadPartCopy', opts, async (c) => {
      const r = await this.cos.uploadPartCopy({
        ...this.at,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        CopySource: this.copySource(sourceKey),
        CopySourceRange: `bytes=${opts.first}-${opts.last}`,
        CopySourceIfMatch: opts.sourceIfMatch,
        Headers: c.headers(),
      });
      return this.written('UploadPartCopy', r, undefined);
    });
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    opts: CompleteOptions = {},
  ): Promise<WriteResult> {
    return this.run('CompleteMultipartUpload', opts, async (c) => {
      try {
        const r = await this.cos.multipartComplete({
          ...this.at,
          Key: key,
          UploadId: uploadId,
          Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
          Headers: c.headers(),
        });
        return this.written('CompleteMultipartUpload', r, undefined);
      } catch (err) {
        // A retry after a lost answer finds the upload gone: the object is ours if its CRC-64 is the expected one.
        const failure = this.translate('CompleteMultipartUpload', err, c);
        if (failure.storeCode === 'NoSuchUpload' && opts.crc64 !== undefined && c.sentBefore) {
          const head = await this.cos.headObject({ ...this.at, Key: key, Headers: c.headers() });
          if (crcOf(headersOf(head)) === opts.crc64) return { etag: head.ETag, crc64: opts.crc64 };
        }
        throw failure;
      }
    });
  }

  async abortMultipart(key: string, uploadId: string, opts: CallOptions = {}): Promise<void> {
    try {
      await this.run('AbortMultipartUpload', opts, (c) =>
        this.cos.multipartAbort({ ...this.at, Key: key, UploadId: uploadId, Headers: c.headers() }),
      );
    } catch (err) {
      if (!isStoreError(err, 'not-found')) throw err;
    }
  }
}

/** Largest write handed to the connection at once (see slices). */
const WRITE_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * The body in views of at most WRITE_SLICE_BYTES, so that the request is written as the connection drains instead
 * of all at once: over HTTPS a 20 MiB part written whole was encrypted whole into a second 20 MiB buffer. Measured
 * (512 MiB uploads to the HTTPS store, 8 rounds, medians): peak RSS 296 -> 241 MiB, CPU 0.41 -> 0.36 s, speed 399
 * -> 405 MiB/s; 1 MiB slices saved more memory (207 MiB) but left gaps in the writes (369 MiB/s). Over HTTP no
 * difference (488 / 489 MiB/s).
 */
function* slices(chunks: readonly Buffer[]): Generator<Buffer> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += WRITE_SLICE_BYTES) yield chunk.subarray(at, at + WRITE_SLICE_BYTES);
  }
}
