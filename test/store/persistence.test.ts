// --data mode: objects, metadata and unfinished uploads survive a restart; keys never become host paths;
// a cut-off upload leaves nothing behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { at, crc64Of, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

const MB = 1024 * 1024;

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...allFiles(path));
    else out.push(path);
  }
  return out;
}

describe('local COS --data mode', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cos-local-data-'));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps objects, metadata, multipart objects and pending uploads across a restart', async () => {
    const keys = ['../escape.txt', 'a//b/', '中文 key.txt', 'plain'];
    const big = [patternBytes(MB, 21), patternBytes(MB / 2, 22)];
    let pendingUpload: string;
    {
      const store = await startStore({ dataDir });
      const cos = sdkClient(store);
      for (const key of keys) await cos.putObject({ ...at, Key: key, Body: `body of ${key}`, Headers: { 'x-cos-meta-k': 'v' } });
      const init = await cos.multipartInit({ ...at, Key: 'mp.bin' });
      const etags: string[] = [];
      for (const [i, part] of big.entries()) {
        etags.push((await cos.multipartUpload({ ...at, Key: 'mp.bin', UploadId: init.UploadId, PartNumber: i + 1, Body: part })).ETag);
      }
      await cos.multipartComplete({ ...at, Key: 'mp.bin', UploadId: init.UploadId, Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) });
      await cos.putObject({ ...at, Key: 'gone', Body: 'x' });
      await cos.deleteObject({ ...at, Key: 'gone' });
      pendingUpload = (await cos.multipartInit({ ...at, Key: 'pending' })).UploadId;
      await cos.multipartUpload({ ...at, Key: 'pending', UploadId: pendingUpload, PartNumber: 1, Body: 'part one' });
      await store.close();
    }
    for (const file of allFiles(dataDir)) {
      assert.ok(!file.includes('escape') && !file.includes('中文') && !file.includes('plain'), file);
      assert.ok(file.startsWith(dataDir));
    }
    const store = await startStore({ dataDir });
    try {
      const cos = sdkClient(store);
      for (const key of keys) {
        const got = await cos.getObject({ ...at, Key: key });
        assert.equal((got.Body as Buffer).toString(), `body of ${key}`);
        assert.equal(got.headers?.['x-cos-meta-k'], 'v');
      }
      const whole = Buffer.concat(big);
      const mp = await cos.getObject({ ...at, Key: 'mp.bin' });
      assert.equal(md5Hex(mp.Body as Buffer), md5Hex(whole));
      assert.equal(mp.headers?.['x-cos-hash-crc64ecma'], crc64Of(whole));
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'gone' }))).statusCode, 404);
      const listed = await cos.getBucket({ ...at });
      assert.deepEqual(listed.Contents.map((c) => c.Key), ['../escape.txt', 'a//b/', 'mp.bin', 'plain', '中文 key.txt']);
      const parts = await cos.multipartListPart({ ...at, Key: 'pending', UploadId: pendingUpload });
      assert.equal(parts.Part.length, 1);
      await cos.multipartAbort({ ...at, Key: 'pending', UploadId: pendingUpload });
    } finally {
      await store.close();
    }
  });

  it('leaves no object and no temp file when an upload is cut mid-body', async () => {
    const store = await startStore({ dataDir });
    try {
      const cos = sdkClient(store);
      store.faults.add({ op: 'PutObject', count: Infinity, action: { cutAfterBytes: 200_000 } });
      await sdkError(cos.putObject({ ...at, Key: 'cut.bin', Body: patternBytes(2 * MB, 5) }));
      store.faults.clear();
      assert.equal((await sdkError(cos.headObject({ ...at, Key: 'cut.bin' }))).statusCode, 404);
      // The temp file goes once the store notices the cut; give it a bounded number of chances.
      for (let i = 0; i < 50 && readdirSync(join(dataDir, 'tmp')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(readdirSync(join(dataDir, 'tmp')), []);
    } finally {
      await store.close();
    }
  });
});
