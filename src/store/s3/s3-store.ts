// ObjectStore on the AWS SDK v3 (@aws-sdk/client-s3), for S3-compatible storage: AWS S3, MinIO, Cloudflare R2,
// COS's own S3 endpoint. Integrity: Content-MD5 on every PUT and every part (the store refuses a damaged body with
// BadDigest, and it is sent again); downloads are checked by byte count (S3 has no CRC-64/XZ to compare with).
// The SDK's own retries are off (maxAttempts 1): the one policy in retry.ts retries every idempotent operation.
// Its default request checksums are asked for only where S3 requires one (Delete Multiple), so that bodies go out
// with a plain Content-Length instead of aws-chunked trailers that some S3-compatible stores do not read.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CopyObjectCommandInput,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger } from 'pino';
import type { AccountConfig } from '../../config/types';
import { decodeListed, listPages, pageOf, rangeOf } from '../listing';
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
  type RequestObserver,
  type StoreCapabilities,
  StoreError,
  type WriteResult,
  cancelled,
  classify,
  isStoreError,
} from '../object-store';
import { type RetryOptions, withRetry } from '../retry';
import { DEFAULT_TIMEOUT_MS, type StoreOptions, requestBody } from '../store-options';

/** The SDK's error shapes: a service error (name = S3 code, $metadata) or a network error (code). */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

/** Connections are reused across requests and never limited here: the callers' semaphores bound concurrency. */
const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });

const md5Of = (body: Body): string => {
  const hash = createHash('md5');
  for (const chunk of Buffer.isBuffer(body) ? [body] : body) hash.update(chunk);
  return hash.digest('base64');
};

function sdkLogger(log: Logger): Record<'trace' | 'debug' | 'info' | 'warn' | 'error', (...content: unknown[]) => void> {
  const write = (...content: unknown[]): void => log.debug({ sdk: content.map(String).join(' ') }, 'S3 SDK');
  return { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: write, error: write };
}

/**
 * The ETag S3 (and MinIO, and the local store) gives an object completed from these parts: the MD5 of the parts'
 * binary MD5s, then `-` and the part count. Undefined when a part's ETag is not a plain MD5 (SSE-KMS, SSE-C).
 */
export function multipartEtag(parts: readonly CompletedPart[]): string | undefined {
  const hash = createHash('md5');
  for (const part of parts) {
    const hex = part.etag.replace(/"/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
    hash.update(Buffer.from(hex, 'hex'));
  }
  return `"${hash.digest('hex')}-${parts.length}"`;
}

export class S3Store implements ObjectStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities = { crc64: false, partCopy: true, maxCopyBytes: 5 * 1024 ** 3 };
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly log: Logger;
  private readonly observer: RequestObserver | undefined;

  constructor(account: AccountConfig, opts: StoreOptions) {
    const s3 = account.s3;
    if (!s3) throw new Error(`[${account.section}] is not an S3 account`);
    this.bucket = account.bucket;
    this.name = `s3://${account.bucket}`;
    this.log = opts.logger.child({ store: this.name });
    this.observer = opts.onRequest;
    this.client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: account.secretId, secretAccessKey: account.secretKey },
      maxAttempts: 1,
      // The SDK's own messages (it prints warnings to the console without a logger) go to the log, at debug: the
      // store reports failures itself.
      logger: sdkLogger(this.log),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        httpAgent,
        // Certificates to trust instead of the bundled ones: an agent of its own (the shared one trusts the bundle).
        httpsAgent: opts.ca ? new https.Agent({ keepAlive: true, ca: opts.ca }) : httpsAgent,
        requestTimeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        connectionTimeout: 10_000,
      }),
    });
  }

  private translate(operation: string, err: unknown, signal: AbortSignal | undefined): StoreError {
    if (err instanceof StoreError) return err;
    if (signal?.aborted) return cancelled(operation);
    const e = (err ?? {}) as SdkError;
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
    // Service errors carry the S3 code as name; network errors a Node code (ECONNRESET...).
    const code = e.Code ?? (typeof e.code === 'string' ? e.code : undefined) ?? (status !== undefined ? e.name : undefined);
    const usable = code && code !== 'Unknown' && code !== 'UnknownError' && code !== String(status) ? code : undefined;
    const message = e.message || (err instanceof Error ? err.message : String(err));
    return new StoreError(classify(status, usable), operation, message, usable, status, err);
  }

  private observe(operation: string, started: number, retry: number, status: number, err?: StoreError): void {
    try {
      this.observer?.({
        operation,
        status,
        durationMs: performance.now() - started,
        retry,
        ...(err ? { errorKind: err.kind } : {}),
      });
    } catch {
      // An observer's failure must never fail a request.
    }
  }

  /** One store operation: each try is observed; failures are retried by the one policy. */
  private async run<T>(
    operation: string,
    opts: CallOptions,
    send: (signal: AbortSignal | undefined, attempt: number) => Promise<T & { $metadata?: { httpStatusCode?: number } }>,
    retryable?: RetryOptions['retryable'],
  ): Promise<T> {
    const { signal, tries } = opts;
    return withRetry(
      operation,
      async (n) => {
        const started = performance.now();
        try {
          const result = await send(signal, n);
          this.observe(operation, started, n - 1, result.$metadata?.httpStatusCode ?? 200);
          return result;
        } catch (err) {
          const failure = this.translate(operation, err, signal);
          this.observe(operation, started, n - 1, failure.status ?? 0, failure);
          throw failure;
        }
      },
      { log: this.log, signal, tries, retryable },
    );
  }

  async head(key: string, opts: CallOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.run('HeadObject', opts, (abortSignal) =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
      );
      return { key, size: r.ContentLength ?? 0, mtime: r.LastModified?.getTime() ?? 0, etag: r.ETag, metadata: s3MetadataOf(r) };
    } catch (err) {
      if (isStoreError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  async listPage(opts: ListOptions): Promise<ListPage> {
    const r = await this.run('GetBucket', opts, (abortSignal) =>
      this.client.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: opts.prefix,
          Delimiter: opts.delimiter,
          Marker: opts.marker,
          MaxKeys: opts.maxKeys ?? MAX_BATCH,
          // Keys may hold characters XML 1.0 cannot carry; the store percent-encodes them on request.
          EncodingType: 'url',
        }),
        { abortSignal },
      ),
    );
    const encoded = r.EncodingType === 'url';
    const decode = (s: string): string => (encoded ? decodeListed(s, true) : s);
    const objects = (r.Contents ?? []).map((c) => ({
      key: decode(c.Key ?? ''),
      size: c.Size ?? 0,
      mtime: c.LastModified?.getTime() ?? 0,
      etag: c.ETag,
    }));
    const prefixes = (r.CommonPrefixes ?? []).map((p) => decode(p.Prefix ?? ''));
    return pageOf(objects, prefixes, r.IsTruncated === true, r.NextMarker ? decode(r.NextMarker) : undefined, opts.marker);
  }

  list(opts: ListOptions): AsyncIterable<ListPage> {
    return listPages(this, opts);
  }

  async get(key: string, opts: GetOptions = {}): Promise<GetResult> {
    const start = opts.start ?? 0;
    const range = rangeOf(start, opts.end);
    const r = await this.run('GetObject', opts, (abortSignal) =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range, IfMatch: opts.ifMatch }), {
        abortSignal,
      }),
    );
    const body = r.Body as Readable | undefined;
    const stream = body instanceof Readable ? body : Readable.from([]);
    // The reader attaches its own; until then (and after) an error must never go unheard.
    stream.on('error', () => undefined);
    const length = r.ContentLength ?? 0;
    const total = /\/(\d+)\s*$/.exec(r.ContentRange ?? '');
    return { body: stream, size: total ? Number(total[1]) : start + length, length, etag: r.ETag, crc64: undefined };
  }

  async put(key: string, body: Body, opts: PutOptions): Promise<WriteResult> {
    const md5 = opts.md5 ?? md5Of(body);
    const r = await this.run('PutObject', opts, (abortSignal) =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: requestBody(body), ContentLength: opts.length, ContentMD5: md5 }),
        { abortSignal },
      ),
    );
    return { etag: r.ETag ?? '' };
  }

  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    try {
      await this.run('DeleteObject', opts, (abortSignal) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
      );
    } catch (err) {
      if (!isStoreError(err, 'not-found') || err.storeCode === 'NoSuchBucket') throw err;
    }
  }

  async deleteMany(keys: readonly string[], opts: CallOptions = {}): Promise<DeleteFailure[]> {
    if (keys.length === 0) return [];
    const r = await this.run('DeleteMultipleObjects', opts, (abortSignal) =>
      this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
        { abortSignal },
      ),
    );
    return (r.Errors ?? []).map((e) => ({ key: e.Key ?? '', reason: `${e.Code} ${e.Message}` }));
  }

  /** `x-amz-copy-source` for a key of this bucket: bucket/key, the key URL-encoded. */
  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async copy(sourceKey: string, targetKey: string, opts: CopyOptions = {}): Promise<WriteResult> {
    const r = await this.run('PutObjectCopy', opts, (abortSignal) =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: targetKey,
          CopySource: this.copySource(sourceKey),
          CopySourceIfMatch: opts.sourceIfMatch,
          ...(opts.replaceMetadata ? { MetadataDirective: 'REPLACE' as const, ...s3MetadataFields(opts.replaceMetadata) } : {}),
        }),
        { abortSignal },
      ),
    );
    return { etag: r.CopyObjectResult?.ETag ?? '' };
  }

  async initMultipart(key: string, opts: InitMultipartOptions = {}): Promise<string> {
    const metadata = opts.metadata ? s3MetadataFields(opts.metadata) : {};
    const r = await this.run(
      'InitiateMultipartUpload',
      opts,
      (abortSignal) => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...metadata }), { abortSignal }),
      // Only when the store answered: a lost answer may have created an upload, and a second one would be orphaned.
      (err) => err.kind === 'retryable' && err.status !== undefined,
    );
    if (!r.UploadId) throw new StoreError('fatal', 'InitiateMultipartUpload', 'no UploadId in the answer');
    return r.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Body, opts: PutOptions): Promise<WriteResult> {
    const md5 = opts.md5 ?? md5Of(body);
    const r = await this.run('UploadPart', opts, (abortSignal) =>
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: requestBody(body),
          ContentLength: opts.length,
          ContentMD5: md5,
        }),
        { abortSignal },
      ),
    );
    return { etag: r.ETag ?? '' };
  }

  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    sourceKey: string,
    opts: PartCopyOptions,
  ): Promise<WriteResult> {
    const r = await this.run('UploadPartCopy', opts, (abortSignal) =>
      this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: this.copySource(sourceKey),
          CopySourceRange: `bytes=${opts.first}-${opts.last}`,
          CopySourceIfMatch: opts.sourceIfMatch,
        }),
        { abortSignal },
      ),
    );
    return { etag: r.CopyPartResult?.ETag ?? '' };
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    opts: CompleteOptions = {},
  ): Promise<WriteResult> {
    const r = await this.run('CompleteMultipartUpload', opts, async (abortSignal, attempt) => {
      try {
        return await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          }),
          { abortSignal },
        );
      } catch (err) {
        // A retry after a lost answer finds the upload gone: the object is ours if its ETag is the one these parts
        // make (S3 has no CRC-64 to compare, as COS has).
        const failure = this.translate('CompleteMultipartUpload', err, abortSignal);
        const expected = multipartEtag(parts);
        if (failure.storeCode === 'NoSuchUpload' && attempt > 1 && expected !== undefined) {
          const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
          if (head.ETag === expected) return { ETag: head.ETag, $metadata: head.$metadata };
        }
        throw failure;
      }
    });
    return { etag: r.ETag ?? '' };
  }

  async abortMultipart(key: string, uploadId: string, opts: CallOptions = {}): Promise<void> {
    try {
      await this.run('AbortMultipartUpload', opts, (abortSignal) =>
        this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
          abortSignal,
        }),
      );
    } catch (err) {
      if (!isStoreError(err, 'not-found')) throw err;
    }
  }
}

/** The representation headers ObjectMetadata carries, and the S3 fields that hold them. */
const S3_HEADER_FIELDS = [
  ['content-type', 'ContentType'],
  ['cache-control', 'CacheControl'],
  ['content-disposition', 'ContentDisposition'],
  ['content-encoding', 'ContentEncoding'],
  ['content-language', 'ContentLanguage'],
  ['x-amz-storage-class', 'StorageClass'],
  ['x-amz-server-side-encryption', 'ServerSideEncryption'],
] as const;

/** The same fields on HeadObject's output and on CopyObject's / CreateMultipartUpload's input. */
type S3MetadataFields = Pick<CopyObjectCommandInput, 'Metadata' | (typeof S3_HEADER_FIELDS)[number][1]>;

function s3MetadataOf(r: S3MetadataFields): ObjectMetadata {
  const headers: Record<string, string> = {};
  for (const [header, field] of S3_HEADER_FIELDS) {
    const value: unknown = r[field];
    if (typeof value === 'string' && value !== '') headers[header] = value;
  }
  return { meta: { ...r.Metadata }, headers };
}

/** What a copy or multipart upload that replaces metadata sends (S3 drops the rest, as COS does). */
function s3MetadataFields(m: ObjectMetadata): S3MetadataFields {
  const out: Record<string, unknown> = { Metadata: { ...m.meta } };
  for (const [header, field] of S3_HEADER_FIELDS) if (m.headers[header] !== undefined) out[field] = m.headers[header];
  return out as S3MetadataFields;
}
