// Verifies AWS Signature Version 4 (header or presigned query), which real COS accepts too; S3 tools use it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { camSafeUrlEncode } from './auth-cos';
import { CosError } from './errors';

export interface V4Request {
  method: string;
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string;
  /** Decoded query parameters, in request order. */
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
}

export interface V4Result {
  accessKeyId: string;
  /** `x-amz-content-sha256`: a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* marker. */
  payloadHash: string;
  /** What a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body's chunk signatures are checked against. */
  chunkSigning: ChunkSigning;
}

export interface ChunkSigning {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own signature: the "previous signature" of the first chunk. */
  seedSignature: string;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Signature of one aws-chunked chunk whose data hashes to `dataSha256Hex`. */
export function chunkSignature(signing: ChunkSigning, previousSignature: string, dataSha256Hex: string): string {
  const stringToSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    signing.amzDate,
    signing.scope,
    previousSignature,
    EMPTY_SHA256,
    dataSha256Hex,
  ].join('\n');
  return createHmac('sha256', signing.signingKey).update(stringToSign, 'utf8').digest('hex');
}

const MAX_SKEW_MS = 15 * 60 * 1000;

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
}

function canonicalQuery(query: Array<[string, string]>, skip?: string): string {
  return query
    .filter(([name]) => name !== skip)
    .map(([name, value]): [string, string] => [camSafeUrlEncode(name), camSafeUrlEncode(value)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The S3 canonical URI: the path as sent; a re-encoded form as a fallback for clients that encode differently. */
function canonicalUris(rawPath: string): string[] {
  const uris = [rawPath];
  try {
    const reencoded = rawPath
      .split('/')
      .map((segment) => camSafeUrlEncode(decodeURIComponent(segment)))
      .join('/');
    if (reencoded !== rawPath) uris.push(reencoded);
  } catch {
    // Malformed escapes: only the raw form can match.
  }
  return uris;
}

export function isV4Authorization(header: string | undefined): boolean {
  return !!header && header.startsWith('AWS4-HMAC-SHA256 ');
}

export function isV4Presigned(query: Array<[string, string]>): boolean {
  return query.some(([name, value]) => name === 'X-Amz-Algorithm' && value === 'AWS4-HMAC-SHA256');
}

export function verifyV4(request: V4Request, credentials: ReadonlyMap<string, string>, nowMs: number): V4Result {
  const presigned = !isV4Authorization(request.headers.authorization);
  let credential: string;
  let signedHeaders: string;
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  if (presigned) {
    const q = new Map(request.query);
    credential = q.get('X-Amz-Credential') ?? '';
    signedHeaders = q.get('X-Amz-SignedHeaders') ?? '';
    signature = q.get('X-Amz-Signature') ?? '';
    amzDate = q.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(q.get('X-Amz-Expires') ?? '604800');
    if (nowMs > parseAmzDate(amzDate) + expires * 1000) throw new CosError(403, 'AccessDenied', 'Request has expired');
  } else {
    const fields = new Map<string, string>();
    for (const part of (request.headers.authorization as string).slice('AWS4-HMAC-SHA256 '.length).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    credential = fields.get('Credential') ?? '';
    signedHeaders = fields.get('SignedHeaders') ?? '';
    signature = fields.get('Signature') ?? '';
    amzDate = headerValue(request.headers, 'x-amz-date');
    payloadHash = headerValue(request.headers, 'x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
    const requestTime = amzDate ? parseAmzDate(amzDate) : Date.parse(headerValue(request.headers, 'date'));
    if (!Number.isFinite(requestTime) || Math.abs(nowMs - requestTime) > MAX_SKEW_MS) {
      throw new CosError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the server time is too large.');
    }
    if (!amzDate) amzDate = headerValue(request.headers, 'date');
  }
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || !signature) {
    throw new CosError(403, 'AccessDenied', 'Malformed AWS Signature Version 4 credential.');
  }
  const secret = credentials.get(accessKeyId);
  if (secret === undefined) throw new CosError(403, 'InvalidAccessKeyId');

  const headerNames = signedHeaders.split(';').filter(Boolean);
  const canonicalHeaders = headerNames.map((n) => `${n}:${headerValue(request.headers, n)}\n`).join('');
  const query = canonicalQuery(request.query, presigned ? 'X-Amz-Signature' : undefined);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const given = Buffer.from(signature.toLowerCase());
  for (const uri of canonicalUris(request.rawPath)) {
    const canonicalRequest = [request.method, uri, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      amzDate,
      scope,
      createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
    ].join('\n');
    const expected = Buffer.from(createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex'));
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      return { accessKeyId, payloadHash, chunkSigning: { signingKey, amzDate, scope, seedSignature: signature.toLowerCase() } };
    }
  }
  throw new CosError(403, 'SignatureDoesNotMatch');
}
