// Multipart upload: initiate, upload part (and part copy), complete, abort, list parts, list uploads.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingest } from './body-io';
import type { BucketState, ObjectRecord, PartRecord, UploadRecord } from './catalog';
import {
  type RequestContext,
  badRequest,
  baseHeaders,
  errorDocument,
  headerString,
  quoteEtag,
  readSmallBody,
  requireBucket,
  sendEmpty,
  sendXml,
  storedHeadersFrom,
} from './context';
import { crc64Combine } from '../../util/crc64-combine';
import { CosError, noSuchUpload } from './errors';
import {
  bodySource,
  checkForbidOverwrite,
  checkKey,
  copySourceRecord,
  crcHeader,
  ingestBody,
  parseCopySource,
} from './object-handlers';
import { compareUtf8 } from './key-order';
import { elementText, elements, type XmlNode, xmlDocument } from './xml';

const MAX_PART_BYTES = 5 * 1024 ** 3;
const MIN_PART_BYTES = 1024 * 1024;
const MAX_PART_NUMBER = 10000;

function owner(bucket: string): XmlNode {
  const appId = bucket.slice(bucket.lastIndexOf('-') + 1);
  return { ID: `qcs::cam::uin/${appId}:uin/${appId}`, DisplayName: appId };
}

function maybeEncode(ctx: RequestContext, text: string): string {
  return ctx.target.params.get('encoding-type') === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text;
}

function findUpload(ctx: RequestContext, bucket: BucketState): UploadRecord {
  const upload = ctx.catalog.uploads.get(ctx.target.params.get('uploadId') ?? '');
  if (!upload || upload.bucket !== bucket.name || upload.key !== ctx.target.key) throw noSuchUpload();
  return upload;
}

function partNumberParam(ctx: RequestContext): number {
  const text = ctx.target.params.get('partNumber') ?? '';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PART_NUMBER) {
    throw badRequest('Part number must be an integer between 1 and 10000, inclusive.');
  }
  return n;
}

export async function initiateMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  checkKey(ctx.target.key);
  const { headers, meta } = storedHeadersFrom(ctx.req);
  const uploadId = `${Math.floor(Date.now() / 1000)}${randomBytes(24).toString('hex')}`;
  ctx.catalog.addUpload({ uploadId, bucket: bucket.name, key: ctx.target.key, initiated: Date.now(), headers, meta, parts: new Map() });
  sendXml(ctx, 200, 'InitiateMultipartUploadResult', {
    Bucket: bucket.name,
    Key: maybeEncode(ctx, ctx.target.key),
    UploadId: uploadId,
  });
}

function storePart(ctx: RequestContext, upload: UploadRecord, part: PartRecord): void {
  if (!ctx.catalog.uploads.has(upload.uploadId)) {
    // Aborted or completed while the part was arriving.
    ctx.catalog.blobs.release(part.blob);
    throw noSuchUpload();
  }
  ctx.catalog.putPart(upload, part);
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const partNumber = partNumberParam(ctx);
  const upload = findUpload(ctx, bucket);
  const body = await ingestBody(ctx, MAX_PART_BYTES);
  const part: PartRecord = {
    partNumber,
    size: body.size,
    etag: body.md5Hex,
    crc64: ctx.withoutCrc64 ? '' : body.crc.digest(),
    lastModified: Date.now(),
    blob: body.blob,
  };
  storePart(ctx, upload, part);
  sendEmpty(ctx, 200, { ETag: quoteEtag(part.etag), ...crcHeader(part.crc64) });
}

export async function uploadPartCopy(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const partNumber = partNumberParam(ctx);
  const upload = findUpload(ctx, bucket);
  const source = copySourceRecord(ctx, parseCopySource(ctx));
  const rangeHeader = headerString(ctx.req, 'x-cos-copy-source-range', 'x-amz-copy-source-range');
  let start = 0;
  let end = source.size;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m || Number(m[2]) < Number(m[1])) throw badRequest('Invalid copy source range.');
    start = Number(m[1]);
    end = Number(m[2]) + 1;
    if (end > source.size) throw new CosError(416, 'InvalidRange');
  }
  if (end - start > MAX_PART_BYTES) throw new CosError(400, 'EntityTooLarge', 'A part copies at most 5 GB.');
  let part: PartRecord;
  if (start === 0 && end === source.size && source.segments.length === 1) {
    part = {
      partNumber,
      size: source.size,
      etag: source.etag,
      crc64: source.crc64,
      lastModified: Date.now(),
      blob: ctx.catalog.blobs.duplicate(source.segments[0]),
    };
  } else {
    const blobs = ctx.catalog.blobs;
    const segments = source.segments;
    for (const s of segments) blobs.pin(s);
    try {
      const copied = await ingest(readRange(ctx, segments, start, end), blobs, { maxBytes: MAX_PART_BYTES });
      part = {
        partNumber,
        size: copied.size,
        etag: copied.md5Hex,
        crc64: copied.crc.digest(),
        lastModified: Date.now(),
        blob: copied.blob,
      };
    } finally {
      for (const s of segments) blobs.unpin(s);
    }
  }
  storePart(ctx, upload, part);
  sendXml(
    ctx,
    200,
    'CopyPartResult',
    { ETag: quoteEtag(part.etag), LastModified: new Date(part.lastModified).toISOString() },
    crcHeader(part.crc64),
  );
}

async function* readRange(ctx: RequestContext, segments: ObjectRecord['segments'], start: number, end: number): AsyncIterable<Buffer> {
  let offset = 0;
  for (const segment of segments) {
    const segmentEnd = offset + segment.size;
    if (segmentEnd > start && offset < end) {
      yield* ctx.catalog.blobs.read(segment, Math.max(start - offset, 0), Math.min(end - offset, segment.size));
    }
    offset = segmentEnd;
  }
}

/** Checks the requested part list against the upload and makes the object; throws the COS error otherwise. */
function commitUpload(ctx: RequestContext, bucket: BucketState, upload: UploadRecord, xml: string): ObjectRecord {
  const requested = elements(xml, 'Part').map((inner) => ({
    partNumber: Number(elementText(inner, 'PartNumber')),
    etag: (elementText(inner, 'ETag') ?? '').trim().replace(/^"|"$/g, '').toLowerCase(),
  }));
  if (requested.length === 0 || requested.some((p) => !Number.isInteger(p.partNumber))) {
    throw new CosError(400, 'MalformedXML');
  }
  const chosen: PartRecord[] = [];
  for (let i = 0; i < requested.length; i++) {
    const { partNumber, etag } = requested[i];
    if (i > 0 && partNumber <= requested[i - 1].partNumber) throw new CosError(400, 'InvalidPartOrder');
    // COS (unlike S3) wants the listed part numbers without gaps (doc 7742).
    if (i > 0 && partNumber !== requested[i - 1].partNumber + 1) {
      throw new CosError(400, 'InvalidPart', `Part ${requested[i - 1].partNumber + 1} is missing from the part list.`);
    }
    const part = upload.parts.get(partNumber);
    if (!part || part.etag !== etag) throw new CosError(400, 'InvalidPart');
    chosen.push(part);
  }
  for (let i = 0; i < chosen.length - 1; i++) {
    if (chosen[i].size < MIN_PART_BYTES) throw new CosError(400, 'EntityTooSmall');
  }
  const md5s = createHash('md5');
  // A part stored without a CRC-64 leaves the whole object without one.
  let crc: bigint | undefined = chosen[0].crc64 ? BigInt(chosen[0].crc64) : undefined;
  let size = chosen[0].size;
  md5s.update(Buffer.from(chosen[0].etag, 'hex'));
  for (const part of chosen.slice(1)) {
    md5s.update(Buffer.from(part.etag, 'hex'));
    crc = crc !== undefined && part.crc64 ? crc64Combine(crc, BigInt(part.crc64), part.size) : undefined;
    size += part.size;
  }
  if (ctx.catalog.uploads.get(upload.uploadId) !== upload) throw noSuchUpload();
  checkForbidOverwrite(ctx, bucket, upload.key);
  const record: ObjectRecord = {
    key: upload.key,
    size,
    etag: `${md5s.digest('hex')}-${chosen.length}`,
    crc64: crc === undefined || ctx.withoutCrc64 ? '' : crc.toString(10),
    lastModified: Date.now(),
    headers: upload.headers,
    meta: upload.meta,
    segments: chosen.map((p) => p.blob),
  };
  ctx.catalog.putObject(bucket, record);
  ctx.catalog.removeUpload(upload, new Set(chosen.map((p) => p.partNumber)));
  return record;
}

function completeResult(ctx: RequestContext, bucket: BucketState, record: ObjectRecord): XmlNode {
  return {
    Location: `${ctx.req.headers.host ?? ''}/${maybeEncode(ctx, record.key)}`,
    Bucket: bucket.name,
    Key: maybeEncode(ctx, record.key),
    ETag: quoteEtag(record.etag),
  };
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const upload = findUpload(ctx, bucket);
  const xml = (await readSmallBody(bodySource(ctx))).toString('utf8');
  if (ctx.slowCompleteMs !== undefined) {
    await completeSlowly(ctx, ctx.slowCompleteMs, () => completeResult(ctx, bucket, commitUpload(ctx, bucket, upload, xml)));
    return;
  }
  const record = commitUpload(ctx, bucket, upload, xml);
  sendXml(ctx, 200, 'CompleteMultipartUploadResult', completeResult(ctx, bucket, record), crcHeader(record.crc64));
}

/**
 * COS's answer to a Complete that takes long: 200 and headers at once (so no CRC-64 header), spaces to keep the
 * connection busy, then the result document, or the `<Error>` document when the completion failed.
 */
async function completeSlowly(ctx: RequestContext, delayMs: number, work: () => XmlNode): Promise<void> {
  const { res } = ctx;
  res.writeHead(200, { ...baseHeaders(ctx), 'Content-Type': 'application/xml' });
  const until = Date.now() + delayMs;
  while (Date.now() < until && !res.destroyed) {
    res.write(' ');
    await sleep(Math.min(50, Math.max(until - Date.now(), 1)));
  }
  let body: string;
  try {
    body = xmlDocument('CompleteMultipartUploadResult', work());
  } catch (err) {
    const cosError = err instanceof CosError ? err : new CosError(500, 'InternalError', String(err));
    body = errorDocument(ctx, cosError).toString('utf8');
  }
  res.end(body);
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const upload = findUpload(ctx, bucket);
  ctx.catalog.removeUpload(upload);
  sendEmpty(ctx, 204);
}

function intParam(ctx: RequestContext, name: string, fallback: number, max: number): number {
  const text = ctx.target.params.get(name);
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw badRequest(`Invalid ${name}.`);
  return Math.min(Number(text), max);
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const upload = findUpload(ctx, bucket);
  const marker = intParam(ctx, 'part-number-marker', 0, MAX_PART_NUMBER);
  const maxParts = intParam(ctx, 'max-parts', 1000, 1000);
  const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(ctx, 200, 'ListPartsResult', {
    Bucket: bucket.name,
    EncodingType: ctx.target.params.get('encoding-type'),
    Key: maybeEncode(ctx, upload.key),
    UploadId: upload.uploadId,
    Initiator: owner(bucket.name),
    Owner: owner(bucket.name),
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length ? page[page.length - 1].partNumber : marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: new Date(p.lastModified).toISOString(),
      ETag: quoteEtag(p.etag),
      Size: p.size,
    })),
  });
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const prefix = ctx.target.params.get('prefix') ?? '';
  const delimiter = ctx.target.params.get('delimiter') ?? '';
  const keyMarker = ctx.target.params.get('key-marker') ?? '';
  const uploadIdMarker = ctx.target.params.get('upload-id-marker') ?? '';
  const maxUploads = intParam(ctx, 'max-uploads', 1000, 1000);
  const candidates = [...ctx.catalog.uploads.values()]
    .filter((u) => u.bucket === bucket.name && u.key.startsWith(prefix))
    .filter((u) => {
      const c = compareUtf8(u.key, keyMarker);
      return !keyMarker || c > 0 || (c === 0 && uploadIdMarker !== '' && u.uploadId > uploadIdMarker);
    })
    .sort((a, b) => compareUtf8(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : 1));
  const uploads: XmlNode[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let nextKey = '';
  let nextUploadId = '';
  for (const u of candidates) {
    const rest = u.key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const commonPrefix = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
    if (commonPrefix !== undefined && prefixes[prefixes.length - 1] === commonPrefix) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      prefixes.push(commonPrefix);
      nextKey = commonPrefix;
      nextUploadId = '';
    } else {
      uploads.push({
        Key: maybeEncode(ctx, u.key),
        UploadId: u.uploadId,
        StorageClass: 'STANDARD',
        Initiator: owner(bucket.name),
        Owner: owner(bucket.name),
        Initiated: new Date(u.initiated).toISOString(),
      });
      nextKey = u.key;
      nextUploadId = u.uploadId;
    }
  }
  sendXml(ctx, 200, 'ListMultipartUploadsResult', {
    Bucket: bucket.name,
    EncodingType: ctx.target.params.get('encoding-type'),
    KeyMarker: maybeEncode(ctx, keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: truncated ? maybeEncode(ctx, nextKey) : undefined,
    NextUploadIdMarker: truncated ? nextUploadId : undefined,
    Delimiter: delimiter ? maybeEncode(ctx, delimiter) : undefined,
    Prefix: maybeEncode(ctx, prefix),
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: uploads,
    CommonPrefixes: prefixes.map((p) => ({ Prefix: maybeEncode(ctx, p) })),
  });
}

