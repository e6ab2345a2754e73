// The storage seam: what the file system and the transfer engines need from an object store, and nothing
// backend-specific. Implementations: `cos/` (cos-nodejs-sdk-v5) and `s3/` (@aws-sdk/client-s3). Every operation
// is one request (or one request plus its retries: see retry.ts); the request costs the FTP commands document are
// counted in these calls. Design notes: docs/storage.md.
import type { Readable } from 'node:stream';

/** One object as a listing or a HEAD shows it. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Milliseconds since the epoch (0 when the store did not say). */
  mtime: number;
  /** The ETag as the store sent it (quoted), when known. */
  etag?: string;
  /** CRC-64/XZ of the whole object as an unsigned decimal string, when the store keeps one (capability crc64). */
  crc64?: string;
  /** User metadata and representation headers: from HEAD only (a listing does not carry them). */
  metadata?: ObjectMetadata;
}

/**
 * What a copy that replaces metadata writes onto the target. A store's "replace" drops everything the request does
 * not repeat (Content-Type, Cache-Control, storage class...), so `headers` carries them over from a HEAD.
 */
export interface ObjectMetadata {
  /** User metadata, names lower-case without the store's prefix (`mtime` for `x-cos-meta-mtime`). */
  meta: Record<string, string>;
  /** Representation headers, names lower-case (`content-type`, `cache-control`...), as the store's HEAD gave them. */
  headers: Record<string, string>;
}

/** One page of a listing. */
export interface ListPage {
  objects: ObjectInfo[];
  /** Common prefixes (with their trailing delimiter), when listed with a delimiter. */
  prefixes: string[];
  /** Where the next page starts (exclusive), or undefined when this was the last. */
  nextMarker: string | undefined;
}

export interface ListOptions extends CallOptions {
  prefix: string;
  delimiter?: string;
  /** Exclusive start, in UTF-8 byte order. */
  marker?: string;
  /** Keys and prefixes per page, at most MAX_BATCH (the default). */
  maxKeys?: number;
}

/** Every operation may be cancelled: the request in flight is destroyed at once and no retry follows. */
export interface CallOptions {
  signal?: AbortSignal;
  /** At most this many tries (a check that reports rather than recovers: 1); default: the retry policy's. */
  tries?: number;
}

export interface GetOptions extends CallOptions {
  /** First byte to send (a ranged GET from there to the end). */
  start?: number;
  /** Last byte to send, inclusive; the end of the object when absent. */
  end?: number;
  /** Only this version of the object (If-Match); a changed object fails with kind 'conflict'. */
  ifMatch?: string;
}

/** An open GET: the status is known (2xx), the body not yet read. Destroying `body` aborts the request. */
export interface GetResult {
  body: Readable;
  /** Size of the whole object. */
  size: number;
  /** Bytes this response carries. */
  length: number;
  etag: string | undefined;
  /** CRC-64 of the whole object (not of the range), when the store sent one. */
  crc64: string | undefined;
}

/**
 * A request body the store can send again on a retry: bytes held in memory. Streams are not accepted on purpose:
 * a body that cannot be replayed cannot be retried, and a stream body without an 'error' listener can end the
 * process when the request is torn down.
 */
export type Body = Buffer | readonly Buffer[];

export interface PutOptions extends CallOptions {
  /** Byte count of the body (checked against it). */
  length: number;
  /** Base64 MD5 of the body: the store refuses a body that arrives damaged (Content-MD5). */
  md5?: string;
  /** CRC-64 of the body: a stored object with another CRC fails with kind 'retryable' (sent again). */
  crc64?: string;
  /**
   * Called once the request has been sent whole, its body handed to the operating system (stores that can tell;
   * COS can). From then on cancelling cannot stop the store from receiving all of it, and COS stores a body it has
   * received whole whoever still waits for the answer.
   */
  onBodySent?: () => void;
}

export interface WriteResult {
  etag: string;
  /** CRC-64 the store computed (of the part, or of the whole object), when it sends one. */
  crc64?: string;
}

export interface CopyOptions extends CallOptions {
  /** Only when the source still has this ETag (x-cos-copy-source-If-Match / x-amz-copy-source-if-match). */
  sourceIfMatch?: string;
  /** The target gets this metadata instead of the source's (x-cos-metadata-directive: Replaced). */
  replaceMetadata?: ObjectMetadata;
}

export interface InitMultipartOptions extends CallOptions {
  /** The object the upload completes gets this metadata (a multipart copy that replaces metadata). */
  metadata?: ObjectMetadata;
}

export interface PartCopyOptions extends CopyOptions {
  /** First and last byte (inclusive) of the source that become the part. */
  first: number;
  last: number;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface CompleteOptions extends CallOptions {
  /**
   * The whole object's CRC-64 the parts add up to, when known. A retried Complete that finds the upload gone
   * (the first answer was lost) then checks the object instead of failing.
   */
  crc64?: string;
}

/** One key a Delete Multiple could not remove, and why. */
export interface DeleteFailure {
  key: string;
  reason: string;
}

/** What a store can do beyond the common ground; callers choose their path by these, never by backend name. */
export interface StoreCapabilities {
  /** Returns CRC-64/XZ of objects and parts (COS's x-cos-hash-crc64ecma), so bytes can be verified end to end. */
  crc64: boolean;
  /** Upload Part - Copy: ranges of an existing object become parts of a new one without passing through us. */
  partCopy: boolean;
  /** Largest object one Copy request takes; larger ones take multipart copy. */
  maxCopyBytes: number;
}

/** At most this many keys per Delete Multiple and per listing page, on COS and S3 alike. */
export const MAX_BATCH = 1000;

export interface ObjectStore {
  /** Names the store in logs and messages (`cos://bucket`, `s3://bucket`). */
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  /** HEAD: the object, or undefined when there is none. */
  head(key: string, opts?: CallOptions): Promise<ObjectInfo | undefined>;
  /** One listing page. */
  listPage(opts: ListOptions): Promise<ListPage>;
  /** Pages one after the other from `opts.marker` to the end; each page is one request, made when asked for. */
  list(opts: ListOptions): AsyncIterable<ListPage>;
  /** GET (ranged, pinned to an ETag): resolves once the status is known; a missing key fails with 'not-found'. */
  get(key: string, opts?: GetOptions): Promise<GetResult>;
  /** PUT of a whole object. */
  put(key: string, body: Body, opts: PutOptions): Promise<WriteResult>;
  /** DELETE; a missing key is no error. */
  delete(key: string, opts?: CallOptions): Promise<void>;
  /** Delete Multiple of up to MAX_BATCH keys; returns those the store could not delete. */
  deleteMany(keys: readonly string[], opts?: CallOptions): Promise<DeleteFailure[]>;
  /** Copy inside the bucket (up to capabilities.maxCopyBytes). */
  copy(sourceKey: string, targetKey: string, opts?: CopyOptions): Promise<WriteResult>;

  /** Starts a multipart upload; returns its upload id. */
  initMultipart(key: string, opts?: InitMultipartOptions): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Body, opts: PutOptions): Promise<WriteResult>;
  /** Upload Part - Copy of a byte range of `sourceKey` (capability partCopy). */
  uploadPartCopy(key: string, uploadId: string, partNumber: number, sourceKey: string, opts: PartCopyOptions): Promise<WriteResult>;
  /** The commit point of a multipart upload. */
  completeMultipart(key: string, uploadId: string, parts: readonly CompletedPart[], opts?: CompleteOptions): Promise<WriteResult>;
  /** Abort; an upload already gone is no error. */
  abortMultipart(key: string, uploadId: string, opts?: CallOptions): Promise<void>;
}

// ---- errors ---------------------------------------------------------------------------------------------------

/**
 * What a caller does about a failure:
 * - not-found: the key, upload or bucket is not there (the code says which);
 * - denied: credentials or permissions (403, signature, unknown key id);
 * - retryable: may work if sent again (5xx, throttling, network, a damaged body, a checksum mismatch);
 * - conflict: the object changed under us (If-Match failed) or another request got in between;
 * - fatal: the request itself is wrong and will stay wrong (other 4xx), or it was cancelled.
 */
export type StoreErrorKind = 'not-found' | 'denied' | 'retryable' | 'conflict' | 'fatal';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    /** The operation that failed, e.g. `PutObject`. */
    readonly operation: string,
    message: string,
    /** The store's error code (`NoSuchKey`, `SlowDown`, `ECONNRESET`...), when there was one. */
    readonly storeCode?: string,
    /** HTTP status, when an answer came (COS may answer 200 with an error body: then 200). */
    readonly status?: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreError';
  }

  /** One line for logs and FTP replies: `404 NoSuchKey The specified key does not exist.` */
  describe(): string {
    const text = [this.status, this.storeCode, this.message].filter((x) => x !== undefined && x !== '').join(' ');
    return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
  }
}

export const isStoreError = (err: unknown, kind?: StoreErrorKind): err is StoreError =>
  err instanceof StoreError && (kind === undefined || err.kind === kind);

/** A one-line description of any error (StoreError or not), without line breaks. */
export function describeError(err: unknown): string {
  if (err instanceof StoreError) return err.describe();
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NoSuchUpload', 'NotFound']);
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'RequestTimeTooSkewed',
  'InvalidSecurity',
  'Forbidden',
]);
// BadDigest: the body arrived damaged (its Content-MD5 did not match); sending it again is the cure.
const RETRYABLE = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'BadDigest',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
]);
const CONFLICT = new Set(['PreconditionFailed', 'OperationAborted', 'ConditionalRequestConflict']);

/**
 * Classifies a failure by the store's error code first (COS answers some Copy and Complete failures with 200 and an
 * `<Error>` body, so the status alone would call them success), then by the status, then as a network failure.
 */
export function classify(status: number | undefined, code: string | undefined): StoreErrorKind {
  if (code !== undefined && code !== '') {
    if (NOT_FOUND.has(code)) return 'not-found';
    if (DENIED.has(code)) return 'denied';
    if (RETRYABLE.has(code)) return 'retryable';
    if (CONFLICT.has(code)) return 'conflict';
    // Socket and timeout errors: ECONNRESET, ETIMEDOUT, ESOCKETTIMEDOUT, EPIPE...
    if (/^E[A-Z_]+$/.test(code)) return 'retryable';
  }
  if (status === undefined || status === 0) return 'retryable';
  if (status === 404) return 'not-found';
  if (status === 401 || status === 403) return 'denied';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429 || status >= 500) return 'retryable';
  // A 2xx with an error code we do not know: the request did not do what was asked, and may not if repeated.
  return 'fatal';
}

/** The error a cancelled call rejects with. */
export function cancelled(operation: string): StoreError {
  return new StoreError('fatal', operation, 'cancelled', 'Cancelled');
}

export const isCancelled = (err: unknown): boolean => err instanceof StoreError && err.storeCode === 'Cancelled';

// ---- observation ----------------------------------------------------------------------------------------------

/** One HTTP request a store made (retries included), as metrics see it. */
export interface RequestEvent {
  /** The store operation, e.g. `GetObject`, `UploadPart`. */
  operation: string;
  /** The HTTP status, or 0 when no answer came (network failure, cancelled). */
  status: number;
  durationMs: number;
  /** 0 for the first try, 1.. for retries. */
  retry: number;
  /** The failure class when it failed. */
  errorKind?: StoreErrorKind;
}

/** The single observation point every store reports each request to. */
export type RequestObserver = (event: RequestEvent) => void;
