// Reads bucket, key and query from a request without normalising the path (`/a/./b`, `//`, `..` are part of keys).
import type { IncomingMessage } from 'node:http';
import { CosError } from './errors';
import type { StoreOperation } from './faults';

export interface RequestTarget {
  method: string;
  /** Path as sent, still percent-encoded. */
  rawPath: string;
  /** Decoded query parameters in request order (`+` means space, as in S3). */
  query: Array<[string, string]>;
  /** First value of each parameter. */
  params: Map<string, string>;
  /** Bucket named by Host (virtual-hosted) or by the first path segment (path-style); '' for the service. */
  bucket: string;
  key: string;
  style: 'virtual' | 'path';
  /** Region from a `<bucket>.cos.<region>.myqcloud.com` host, when present. */
  region?: string;
}

function decodeComponent(text: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    throw new CosError(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
}

export function parseQuery(rawQuery: string): Array<[string, string]> {
  const query: Array<[string, string]> = [];
  if (!rawQuery) return query;
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    query.push([decodeComponent(name, true), decodeComponent(value, true)]);
  }
  return query;
}

const VIRTUAL_HOST = /^([a-z0-9][a-z0-9-]*-\d+)\.(?:cos\.([a-z0-9-]+)|([a-z0-9-]+))\.myqcloud\.com$/;

export function parseTarget(req: IncomingMessage, isBucket: (name: string) => boolean): RequestTarget {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
  const params = new Map<string, string>();
  for (const [name, value] of query) if (!params.has(name)) params.set(name, value);
  const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const method = req.method ?? 'GET';

  const m = VIRTUAL_HOST.exec(hostname);
  const firstLabel = hostname.includes('.') ? hostname.slice(0, hostname.indexOf('.')) : '';
  const hostBucket = m ? m[1] : firstLabel && isBucket(firstLabel) ? firstLabel : '';
  if (hostBucket) {
    const key = decodeComponent(rawPath.startsWith('/') ? rawPath.slice(1) : rawPath, false);
    return { method, rawPath, query, params, bucket: hostBucket, key, style: 'virtual', region: m?.[2] ?? m?.[3] };
  }
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const slash = path.indexOf('/');
  const bucket = decodeComponent(slash < 0 ? path : path.slice(0, slash), false);
  const key = slash < 0 ? '' : decodeComponent(path.slice(slash + 1), false);
  return { method, rawPath, query, params, bucket, key, style: 'path' };
}

/** Which operation a request is, from method, sub-resources and copy headers. */
export function classify(target: RequestTarget, req: IncomingMessage): StoreOperation {
  const { method, params, bucket, key } = target;
  const copySource = req.headers['x-cos-copy-source'] ?? req.headers['x-amz-copy-source'];
  if (!bucket) {
    if (method === 'GET') return 'ListBuckets';
    throw new CosError(405, 'MethodNotAllowed');
  }
  if (!key) {
    switch (method) {
      case 'GET':
        if (params.has('uploads')) return 'ListMultipartUploads';
        if (params.has('location')) return 'GetBucketLocation';
        return 'GetBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return 'PutBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        if (params.has('delete')) return 'DeleteMultipleObjects';
        break;
    }
    throw new CosError(405, 'MethodNotAllowed');
  }
  switch (method) {
    case 'PUT':
      if (params.has('uploadId') || params.has('partNumber')) return copySource ? 'UploadPartCopy' : 'UploadPart';
      return copySource ? 'PutObjectCopy' : 'PutObject';
    case 'GET':
      return params.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return params.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (params.has('uploads')) return 'InitiateMultipartUpload';
      if (params.has('uploadId')) return 'CompleteMultipartUpload';
      break;
  }
  throw new CosError(405, 'MethodNotAllowed');
}
