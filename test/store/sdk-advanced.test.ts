// The SDK's high-level helpers, which chain many calls: sliceUploadFile (multipart, with its resume lookup),
// downloadFile (parallel ranged GETs), sliceCopyFile (Upload Part - Copy).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, crc64Of, patternBytes, sdkClient, startStore } from './helpers';

const MB = 1024 * 1024;

describe('SDK high-level helpers against the local store', () => {
  let store: LocalCos;
  let cos: COS;
  let work: string;
  const content = Buffer.concat([patternBytes(5 * MB, 51), patternBytes(3 * MB + 5, 52)]);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  before(async () => {
    store = await startStore();
    cos = sdkClient(store, undefined, undefined, { CopySliceSize: 2 * MB, CopyChunkSize: 2 * MB });
    work = mkdtempSync(join(tmpdir(), 'cos-local-sdk-'));
    writeFileSync(join(work, 'in.bin'), content);
  });
  after(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sliceUploadFile uploads in parts; the CRC-64 matches', async () => {
    const res = await cos.sliceUploadFile({ ...at, Key: 'adv/up.bin', FilePath: join(work, 'in.bin'), ChunkSize: 2 * MB });
    assert.equal(res.statusCode, 200);
    const head = await cos.headObject({ ...at, Key: 'adv/up.bin' });
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], crc64Of(content));
    assert.match(String(head.ETag), /-5"$/);
  });

  it('downloadFile fetches in parallel ranges', async () => {
    await cos.downloadFile({ ...at, Key: 'adv/up.bin', FilePath: join(work, 'out.bin'), ChunkSize: MB, ParallelLimit: 3 });
    assert.equal(sha(readFileSync(join(work, 'out.bin'))), sha(content));
  });

  it('sliceCopyFile copies in parts', async () => {
    await cos.sliceCopyFile({ ...at, Key: 'adv/copy.bin', CopySource: `${at.Bucket}.cos.${at.Region}.myqcloud.com/adv/up.bin` });
    const got = await cos.getObject({ ...at, Key: 'adv/copy.bin' });
    assert.equal(sha(got.Body as Buffer), sha(content));
    assert.equal(got.headers?.['x-cos-hash-crc64ecma'], crc64Of(content));
    const uploads = await cos.multipartList({ ...at, Prefix: 'adv/', Delimiter: '' });
    assert.equal(uploads.Upload?.length ?? 0, 0, 'nothing left unfinished');
  });
});
