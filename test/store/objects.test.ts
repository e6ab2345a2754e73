// PUT/GET/HEAD/DELETE Object, Range, copy and checksums through the real cos-nodejs-sdk-v5.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, crc64Of, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

describe('local COS objects via the SDK', () => {
  let store: LocalCos;
  let cos: COS;
  before(async () => {
    store = await startStore();
    cos = sdkClient(store);
  });
  after(async () => {
    await store.close();
  });

  it('puts, heads, gets and deletes an object with ETag, CRC-64 and request id', async () => {
    const body = patternBytes(100_000, 7);
    const put = await cos.putObject({ ...at, Key: 'dir/file.bin', Body: body, ContentType: 'application/x-test' });
    assert.equal(put.statusCode, 200);
    assert.equal(put.ETag, `"${md5Hex(body)}"`);
    assert.equal(put.headers?.['x-cos-hash-crc64ecma'], crc64Of(body));
    assert.ok(put.headers?.['x-cos-request-id']);

    const head = await cos.headObject({ ...at, Key: 'dir/file.bin' });
    assert.equal(head.headers?.['content-length'], String(body.length));
    assert.equal(head.headers?.['content-type'], 'application/x-test');
    assert.equal(head.ETag, `"${md5Hex(body)}"`);
    assert.match(String(head.headers?.['last-modified']), /GMT$/);

    const got = await cos.getObject({ ...at, Key: 'dir/file.bin' });
    assert.ok(Buffer.isBuffer(got.Body));
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(body));

    const del = await cos.deleteObject({ ...at, Key: 'dir/file.bin' });
    assert.equal(del.statusCode, 204);
    const missing = await sdkError(cos.headObject({ ...at, Key: 'dir/file.bin' }));
    assert.equal(missing.statusCode, 404);
    const missingGet = await sdkError(cos.getObject({ ...at, Key: 'dir/file.bin' }));
    assert.equal(missingGet.code, 'NoSuchKey');
  });

  it('stores keys with non-ASCII, spaces, .., // and a trailing slash exactly', async () => {
    const keys = ['中文/文件 名.txt', 'a/../b', 'x//y', 'dir/', 'emoji 😀/ü.txt', 'sp ace+plus%percent', 'a/./c'];
    for (const [i, key] of keys.entries()) {
      await cos.putObject({ ...at, Key: key, Body: Buffer.from(`content ${i}`) });
    }
    for (const [i, key] of keys.entries()) {
      const got = await cos.getObject({ ...at, Key: key });
      assert.equal((got.Body as Buffer).toString(), `content ${i}`, key);
    }
    const listed = await cos.getBucket({ ...at, MaxKeys: 1000 });
    const listedKeys = listed.Contents.map((c) => c.Key);
    for (const key of keys) assert.ok(listedKeys.includes(key), key);
    for (const key of keys) await cos.deleteObject({ ...at, Key: key });
  });

  it('serves single ranges with 206 and refuses unsatisfiable ones with 416', async () => {
    const body = patternBytes(1000, 3);
    await cos.putObject({ ...at, Key: 'range.bin', Body: body });
    const part = await cos.getObject({ ...at, Key: 'range.bin', Range: 'bytes=10-19' });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers?.['content-range'], 'bytes 10-19/1000');
    assert.deepEqual(part.Body, body.subarray(10, 20));
    const tail = await cos.getObject({ ...at, Key: 'range.bin', Range: 'bytes=990-' });
    assert.deepEqual(tail.Body, body.subarray(990));
    const suffix = await cos.getObject({ ...at, Key: 'range.bin', Range: 'bytes=-5' });
    assert.deepEqual(suffix.Body, body.subarray(995));
    const past = await sdkError(cos.getObject({ ...at, Key: 'range.bin', Range: 'bytes=1000-' }));
    assert.equal(past.statusCode, 416);
    assert.equal(past.code, 'InvalidRange');
  });

  it('copies an object (PUT Object - Copy) with its CRC-64', async () => {
    const body = patternBytes(5000, 9);
    await cos.putObject({ ...at, Key: 'src/é.bin', Body: body });
    const copied = await cos.putObjectCopy({
      ...at,
      Key: 'dst/copy.bin',
      CopySource: `${at.Bucket}.cos.${at.Region}.myqcloud.com/${encodeURIComponent('src/é.bin')}`,
    });
    assert.equal(copied.statusCode, 200);
    assert.equal(copied.ETag, `"${md5Hex(body)}"`);
    const got = await cos.getObject({ ...at, Key: 'dst/copy.bin' });
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(body));
    assert.equal(got.headers?.['x-cos-hash-crc64ecma'], crc64Of(body));
    const missing = await sdkError(
      cos.putObjectCopy({ ...at, Key: 'dst/x', CopySource: `${at.Bucket}.cos.${at.Region}.myqcloud.com/nope` }),
    );
    assert.equal(missing.statusCode, 404);
  });

  it('deletes many objects in one request', async () => {
    for (const key of ['m/1', 'm/2', 'm/3']) await cos.putObject({ ...at, Key: key, Body: 'x' });
    const result = await cos.deleteMultipleObject({ ...at, Objects: [{ Key: 'm/1' }, { Key: 'm/2' }, { Key: 'm/none' }] });
    assert.deepEqual(result.Deleted.map((d) => d.Key).sort(), ['m/1', 'm/2', 'm/none']);
    const listed = await cos.getBucket({ ...at, Prefix: 'm/' });
    assert.deepEqual(listed.Contents.map((c) => c.Key), ['m/3']);
  });

  it('keeps user metadata and answers an empty object', async () => {
    await cos.putObject({ ...at, Key: 'empty', Body: Buffer.alloc(0), Headers: { 'x-cos-meta-owner': 'tester' } });
    const head = await cos.headObject({ ...at, Key: 'empty' });
    assert.equal(head.headers?.['x-cos-meta-owner'], 'tester');
    assert.equal(head.headers?.['content-length'], '0');
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], '0');
    const got = await cos.getObject({ ...at, Key: 'empty' });
    assert.equal((got.Body as Buffer).length, 0);
  });
});

describe('local COS x-cos-forbid-overwrite', () => {
  it('refuses to replace an existing object with 409 ObjectAlreadyExists', async () => {
    const store = await startStore();
    try {
      const cos = sdkClient(store);
      const headers = { 'x-cos-forbid-overwrite': 'true' };
      await cos.putObject({ ...at, Key: 'once', Body: 'first', Headers: headers });
      const err = await sdkError(cos.putObject({ ...at, Key: 'once', Body: 'second', Headers: headers }));
      assert.equal(err.statusCode, 409);
      assert.equal(err.code, 'ObjectAlreadyExists');
      assert.equal(((await cos.getObject({ ...at, Key: 'once' })).Body as Buffer).toString(), 'first');
    } finally {
      await store.close();
    }
  });
});

describe('local COS Content-MD5', () => {
  it('refuses a body that does not match Content-MD5 with 400 BadDigest and stores nothing', async () => {
    const store = await startStore();
    try {
      const cos = sdkClient(store);
      const wrong = Buffer.from(md5Hex(Buffer.from('other')), 'hex').toString('base64');
      const err = await sdkError(cos.putObject({ ...at, Key: 'digest', Body: Buffer.from('payload'), Headers: { 'Content-MD5': wrong } }));
      assert.equal(err.statusCode, 400);
      assert.equal(err.code, 'BadDigest');
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'digest' }))).statusCode, 404);
      const right = Buffer.from(md5Hex(Buffer.from('payload')), 'hex').toString('base64');
      assert.equal((await cos.putObject({ ...at, Key: 'digest', Body: Buffer.from('payload'), Headers: { 'Content-MD5': right } })).statusCode, 200);
    } finally {
      await store.close();
    }
  });
});

describe('local COS chunked uploads', () => {
  it('stores a stream body sent without Content-Length (chunked)', async () => {
    const store = await startStore();
    try {
      const cos = sdkClient(store);
      const parts = [patternBytes(70_000, 61), patternBytes(90_000, 62)];
      const { Readable } = await import('node:stream');
      const put = await cos.putObject({ ...at, Key: 'chunked.bin', Body: Readable.from(parts) });
      const whole = Buffer.concat(parts);
      assert.equal(put.ETag, `"${md5Hex(whole)}"`);
      const got = await cos.getObject({ ...at, Key: 'chunked.bin' });
      assert.equal(got.headers?.['content-length'], String(whole.length));
      assert.equal(got.headers?.['x-cos-hash-crc64ecma'], crc64Of(whole));
    } finally {
      await store.close();
    }
  });
});
