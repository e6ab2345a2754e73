// Signature checks: wrong key, unknown id, expired signature, unsigned request, and the COS error document.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, BUCKET, REGION, SECRET_ID, SECRET_KEY, sdkClient, sdkError, startStore } from './helpers';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawRequest(port: number, method: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local COS authentication', () => {
  let store: LocalCos;
  const host = `${BUCKET}.cos.${REGION}.myqcloud.com`;
  before(async () => {
    store = await startStore();
    await sdkClient(store).putObject({ ...at, Key: 'secret.txt', Body: 'hidden' });
  });
  after(async () => {
    await store.close();
  });

  it('refuses a wrong secret key with 403 SignatureDoesNotMatch', async () => {
    const err = await sdkError(sdkClient(store, SECRET_ID, 'wrong-key').getObject({ ...at, Key: 'secret.txt' }));
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, 'SignatureDoesNotMatch');
  });

  it('refuses an unknown secret id with 403 InvalidAccessKeyId', async () => {
    const err = await sdkError(sdkClient(store, 'AKIDunknown', SECRET_KEY).getBucket({ ...at }));
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, 'InvalidAccessKeyId');
  });

  it('refuses an expired signature with 403 AccessDenied "Request has expired"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const authorization = COS.getAuthorization({
      SecretId: SECRET_ID,
      SecretKey: SECRET_KEY,
      Method: 'GET',
      Key: 'secret.txt',
      Headers: { Host: host },
      KeyTime: `${now - 2000};${now - 1000}`,
    });
    const res = await rawRequest(store.port, 'GET', '/secret.txt', { Host: host, Authorization: authorization });
    assert.equal(res.status, 403);
    assert.match(res.body, /<Code>AccessDenied<\/Code>/);
    assert.match(res.body, /<Message>Request has expired<\/Message>/);
    assert.match(res.body, /<RequestId>[^<]+<\/RequestId>/);
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.ok(res.headers['x-cos-request-id']);
  });

  it('accepts a valid hand-made signature and refuses an unsigned request', async () => {
    const authorization = COS.getAuthorization({
      SecretId: SECRET_ID,
      SecretKey: SECRET_KEY,
      Method: 'GET',
      Key: 'secret.txt',
      Headers: { Host: host },
    });
    const ok = await rawRequest(store.port, 'GET', '/secret.txt', { Host: host, Authorization: authorization });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'hidden');
    const unsigned = await rawRequest(store.port, 'GET', '/secret.txt', { Host: host });
    assert.equal(unsigned.status, 403);
    assert.match(unsigned.body, /<Code>AccessDenied<\/Code>/);
  });

  it('accepts a presigned URL from getObjectUrl (signature in the query)', async () => {
    const cos = sdkClient(store);
    await cos.putObject({ ...at, Key: 'p/中 x.txt', Body: 'presigned' });
    const url = await new Promise<string>((resolve, reject) => {
      cos.getObjectUrl({ ...at, Key: 'p/中 x.txt', Sign: true }, (err, data) => (err ? reject(err) : resolve(data.Url)));
    });
    const u = new URL(url);
    assert.match(u.search, /q-signature=/);
    const ok = await rawRequest(store.port, 'GET', u.pathname + u.search, { Host: u.host });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'presigned');
    const tampered = await rawRequest(store.port, 'GET', u.pathname.replace('x.txt', 'y.txt') + u.search, { Host: u.host });
    assert.equal(tampered.status, 403);
  });

  it('answers NoSuchBucket for a bucket it does not have', async () => {
    const err = await sdkError(sdkClient(store).getBucket({ Bucket: 'nothere-1250000000', Region: REGION }));
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, 'NoSuchBucket');
  });
});
