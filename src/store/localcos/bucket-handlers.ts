// Bucket-level operations: GET Bucket (list v1, and S3 list v2), Delete Multiple, and the few bucket calls S3
// tools make (HEAD/PUT bucket, list buckets, location).
import { createHash } from 'node:crypto';
import type { BucketState } from './catalog';
import {
  type RequestContext,
  badRequest,
  headerString,
  quoteEtag,
  readSmallBody,
  requireBucket,
  sendEmpty,
  sendXml,
} from './context';
import { CosError } from './errors';
import { compareUtf8 } from './key-order';
import { bodySource } from './object-handlers';
import { elementText, elements, type XmlNode } from './xml';

export interface ListPage {
  contents: string[];
  prefixes: string[];
  truncated: boolean;
  /** Last key or common prefix returned (the next page's marker), when truncated. */
  nextMarker?: string;
}

/**
 * One page of keys after `marker` (exclusive, UTF-8 byte order) under `prefix`, grouped by `delimiter`. Keys and
 * common prefixes count together toward `maxKeys`; a common prefix at or before the marker is skipped whole.
 */
export function listPage(
  bucket: BucketState,
  prefix: string,
  delimiter: string,
  marker: string,
  maxKeys: number,
  visible: (key: string) => boolean = () => true,
): ListPage {
  const keys = bucket.keys;
  const page: ListPage = { contents: [], prefixes: [], truncated: false };
  const cursor = marker && compareUtf8(marker, prefix) >= 0 ? keys.upperBound(marker) : keys.lowerBound(prefix);
  let last: string | undefined;
  for (let key = keys.keyAt(cursor); key !== undefined; key = keys.keyAt(cursor)) {
    if (!key.startsWith(prefix)) break;
    let commonPrefix: string | undefined;
    if (delimiter) {
      const cut = key.indexOf(delimiter, prefix.length);
      if (cut >= 0) commonPrefix = key.slice(0, cut + delimiter.length);
    }
    if (commonPrefix !== undefined && marker && compareUtf8(commonPrefix, marker) <= 0) {
      Object.assign(cursor, keys.afterPrefix(commonPrefix));
      continue;
    }
    if (commonPrefix === undefined ? !visible(key) : !anyVisibleUnder(bucket, commonPrefix, visible)) {
      if (commonPrefix === undefined) keys.next(cursor);
      else Object.assign(cursor, keys.afterPrefix(commonPrefix));
      continue;
    }
    if (page.contents.length + page.prefixes.length >= maxKeys) {
      page.truncated = true;
      page.nextMarker = last;
      break;
    }
    if (commonPrefix !== undefined) {
      page.prefixes.push(commonPrefix);
      last = commonPrefix;
      Object.assign(cursor, keys.afterPrefix(commonPrefix));
    } else {
      page.contents.push(key);
      last = key;
      keys.next(cursor);
    }
  }
  return page;
}

function anyVisibleUnder(bucket: BucketState, prefix: string, visible: (key: string) => boolean): boolean {
  const keys = bucket.keys;
  const cursor = keys.lowerBound(prefix);
  for (let key = keys.keyAt(cursor); key !== undefined && key.startsWith(prefix); key = keys.keyAt(cursor)) {
    if (visible(key)) return true;
    keys.next(cursor);
  }
  return false;
}

/** A lingering-deletes fault: objects deleted less than `ms` ago still show in the page's range (doc 7734). */
function withTombstones(bucket: BucketState, page: ListPage, prefix: string, delimiter: string, marker: string, ms: number): ListPage {
  const contents = new Set(page.contents);
  const prefixes = new Set(page.prefixes);
  const upTo = page.truncated ? page.nextMarker : undefined;
  for (const [key, { deletedAt }] of bucket.tombstones ?? []) {
    if (Date.now() - deletedAt >= ms || !key.startsWith(prefix)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    if ((marker && compareUtf8(entry, marker) <= 0) || (upTo !== undefined && compareUtf8(entry, upTo) > 0)) continue;
    (cut >= 0 ? prefixes : contents).add(entry);
  }
  return { ...page, contents: [...contents].sort(compareUtf8), prefixes: [...prefixes].sort(compareUtf8) };
}

/** A short-page fault: the first `limit` entries of the page, still marked truncated (COS may do so, doc 7734). */
function shorten(page: ListPage, limit: number, marker: string): ListPage {
  const entries = [...page.contents.map((key) => ({ key, prefix: false })), ...page.prefixes.map((key) => ({ key, prefix: true }))]
    .sort((a, b) => compareUtf8(a.key, b.key))
    .slice(0, limit);
  const last = entries[entries.length - 1]?.key;
  return {
    contents: entries.filter((e) => !e.prefix).map((e) => e.key),
    prefixes: entries.filter((e) => e.prefix).map((e) => e.key),
    truncated: true,
    // An empty page does not advance: the next request repeats this one's marker.
    nextMarker: last ?? marker,
  };
}

function maxKeysParam(ctx: RequestContext): number {
  const text = ctx.target.params.get('max-keys');
  if (text === undefined || text === '') return 1000;
  if (!/^\d+$/.test(text)) throw badRequest('Argument max-keys must be an integer between 0 and 2147483647.');
  return Math.min(Number(text), 1000);
}

function owner(bucket: string): XmlNode {
  const appId = bucket.slice(bucket.lastIndexOf('-') + 1);
  return { ID: appId, DisplayName: appId };
}

export async function getBucket(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const params = ctx.target.params;
  const v2 = params.get('list-type') === '2';
  const encodingType = params.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url' && encodingType !== '') {
    throw badRequest('Invalid Encoding Method specified in Request');
  }
  const encode = (text: string): string =>
    encodingType === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text;
  const prefix = params.get('prefix') ?? '';
  const delimiter = params.get('delimiter') ?? '';
  const maxKeys = maxKeysParam(ctx);
  let marker: string;
  if (v2) {
    const token = params.get('continuation-token');
    marker = token ? Buffer.from(token, 'base64url').toString('utf8') : params.get('start-after') ?? '';
  } else {
    marker = params.get('marker') ?? '';
  }
  const hideYoungerThanMs = ctx.hideYoungerThanMs;
  const visible =
    hideYoungerThanMs === undefined
      ? undefined
      : (key: string): boolean => Date.now() - (bucket.objects.get(key)?.lastModified ?? 0) >= hideYoungerThanMs;
  let page = listPage(bucket, prefix, delimiter, marker, maxKeys, visible);
  if (ctx.lingerDeletedMs !== undefined) page = withTombstones(bucket, page, prefix, delimiter, marker, ctx.lingerDeletedMs);
  if (ctx.shortPage !== undefined) page = shorten(page, ctx.shortPage, marker);
  const contents = page.contents.map((key) => {
    const record = bucket.objects.get(key) ?? bucket.tombstones?.get(key)?.record;
    return {
      Key: encode(key),
      LastModified: new Date(record?.lastModified ?? 0).toISOString(),
      ETag: quoteEtag(record?.etag ?? ''),
      Size: record?.size ?? 0,
      Owner: v2 && params.get('fetch-owner') !== 'true' ? undefined : owner(bucket.name),
      StorageClass: 'STANDARD',
    };
  });
  const commonPrefixes = page.prefixes.map((p) => ({ Prefix: encode(p) }));
  if (v2) {
    sendXml(ctx, 200, 'ListBucketResult', {
      Name: bucket.name,
      Prefix: encode(prefix),
      Delimiter: delimiter ? encode(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: encodingType || undefined,
      KeyCount: contents.length + commonPrefixes.length,
      IsTruncated: page.truncated,
      ContinuationToken: params.get('continuation-token') || undefined,
      NextContinuationToken:
        page.truncated && page.nextMarker !== undefined ? Buffer.from(page.nextMarker, 'utf8').toString('base64url') : undefined,
      StartAfter: params.has('start-after') ? encode(params.get('start-after') ?? '') : undefined,
      Contents: contents,
      CommonPrefixes: commonPrefixes,
    });
    return;
  }
  sendXml(ctx, 200, 'ListBucketResult', {
    Name: bucket.name,
    EncodingType: encodingType || undefined,
    Prefix: encode(prefix),
    Marker: encode(marker),
    MaxKeys: maxKeys,
    Delimiter: delimiter ? encode(delimiter) : undefined,
    IsTruncated: page.truncated,
    NextMarker: page.truncated && page.nextMarker !== undefined ? encode(page.nextMarker) : undefined,
    CommonPrefixes: commonPrefixes,
    Contents: contents,
  });
}

export async function deleteMultipleObjects(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  const body = await readSmallBody(bodySource(ctx), 4 << 20);
  const md5 = headerString(ctx.req, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) throw new CosError(400, 'BadDigest');
  const xml = body.toString('utf8');
  if (!/<Delete[\s>]/.test(xml)) throw new CosError(400, 'MalformedXML');
  const quiet = (elementText(xml, 'Quiet') ?? '').trim().toLowerCase() === 'true';
  const keys = elements(xml, 'Object').map((inner) => elementText(inner, 'Key'));
  if (keys.length === 0 || keys.length > 1000 || keys.some((k) => k === undefined)) throw new CosError(400, 'MalformedXML');
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  for (const key of keys as string[]) {
    const failure = ctx.failKeys;
    if (failure) failure.pattern.lastIndex = 0;
    if (failure && failure.pattern.test(key)) {
      // Per-key failures are reported in Quiet mode too (doc 8289).
      errors.push({ Key: key, Code: failure.code, Message: failure.message });
      continue;
    }
    ctx.catalog.deleteObject(bucket, key);
    if (!quiet) deleted.push({ Key: key });
  }
  sendXml(ctx, 200, 'DeleteResult', { Deleted: deleted, Error: errors });
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendEmpty(ctx, 200);
}

export async function putBucket(ctx: RequestContext): Promise<void> {
  for await (const _chunk of ctx.req) {
    // A CreateBucketConfiguration body is accepted and ignored.
  }
  if (!ctx.catalog.buckets.has(ctx.target.bucket)) {
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(ctx.target.bucket)) throw new CosError(400, 'InvalidBucketName');
    ctx.catalog.ensureBucket(ctx.target.bucket);
  }
  sendEmpty(ctx, 200, { Location: `/${ctx.target.bucket}` });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  const bucket = requireBucket(ctx);
  if (bucket.keys.size > 0) throw new CosError(409, 'BucketNotEmpty');
  throw new CosError(405, 'MethodNotAllowed', 'The local store keeps its buckets.');
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendXml(ctx, 200, 'LocationConstraint', ctx.target.region ?? '');
}

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const buckets = [...ctx.catalog.buckets.values()].sort((a, b) => compareUtf8(a.name, b.name));
  sendXml(ctx, 200, 'ListAllMyBucketsResult', {
    Owner: { ID: 'local', DisplayName: 'local' },
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: new Date(b.created).toISOString() })) },
  });
}
