// The failure shapes of real COS the store can produce on demand: eventual listing, short pages, per-key Delete
// Multiple errors, errors inside a 200, listings that lag behind deletes, the slow Complete, objects without CRC-64, a skewed clock.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { BUCKET, at, crc64Of, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

const MB = 1024 * 1024;

describe('local COS: COS failure shapes', () => {
  let store: LocalCos;
  let cos: COS;
  before(async () => {
    store = await startStore();
    cos = sdkClient(store);
  });
  after(async () => {
    await store.close();
  });

  const listKeys = async (prefix: string, delimiter = ''): Promise<string[]> => {
    const r = await cos.getBucket({ ...at, Prefix: prefix, Delimiter: delimiter });
    return [...r.Contents.map((c) => c.Key), ...r.CommonPrefixes.map((p) => p.Prefix)].sort();
  };

  it('hides keys younger than N ms from GET Bucket (and folders holding only such keys); HEAD still sees them', async () => {
    await cos.putObject({ ...at, Key: 'ec/old/a', Body: 'a' });
    await sleep(300);
    await cos.putObject({ ...at, Key: 'ec/old/b', Body: 'b' });
    await cos.putObject({ ...at, Key: 'ec/new/c', Body: 'c' });
    store.faults.add({ op: 'GetBucket', count: 2, action: { hideYoungerThanMs: 250 } });
    assert.deepEqual(await listKeys('ec/'), ['ec/old/a']);
    assert.deepEqual(await listKeys('ec/', '/'), ['ec/old/']);
    assert.equal((await cos.headObject({ ...at, Key: 'ec/new/c' })).statusCode, 200);
    assert.deepEqual(await listKeys('ec/'), ['ec/new/c', 'ec/old/a', 'ec/old/b']);
  });

  it('keeps keys deleted less than N ms ago in GET Bucket (and their folders); HEAD says they are gone', async () => {
    for (const k of ['ld/a', 'ld/sub/b']) await cos.putObject({ ...at, Key: k, Body: k });
    await cos.deleteObject({ ...at, Key: 'ld/a' });
    await cos.deleteObject({ ...at, Key: 'ld/sub/b' });
    store.faults.add({ op: 'GetBucket', count: 2, action: { lingerDeletedMs: 60_000 } });
    assert.deepEqual(await listKeys('ld/'), ['ld/a', 'ld/sub/b']);
    assert.deepEqual(await listKeys('ld/', '/'), ['ld/a', 'ld/sub/']);
    assert.equal((await sdkError(cos.headObject({ ...at, Key: 'ld/a' }))).statusCode, 404);
    assert.deepEqual(await listKeys('ld/'), []);
  });

  it('answers short pages: fewer entries than max-keys, even none, with IsTruncated true', async () => {
    for (const k of ['sp/1', 'sp/2', 'sp/3']) await cos.putObject({ ...at, Key: k, Body: k });
    store.faults.add({ op: 'GetBucket', count: 1, action: { shortPage: 0 } });
    const empty = await cos.getBucket({ ...at, Prefix: 'sp/', MaxKeys: 1 });
    assert.equal(empty.Contents.length, 0);
    assert.equal(String(empty.IsTruncated), 'true');
    store.faults.add({ op: 'GetBucket', count: 1, action: { shortPage: 1 } });
    const short = await cos.getBucket({ ...at, Prefix: 'sp/', MaxKeys: 1000 });
    assert.deepEqual(short.Contents.map((c) => c.Key), ['sp/1']);
    assert.equal(String(short.IsTruncated), 'true');
    assert.equal(short.NextMarker, 'sp/1');
    const rest = await cos.getBucket({ ...at, Prefix: 'sp/', Marker: 'sp/1' });
    assert.deepEqual(rest.Contents.map((c) => c.Key), ['sp/2', 'sp/3']);
  });

  it('fails single keys of a Delete Multiple, in Quiet mode too, and keeps them', async () => {
    for (const k of ['dm/a', 'dm/b', 'dm/c']) await cos.putObject({ ...at, Key: k, Body: k });
    store.faults.add({ op: 'DeleteMultipleObjects', action: { failKeys: /\/b$/, code: 'InternalError' } });
    const r = await cos.deleteMultipleObject({ ...at, Quiet: true, Objects: [{ Key: 'dm/a' }, { Key: 'dm/b' }, { Key: 'dm/c' }] });
    assert.deepEqual(r.Error.map((e) => [e.Key, e.Code]), [['dm/b', 'InternalError']]);
    assert.deepEqual(await listKeys('dm/'), ['dm/b']);
  });

  it('answers a Copy with an error inside a 200', async () => {
    await cos.putObject({ ...at, Key: 'c200/src', Body: 'x' });
    store.faults.add({ op: 'PutObjectCopy', action: { status: 403, code: 'AccessDenied', in200: true } });
    const err = await sdkError(cos.putObjectCopy({ ...at, Key: 'c200/dst', CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/c200/src` }));
    assert.equal(err.code, 'AccessDenied');
    assert.equal(err.statusCode, 200);
  });

  it('answers a slow Complete with 200 at once, spaces, then the result, or then an error', async () => {
    const parts = [patternBytes(MB, 1), patternBytes(1000, 2)];
    const upload = async (key: string): Promise<{ UploadId: string; Parts: Array<{ PartNumber: number; ETag: string }> }> => {
      const init = await cos.multipartInit({ ...at, Key: key });
      const list: Array<{ PartNumber: number; ETag: string }> = [];
      for (const [i, body] of parts.entries()) {
        list.push({ PartNumber: i + 1, ETag: (await cos.multipartUpload({ ...at, Key: key, UploadId: init.UploadId, PartNumber: i + 1, Body: body })).ETag });
      }
      return { UploadId: init.UploadId, Parts: list };
    };
    const good = await upload('slow/good');
    store.faults.add({ op: 'CompleteMultipartUpload', action: { slowCompleteMs: 300 } });
    const started = Date.now();
    const done = await cos.multipartComplete({ ...at, Key: 'slow/good', ...good });
    assert.ok(Date.now() - started >= 250);
    assert.match(String(done.ETag), /-2"$/);
    assert.equal(md5Hex((await cos.getObject({ ...at, Key: 'slow/good' })).Body as Buffer), md5Hex(Buffer.concat(parts)));

    const bad = await upload('slow/bad');
    store.faults.add({ op: 'CompleteMultipartUpload', action: { slowCompleteMs: 100 } });
    const err = await sdkError(cos.multipartComplete({ ...at, Key: 'slow/bad', UploadId: bad.UploadId, Parts: [{ PartNumber: 1, ETag: '"00"' }] }));
    assert.equal(err.code, 'InvalidPart');
    assert.equal(err.statusCode, 200);
  });

  it('stores objects without CRC-64 on request: PUT, HEAD, GET and a multipart built from such a part', async () => {
    store.faults.add({ op: 'PutObject', key: 'nocrc/a', action: { withoutCrc64: true } });
    const put = await cos.putObject({ ...at, Key: 'nocrc/a', Body: 'old object' });
    assert.equal(put.headers?.['x-cos-hash-crc64ecma'], undefined);
    assert.equal((await cos.headObject({ ...at, Key: 'nocrc/a' })).headers?.['x-cos-hash-crc64ecma'], undefined);
    assert.equal((await cos.getObject({ ...at, Key: 'nocrc/a' })).headers?.['x-cos-hash-crc64ecma'], undefined);
    const copy = await cos.putObjectCopy({ ...at, Key: 'nocrc/copy', CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/nocrc/a` });
    assert.equal(copy.headers?.['x-cos-hash-crc64ecma'], undefined);

    const init = await cos.multipartInit({ ...at, Key: 'nocrc/mp' });
    const p1 = patternBytes(MB, 3);
    const r1 = await cos.multipartUpload({ ...at, Key: 'nocrc/mp', UploadId: init.UploadId, PartNumber: 1, Body: p1 });
    store.faults.add({ op: 'UploadPart', action: { withoutCrc64: true } });
    const r2 = await cos.multipartUpload({ ...at, Key: 'nocrc/mp', UploadId: init.UploadId, PartNumber: 2, Body: 'tail' });
    assert.equal(r1.headers?.['x-cos-hash-crc64ecma'], crc64Of(p1));
    assert.equal(r2.headers?.['x-cos-hash-crc64ecma'], undefined);
    const done = await cos.multipartComplete({
      ...at, Key: 'nocrc/mp', UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag }],
    });
    assert.equal(done.headers?.['x-cos-hash-crc64ecma'], undefined);
    assert.equal((await cos.headObject({ ...at, Key: 'nocrc/mp' })).headers?.['x-cos-hash-crc64ecma'], undefined);
  });

  it('answers RequestTimeTooSkewed with a skewed clock: the SDK re-signs and resends a buffer, never a stream', async () => {
    const skewed = await startStore();
    try {
      skewed.faults.add({ op: '*', count: Infinity, action: { clockSkewMs: -3_600_000 } });
      const client = sdkClient(skewed);
      const streamed = await sdkError(client.putObject({ ...at, Key: 'skew/s', Body: Readable.from([Buffer.from('s')]), ContentLength: 1 }));
      assert.equal(streamed.code, 'RequestTimeTooSkewed');
      // The SDK took the offset from Date: the same stream upload now passes, and so does everything after.
      await client.putObject({ ...at, Key: 'skew/s', Body: Readable.from([Buffer.from('s')]), ContentLength: 1 });
      const fresh = sdkClient(skewed);
      await fresh.putObject({ ...at, Key: 'skew/b', Body: Buffer.from('b') });
      assert.equal((await fresh.getObject({ ...at, Key: 'skew/b' })).Body.toString(), 'b');
    } finally {
      await skewed.close();
    }
  });

  it('answers one request with RequestTimeTooSkewed on its own (no real skew)', async () => {
    store.faults.add({ op: 'GetObject', action: { status: 403, code: 'RequestTimeTooSkewed' } });
    await cos.putObject({ ...at, Key: 'skew1', Body: '1' });
    assert.equal((await sdkError(cos.getObject({ ...at, Key: 'skew1' }))).code, 'RequestTimeTooSkewed');
    assert.equal((await cos.getObject({ ...at, Key: 'skew1' })).statusCode, 200);
  });
});
