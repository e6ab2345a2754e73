// Verifies the COS `q-sign-algorithm=sha1` signature (doc 7778), exactly as the SDK's getAuth computes it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CosError } from './errors';

/** encodeURIComponent plus `!'()*`: the encoding of both COS signatures and AWS SigV4. */
export function camSafeUrlEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export interface SignedRequestParts {
  method: string;
  /** Candidate decoded paths the client may have signed (`/` + key first). */
  pathnames: string[];
  /** Decoded query parameters, in request order, without the q-* signature parameters. */
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
}

export function parseCosAuthorization(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return fields;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(',') : value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Returns the access key id when the signature is valid, else throws the COS 403 error. */
export function verifyCosSignature(
  fields: Map<string, string>,
  request: SignedRequestParts,
  credentials: ReadonlyMap<string, string>,
  nowSeconds: number,
): string {
  const accessKeyId = fields.get('q-ak') ?? '';
  const keyTime = fields.get('q-key-time') ?? fields.get('q-sign-time') ?? '';
  const signTime = fields.get('q-sign-time') ?? keyTime;
  const signature = (fields.get('q-signature') ?? '').toLowerCase();
  if ((fields.get('q-sign-algorithm') ?? '').toLowerCase() !== 'sha1' || !accessKeyId || !signature) {
    throw new CosError(403, 'AccessDenied', 'Invalid Authorization.');
  }
  const secret = credentials.get(accessKeyId);
  if (secret === undefined) throw new CosError(403, 'InvalidAccessKeyId');
  const [start, end] = signTime.split(';').map(Number);
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new CosError(403, 'AccessDenied', 'Invalid q-sign-time.');
  }
  if (nowSeconds > end) throw new CosError(403, 'AccessDenied', 'Request has expired');
  if (nowSeconds < start - 900) throw new CosError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the server time is too large.');

  const headerNames = (fields.get('q-header-list') ?? '').split(';').filter(Boolean);
  const paramNames = (fields.get('q-url-param-list') ?? '').split(';').filter(Boolean);
  const params = new Map<string, string>();
  for (const [name, value] of request.query) {
    const encoded = camSafeUrlEncode(name).toLowerCase();
    if (!params.has(encoded)) params.set(encoded, value);
  }
  const paramString = paramNames.map((n) => `${n}=${camSafeUrlEncode(params.get(n) ?? '')}`).join('&');
  const headerString = headerNames
    .map((n) => `${n}=${camSafeUrlEncode(headerValue(request.headers, safeDecode(n)))}`)
    .join('&');
  const signKey = createHmac('sha1', secret).update(keyTime).digest('hex');
  for (const pathname of request.pathnames) {
    const httpString = [request.method.toLowerCase(), pathname, paramString, headerString, ''].join('\n');
    const digest = createHash('sha1').update(httpString, 'utf8').digest('hex');
    const stringToSign = ['sha1', signTime, digest, ''].join('\n');
    const expected = createHmac('sha1', signKey).update(stringToSign).digest('hex');
    if (safeEqualHex(expected, signature)) return accessKeyId;
  }
  throw new CosError(403, 'SignatureDoesNotMatch');
}
