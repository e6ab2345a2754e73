// What every request handler gets: the parsed request, the store's state, and helpers to answer in COS style.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ChunkSigning } from './auth-v4';
import type { BucketState, Catalog, ObjectRecord } from './catalog';
import { CosError, noSuchBucket } from './errors';
import type { StoreOperation } from './faults';
import type { RequestTarget } from './request-target';
import { type XmlNode, xmlDocument } from './xml';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  target: RequestTarget;
  op: StoreOperation;
  catalog: Catalog;
  requestId: string;
  /** Signed with AWS SigV4: answer S3 style where the two differ (x-amz-meta-*). */
  s3: boolean;
  /** x-amz-content-sha256 of a SigV4 request. */
  payloadHash?: string;
  /** For STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies: what chunk signatures must match. */
  chunkSigning?: ChunkSigning;
  /** Faults that shape this request's body transfer. */
  cutAfterBytes?: number;
  throttleBytesPerSec?: number;
  /** Faults that shape the answer (see FaultAction). */
  hideYoungerThanMs?: number;
  lingerDeletedMs?: number;
  shortPage?: number;
  failKeys?: { pattern: RegExp; code: string; message: string };
  slowCompleteMs?: number;
  withoutCrc64?: boolean;
  /** GetObject answers with a chunked body (no Content-Length). */
  chunked?: boolean;
  /** How far the store's clock is off for this request (a clock-skew fault). */
  clockSkewMs?: number;
}

/** `Date` when the store's clock is skewed (Node writes the true one otherwise). */
function dateHeader(clockSkewMs: number | undefined): OutgoingHttpHeaders {
  return clockSkewMs ? { Date: new Date(Date.now() + clockSkewMs).toUTCString() } : {};
}

export function newRequestId(): string {
  return randomBytes(18).toString('base64');
}

export function requireBucket(ctx: RequestContext): BucketState {
  const bucket = ctx.catalog.buckets.get(ctx.target.bucket);
  if (!bucket) throw noSuchBucket();
  return bucket;
}

export function baseHeaders(ctx: Pick<RequestContext, 'requestId' | 'clockSkewMs'>): OutgoingHttpHeaders {
  return {
    'x-cos-request-id': ctx.requestId,
    'x-amz-request-id': ctx.requestId,
    Server: 'tencent-cos',
    ...dateHeader(ctx.clockSkewMs),
  };
}

export function sendXml(ctx: RequestContext, status: number, root: string, node: XmlNode | string, extra: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(
    typeof node === 'string' ? `<?xml version="1.0" encoding="UTF-8"?><${root}>${node}</${root}>` : xmlDocument(root, node),
    'utf8',
  );
  ctx.res.writeHead(status, {
    ...baseHeaders(ctx),
    ...extra,
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
  });
  ctx.res.end(body);
}

export function sendEmpty(ctx: RequestContext, status: number, extra: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx), ...extra, 'Content-Length': 0 });
  ctx.res.end();
}

/** The `<Error>` document of doc 7730. */
export function errorDocument(ctx: Pick<RequestContext, 'req' | 'requestId' | 'target'>, err: CosError): Buffer {
  const resource = ctx.target ? `${ctx.target.bucket}/${ctx.target.key}` : ctx.req.url ?? '';
  return Buffer.from(
    xmlDocument('Error', {
      Code: err.code,
      Message: err.message,
      Resource: resource,
      RequestId: ctx.requestId,
      TraceId: ctx.requestId,
    }),
    'utf8',
  );
}

export function sendError(
  ctx: Pick<RequestContext, 'req' | 'res' | 'requestId' | 'target' | 'clockSkewMs'>,
  err: CosError,
): void {
  const { res, req } = ctx;
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  const headers = baseHeaders(ctx);
  if (req.method === 'HEAD') {
    res.writeHead(err.status, { ...headers, 'Content-Length': 0 });
    res.end();
    return;
  }
  const body = errorDocument(ctx, err);
  // COS answers some failures of Copy and Complete as a 200 whose body is the <Error> document.
  const status = err.in200 ? 200 : err.status;
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': body.length });
  res.end(body);
}

/** Representation headers kept with an object. */
const STORED_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];

export function storedHeadersFrom(req: IncomingMessage): { headers: Record<string, string>; meta: Record<string, string> } {
  const headers: Record<string, string> = {};
  const meta: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = req.headers[name];
    if (typeof value !== 'string') continue;
    if (name === 'content-encoding') {
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v && v !== 'aws-chunked')
        .join(',');
      if (!value) continue;
    }
    headers[name] = value;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value !== 'string') continue;
    if (name.startsWith('x-cos-meta-')) meta[name.slice('x-cos-meta-'.length)] = value;
    else if (name.startsWith('x-amz-meta-')) meta[name.slice('x-amz-meta-'.length)] = value;
  }
  return { headers, meta };
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

export function objectHeaders(ctx: RequestContext, record: ObjectRecord): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ...baseHeaders(ctx),
    'Content-Type': record.headers['content-type'] ?? 'application/octet-stream',
    ETag: quoteEtag(record.etag),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
  };
  if (record.crc64) headers['x-cos-hash-crc64ecma'] = record.crc64;
  for (const [name, value] of Object.entries(record.headers)) if (name !== 'content-type') headers[name] = value;
  const metaPrefix = ctx.s3 ? 'x-amz-meta-' : 'x-cos-meta-';
  for (const [name, value] of Object.entries(record.meta)) headers[metaPrefix + name] = value;
  return headers;
}

export function headerString(req: IncomingMessage, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = req.headers[name];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

export function badRequest(message: string, code = 'InvalidArgument'): CosError {
  return new CosError(400, code, message);
}

/** Reads a small request body (XML documents), refusing anything over `limit` bytes. */
export async function readSmallBody(source: AsyncIterable<Buffer>, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > limit) throw new CosError(400, 'EntityTooLarge', 'Request document too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
