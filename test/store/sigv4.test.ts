// AWS Signature V4 by hand (what S3 tools send): signed, unsigned and aws-chunked streaming payloads,
// presigned URLs, path-style addressing, ListObjectsV2.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { LocalCos } from '../../src/store/localcos';
import { BUCKET, SECRET_ID, SECRET_KEY, at, md5Hex, patternBytes, sdkClient, startStore } from './helpers';

const REGION = 'us-east-1';

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

interface Signed {
  path: string;
  headers: Record<string, string>;
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  signature: string;
}

/** Signs a path-style request; `query` is decoded name/value pairs. */
function signV4(method: string, key: string, query: Array<[string, string]>, headers: Record<string, string>, payloadHash: string, host: string, secret = SECRET_KEY): Signed {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const path = `/${BUCKET}/${key.split('/').map(uriEncode).join('/')}`;
  const all: Record<string, string> = { ...headers, host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([n, v]) => [n.toLowerCase(), v]));
  const canonicalQuery = query
    .map(([n, v]) => `${uriEncode(n)}=${uriEncode(v)}`)
    .sort()
    .join('&');
  const canonical = [method, path, canonicalQuery, names.map((n) => `${n}:${lower[n].trim()}\n`).join(''), names.join(';'), payloadHash].join('\n');
  const scope = `${date}/${REGION}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  return {
    path: canonicalQuery ? `${path}?${canonicalQuery}` : path,
    headers: {
      ...all,
      authorization: `AWS4-HMAC-SHA256 Credential=${SECRET_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
    signingKey,
    amzDate,
    scope,
    signature,
  };
}

function send(port: number, method: string, signed: Signed, body?: Buffer): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: signed.path, headers: signed.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local COS with AWS Signature V4', () => {
  let store: LocalCos;
  let host: string;
  before(async () => {
    store = await startStore();
    host = `127.0.0.1:${store.port}`;
  });
  after(async () => {
    await store.close();
  });

  it('accepts a PUT with a signed payload hash and refuses one whose body does not match it', async () => {
    const body = Buffer.from('signed payload ü');
    const ok = await send(store.port, 'PUT', signV4('PUT', 'v4/signed ü.txt', [], { 'content-length': String(body.length) }, sha256Hex(body), host), body);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.etag, `"${md5Hex(body)}"`);
    const got = await sdkClient(store).getObject({ ...at, Key: 'v4/signed ü.txt' });
    assert.deepEqual(got.Body, body);

    const wrong = await send(store.port, 'PUT', signV4('PUT', 'v4/bad', [], { 'content-length': '3' }, sha256Hex('abc'), host), Buffer.from('xyz'));
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.toString(), /XAmzContentSHA256Mismatch/);
    const bad = await send(store.port, 'GET', signV4('GET', 'v4/signed ü.txt', [], {}, 'UNSIGNED-PAYLOAD', host, 'wrong'));
    assert.equal(bad.status, 403);
    assert.match(bad.body.toString(), /SignatureDoesNotMatch/);
  });

  /** PUTs `data` as aws-chunked with chunk signatures; `tamper` corrupts the signature of chunk N. */
  async function putStreaming(key: string, data: Buffer, tamper?: number): Promise<{ status: number; body: Buffer }> {
    const chunks: Buffer[] = [];
    for (let off = 0; off < data.length; off += 65536) chunks.push(data.subarray(off, off + 65536));
    chunks.push(Buffer.alloc(0));
    const headerSize = (c: Buffer): number => `${c.length.toString(16)};chunk-signature=${'0'.repeat(64)}\r\n`.length + c.length + 2;
    const wireLength = chunks.reduce((n, c) => n + headerSize(c), 0);
    const signed = signV4(
      'PUT',
      key,
      [],
      { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'content-length': String(wireLength) },
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      host,
    );
    let previous = signed.signature;
    const pieces: Buffer[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signed.amzDate, signed.scope, previous, sha256Hex(''), sha256Hex(chunk)].join('\n');
      let signature = createHmac('sha256', signed.signingKey).update(toSign).digest('hex');
      previous = signature;
      if (i === tamper) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      pieces.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, Buffer.from('\r\n'));
    }
    return send(store.port, 'PUT', signed, Buffer.concat(pieces));
  }

  it('decodes an aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD body and checks its chunk signatures', async () => {
    const data = patternBytes(200_000, 41);
    const res = await putStreaming('v4/streamed.bin', data);
    assert.equal(res.status, 200, res.body.toString());
    const got = await sdkClient(store).getObject({ ...at, Key: 'v4/streamed.bin' });
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(data));
    assert.equal(got.headers?.['content-encoding'], undefined);

    const tampered = await putStreaming('v4/tampered.bin', data, 1);
    assert.equal(tampered.status, 403);
    assert.match(tampered.body.toString(), /SignatureDoesNotMatch/);
    const missing = await send(store.port, 'HEAD', signV4('HEAD', 'v4/tampered.bin', [], {}, 'UNSIGNED-PAYLOAD', host));
    assert.equal(missing.status, 404);
  });

  it('lists with ListObjectsV2 and a continuation token', async () => {
    for (const k of ['v2/a', 'v2/b', 'v2/c/d', 'v2/e']) await sdkClient(store).putObject({ ...at, Key: k, Body: k });
    const keys: string[] = [];
    let token = '';
    for (let page = 0; page < 10; page++) {
      const query: Array<[string, string]> = [['list-type', '2'], ['prefix', 'v2/'], ['delimiter', '/'], ['max-keys', '2']];
      if (token) query.push(['continuation-token', token]);
      const res = await send(store.port, 'GET', signV4('GET', '', query, {}, 'UNSIGNED-PAYLOAD', host));
      const xml = res.body.toString();
      assert.equal(res.status, 200, xml);
      keys.push(...[...xml.matchAll(/<Key>([^<]*)<\/Key>|<CommonPrefixes><Prefix>([^<]*)<\//g)].map((m) => m[1] ?? m[2]).sort());
      const next = /<NextContinuationToken>([^<]+)</.exec(xml);
      if (!next) break;
      token = next[1];
    }
    assert.deepEqual(keys, ['v2/a', 'v2/b', 'v2/c/', 'v2/e']);
  });
});
