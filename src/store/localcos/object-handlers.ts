// PUT / GET / HEAD / DELETE Object and PUT Object - Copy.
import type { IncomingMessage } from 'node:http';
import { type Ingested, decodeAwsChunked, ingest, sendSegments } from './body-io';
import type { BucketState, ObjectRecord } from './catalog';
import {
  type RequestContext,
  badRequest,
  headerString,
  objectHeaders,
  quoteEtag,
  requireBucket,
  sendEmpty,
  sendXml,
  storedHeadersFrom,
} from './context';
import { CosError, noSuchBucket, noSuchKey } from './errors';

export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** PUT Object - Copy copies up to 5 GB (doc 10881); bigger objects need Upload Part - Copy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
const MAX_KEY_BYTES = 850;

/** The request body as data: aws-chunked framing removed when the client used it. */
export function bodySource(ctx: RequestContext): AsyncIterable<Buffer> {
  const streaming = ctx.payloadHash?.startsWith('STREAMING-') || /aws-chunked/.test(ctx.req.headers['content-encoding'] ?? '');
  // Stopping early (a bad digest, a too-large body) must not destroy the socket: the error reply still has to go out.
  const raw = ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  if (!streaming) return raw;
  const signed = ctx.payloadHash === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' || ctx.payloadHash === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
  return decodeAwsChunked(raw, signed ? ctx.chunkSigning : undefined);
}

function expectedLength(ctx: RequestContext): number | undefined {
  const decoded = headerString(ctx.req, 'x-amz-decoded-content-length');
  if (decoded !== undefined) return Number(decoded);
  if (ctx.payloadHash?.startsWith('STREAMING-')) return undefined;
  const length = ctx.req.headers['content-length'];
  return length === undefined ? undefined : Number(length);
}

/** Streams the request body into a new blob, checking length, Content-MD5 and a signed SHA-256. */
export async function ingestBody(ctx: RequestContext, maxBytes: number): Promise<Ingested> {
  const expectedBytes = expectedLength(ctx);
  if (expectedBytes !== undefined && (!Number.isInteger(expectedBytes) || expectedBytes < 0)) {
    throw badRequest('Invalid Content-Length.');
  }
  if (expectedBytes !== undefined && expectedBytes > maxBytes) throw new CosError(400, 'EntityTooLarge');
  const sha = ctx.payloadHash && /^[0-9a-f]{64}$/i.test(ctx.payloadHash) ? ctx.payloadHash : undefined;
  return ingest(bodySource(ctx), ctx.catalog.blobs, {
    maxBytes,
    expectedBytes,
    contentMd5: headerString(ctx.req, 'content-md5'),
    sha256Hex: sha,
    throttleBytesPerSec: ctx.throttleBytesPerSec,
    cutAfterBytes: ctx.cutAfterBytes,
    onCut: () => ctx.req.socket.destroy(),
  });
}

/**
 * COS's object key rules (doc 13324): at most 850 bytes of UTF-8, no leading `/` or `\`, none of the control
 * characters 0x18-0x1B. The code for the last two is not documented; InvalidObjectName is assumed.
 */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new CosError(400, 'KeyTooLong', 'Your key is too long.');
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new CosError(400, 'InvalidObjectName', 'The object key must not start with / or \\.');
  }
  if ([...key].some((c) => c.charCodeAt(0) >= 0x18 && c.charCodeAt(0) <= 0x1b)) throw new CosError(400, 'InvalidObjectName', 'The object key holds an unsupported control character.');
}

/** `x-cos-forbid-overwrite: true`: refuse to replace an existing object (409 ObjectAlreadyExists). */
export function checkForbidOverwrite(ctx: RequestContext, bucket: BucketState, key: string): void {
  if ((headerString(ctx.req, 'x-cos-forbid-overwrite') ?? '').toLowerCase() === 'true' && bucket.objects.has(key)) {
    throw new CosError(409, 'ObjectAlreadyExists', 'The object already exists.');
  }
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  checkKey(ctx.target.key);
  checkForbidOverwrite(ctx, bucket, ctx.target.key);
  const { headers, meta } = storedHeadersFrom(ctx.req);
  const body = await ingestBody(ctx, MAX_OBJECT_BYTES);
  try {
    checkForbidOverwrite(ctx, bucket, ctx.target.key);
  } catch (err) {
    ctx.catalog.blobs.release(body.blob);
    throw err;
  }
  const record: ObjectRecord = {
    key: ctx.target.key,
    size: body.size,
    etag: body.md5Hex,
    crc64: ctx.withoutCrc64 ? '' : body.crc.digest(),
    lastModified: Date.now(),
    headers,
    meta,
    segments: [body.blob],
  };
  ctx.catalog.putObject(bucket, record);
  sendEmpty(ctx, 200, { ETag: quoteEtag(record.etag), ...crcHeader(record.crc64) });
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` -> [start, endExclusive]; undefined when absent or not a single range. */
function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new CosError(416, 'InvalidRange');
    return [Math.max(size - suffix, 0), size];
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) {
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // syntactically invalid: ignored, as in HTTP
    throw new CosError(416, 'InvalidRange');
  }
  return [start, last + 1];
}

/** If-Match / If-None-Match / If-(Un)Modified-Since: returns 304, throws 412, or undefined to go on. */
function checkConditions(req: IncomingMessage, record: ObjectRecord): 304 | undefined {
  const etag = quoteEtag(record.etag);
  const matches = (list: string): boolean => list.split(',').some((t) => t.trim() === '*' || t.trim() === etag || t.trim() === record.etag);
  const modifiedSeconds = Math.floor(record.lastModified / 1000);
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && !matches(ifMatch)) throw new CosError(412, 'PreconditionFailed');
  const ifUnmodified = req.headers['if-unmodified-since'];
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (Number.isFinite(t) && modifiedSeconds > Math.floor(t / 1000)) throw new CosError(412, 'PreconditionFailed');
  }
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? 304 : undefined;
  const ifModified = req.headers['if-modified-since'];
  if (ifModified !== undefined) {
    const t = Date.parse(ifModified);
    if (Number.isFinite(t) && modifiedSeconds <= Math.floor(t / 1000)) return 304;
  }
  return undefined;
}

const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

export async function getObject(ctx: RequestContext, headOnly: boolean): Promise<void> {
  const bucket = requireBucket(ctx);
  const record = bucket.objects.get(ctx.target.key);
  if (!record) throw noSuchKey();
  const headers = objectHeaders(ctx, record);
  if (checkConditions(ctx.req, record) === 304) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const value = ctx.target.params.get(param);
    if (value !== undefined) headers[header] = value;
  }
  let range: [number, number] | undefined;
  try {
    range = parseRange(headerString(ctx.req, 'range'), record.size);
  } catch (err) {
    if (err instanceof CosError && err.status === 416) {
      ctx.res.setHeader('Content-Range', `bytes */${record.size}`);
    }
    throw err;
  }
  const [start, end] = range ?? [0, record.size];
  // A chunked answer leaves the length out: Node then frames the body as chunks.
  if (!ctx.chunked || headOnly) headers['Content-Length'] = end - start;
  if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${record.size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (headOnly) {
    ctx.res.end();
    return;
  }
  await sendSegments(ctx.res, ctx.catalog.blobs, record.segments, start, end, {
    cutAfterBytes: ctx.cutAfterBytes,
    throttleBytesPerSec: ctx.throttleBytesPerSec,
  });
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  ctx.catalog.deleteObject(bucket, ctx.target.key);
  sendEmpty(ctx, 204);
}

export interface CopySource {
  bucket: string;
  key: string;
}

/**
 * `x-cos-copy-source: <bucket>.cos.<region>.myqcloud.com/<key>` or S3's `[/]<bucket>/<key>`; the key part is
 * URL-encoded.
 */
export function parseCopySource(ctx: RequestContext): CopySource {
  let source = headerString(ctx.req, 'x-cos-copy-source', 'x-amz-copy-source') ?? '';
  source = source.replace(/\?versionId=.*$/, '');
  if (source.startsWith('/')) source = source.slice(1);
  const slash = source.indexOf('/');
  if (slash <= 0) throw badRequest('Invalid copy source.', 'InvalidArgument');
  const first = source.slice(0, slash);
  const bucket = first.includes('.') ? first.slice(0, first.indexOf('.')) : first;
  let key: string;
  try {
    key = decodeURIComponent(source.slice(slash + 1));
  } catch {
    key = source.slice(slash + 1);
  }
  return { bucket, key };
}

/** `x-cos-hash-crc64ecma`, absent for an object stored without one. */
export function crcHeader(crc64: string): Record<string, string> {
  return crc64 ? { 'x-cos-hash-crc64ecma': crc64 } : {};
}

const ETAG_TRIM = /^\s*(?:W\/)?"?|"?\s*$/g;

/** x-cos-copy-source-If-Match / -If-None-Match / -If-Modified-Since / -If-Unmodified-Since (doc 10881): 412 when one fails. */
function checkCopyConditions(ctx: RequestContext, record: ObjectRecord): void {
  const header = (name: string): string | undefined => headerString(ctx.req, `x-cos-copy-source-${name}`, `x-amz-copy-source-${name}`);
  const failed = (): CosError => new CosError(412, 'PreconditionFailed');
  const etagIn = (list: string): boolean =>
    list.split(',').some((t) => t.trim() === '*' || t.replace(ETAG_TRIM, '') === record.etag);
  const modifiedSeconds = Math.floor(record.lastModified / 1000);
  const seconds = (text: string): number | undefined => {
    const t = Date.parse(text);
    return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
  };
  const ifMatch = header('if-match');
  if (ifMatch !== undefined && !etagIn(ifMatch)) throw failed();
  const ifNoneMatch = header('if-none-match');
  if (ifNoneMatch !== undefined && etagIn(ifNoneMatch)) throw failed();
  const ifUnmodified = header('if-unmodified-since');
  const unmodifiedAt = ifUnmodified === undefined ? undefined : seconds(ifUnmodified);
  if (ifMatch === undefined && unmodifiedAt !== undefined && modifiedSeconds > unmodifiedAt) throw failed();
  const ifModified = header('if-modified-since');
  const modifiedAt = ifModified === undefined ? undefined : seconds(ifModified);
  if (ifNoneMatch === undefined && modifiedAt !== undefined && modifiedSeconds <= modifiedAt) throw failed();
}

/** The copy source's record, after its conditions (412 when one fails). */
export function copySourceRecord(ctx: RequestContext, source: CopySource): ObjectRecord {
  const bucket = ctx.catalog.buckets.get(source.bucket);
  if (!bucket) throw noSuchBucket();
  const record = bucket.objects.get(source.key);
  if (!record) throw noSuchKey();
  checkCopyConditions(ctx, record);
  return record;
}

export async function putObjectCopy(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  checkKey(ctx.target.key);
  checkForbidOverwrite(ctx, bucket, ctx.target.key);
  const source = copySourceRecord(ctx, parseCopySource(ctx));
  if (source.size > MAX_COPY_BYTES) {
    throw new CosError(400, 'InvalidRequest', 'The source object of PUT Object - Copy is larger than 5 GB; use Upload Part - Copy.');
  }
  const directive = (headerString(ctx.req, 'x-cos-metadata-directive', 'x-amz-metadata-directive') ?? 'Copy').toLowerCase();
  const replaced = directive === 'replaced' || directive === 'replace';
  const fromRequest = storedHeadersFrom(ctx.req);
  const record: ObjectRecord = {
    key: ctx.target.key,
    size: source.size,
    etag: source.etag,
    crc64: source.crc64,
    lastModified: Date.now(),
    headers: replaced ? fromRequest.headers : { ...source.headers },
    meta: replaced ? fromRequest.meta : { ...source.meta },
    segments: source.segments.map((s) => ctx.catalog.blobs.duplicate(s)),
  };
  ctx.catalog.putObject(bucket, record);
  sendXml(
    ctx,
    200,
    'CopyObjectResult',
    {
      ETag: quoteEtag(record.etag),
      CRC64: record.crc64 || undefined,
      LastModified: new Date(record.lastModified).toISOString(),
    },
    crcHeader(record.crc64),
  );
}
