// Where the local store is as strict as COS: key names (doc 13324), copy preconditions and the 5 GB copy limit
// (10881, 8287), part lists without gaps (7742), the bucket's region, and HTTPS.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { PIECES_FOR_5_GIB, PIECE_BYTES, assembleFromPieces } from '../helpers/big-object';
import { storeCertificate, trustCertificate } from '../helpers/store-tls';
import { BUCKET, at, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

const MB = 1024 * 1024;
const GiB = 1024 ** 3;

describe('local COS strictness', () => {
  let store: LocalCos;
  let cos: COS;
  before(async () => {
    store = await startStore();
    cos = sdkClient(store);
  });
  after(async () => {
    await store.close();
  });

  it('refuses keys COS refuses: over 850 bytes, a leading backslash, control characters 0x18-0x1B (the SDK drops a leading slash itself)', async () => {
    await cos.putObject({ ...at, Key: 'k'.repeat(850), Body: 'ok' });
    assert.equal((await sdkError(cos.putObject({ ...at, Key: 'k'.repeat(851), Body: 'x' }))).code, 'KeyTooLong');
    assert.equal((await sdkError(cos.putObject({ ...at, Key: `${'é'.repeat(425)}x`, Body: 'x' }))).code, 'KeyTooLong');
    assert.equal((await sdkError(cos.putObject({ ...at, Key: '\\win', Body: 'x' }))).code, 'InvalidObjectName');
    for (const c of [0x18, 0x19, 0x1a, 0x1b]) {
      const err = await sdkError(cos.putObject({ ...at, Key: `a${String.fromCharCode(c)}b`, Body: 'x' }));
      assert.equal(err.code, 'InvalidObjectName', `0x${c.toString(16)}`);
    }
    await cos.putObject({ ...at, Key: 'a\x17b\x1cc', Body: 'neighbours are fine' });
    assert.equal((await sdkError(cos.multipartInit({ ...at, Key: 'm'.repeat(851) }))).code, 'KeyTooLong');
    const copy = await sdkError(
      cos.putObjectCopy({ ...at, Key: 'c'.repeat(851), CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/${'k'.repeat(850)}` }),
    );
    assert.equal(copy.code, 'KeyTooLong');
  });

  it('honours the copy-source conditions of PUT Object - Copy and Upload Part - Copy (412)', async () => {
    const put = await cos.putObject({ ...at, Key: 'src', Body: 'source bytes' });
    const source = `${BUCKET}.cos.ap-guangzhou.myqcloud.com/src`;
    const copy = (headers: Record<string, string>): Promise<unknown> =>
      cos.putObjectCopy({ ...at, Key: 'dst', CopySource: source, Headers: headers });
    const code = async (headers: Record<string, string>): Promise<number | undefined> => (await sdkError(copy(headers))).statusCode;
    assert.equal(await code({ 'x-cos-copy-source-If-Match': '"0123456789abcdef0123456789abcdef"' }), 412);
    await copy({ 'x-cos-copy-source-If-Match': put.ETag });
    await copy({ 'x-cos-copy-source-If-Match': put.ETag.replace(/"/g, '') });
    assert.equal(await code({ 'x-cos-copy-source-If-None-Match': put.ETag }), 412);
    await copy({ 'x-cos-copy-source-If-None-Match': '"0123456789abcdef0123456789abcdef"' });
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    assert.equal(await code({ 'x-cos-copy-source-If-Modified-Since': future }), 412);
    await copy({ 'x-cos-copy-source-If-Modified-Since': past });
    assert.equal(await code({ 'x-cos-copy-source-If-Unmodified-Since': past }), 412);
    await copy({ 'x-cos-copy-source-If-Unmodified-Since': future });

    const init = await cos.multipartInit({ ...at, Key: 'dst-mp' });
    const partCopy = (ifMatch: string): Promise<unknown> =>
      cos.uploadPartCopy({ ...at, Key: 'dst-mp', UploadId: init.UploadId, PartNumber: 1, CopySource: source, Headers: { 'x-cos-copy-source-If-Match': ifMatch } });
    assert.equal((await sdkError(partCopy('"0123456789abcdef0123456789abcdef"'))).statusCode, 412);
    await partCopy(put.ETag);
    await cos.multipartAbort({ ...at, Key: 'dst-mp', UploadId: init.UploadId });
  });

  it('refuses a Complete whose part list has a gap (InvalidPart)', async () => {
    const init = await cos.multipartInit({ ...at, Key: 'gaps' });
    const etags: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const r = await cos.multipartUpload({ ...at, Key: 'gaps', UploadId: init.UploadId, PartNumber: n, Body: patternBytes(MB, n) });
      etags.push(r.ETag);
    }
    const gap = await sdkError(
      cos.multipartComplete({ ...at, Key: 'gaps', UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: etags[0] }, { PartNumber: 3, ETag: etags[2] }] }),
    );
    assert.equal(gap.code, 'InvalidPart');
    await cos.multipartComplete({ ...at, Key: 'gaps', UploadId: init.UploadId, Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) });
  });

  it('serves the bucket only in its region: another region answers NoSuchBucket', async () => {
    const err = await sdkError(cos.headObject({ Bucket: BUCKET, Region: 'ap-beijing', Key: 'src' }));
    assert.equal(err.statusCode, 404);
    const listed = await sdkError(cos.getBucket({ Bucket: BUCKET, Region: 'ap-beijing' }));
    assert.equal(listed.code, 'NoSuchBucket');
  });
});

describe('local COS on disk: the 5 GB limit of PUT Object - Copy at the real boundary', () => {
  it('copies exactly 5 GiB in one request and refuses 5 GiB + 1 (InvalidRequest); Upload Part - Copy goes beyond', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cos-local-5g-'));
    const store = await startStore({ dataDir });
    try {
      const cos = sdkClient(store);
      // Pieces share their bytes (hard links): the 5 GiB objects cost the 64 MiB piece on disk.
      await cos.putObject({ ...at, Key: 'piece', Body: Buffer.alloc(PIECE_BYTES, 7) });
      await cos.putObject({ ...at, Key: 'one', Body: 'z' });
      await assembleFromPieces(cos, at, 'exactly-5g', 'piece', PIECES_FOR_5_GIB);
      await assembleFromPieces(cos, at, 'over-5g', 'piece', PIECES_FOR_5_GIB, 'one');
      const head = await cos.headObject({ ...at, Key: 'over-5g' });
      assert.equal(Number(head.headers?.['content-length']), 5 * GiB + 1);
      await cos.putObjectCopy({ ...at, Key: 'exactly-5g-copy', CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/exactly-5g` });
      const refused = await sdkError(
        cos.putObjectCopy({ ...at, Key: 'over-5g-copy', CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/over-5g` }),
      );
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.code, 'InvalidRequest');
      // The tail of the big one by Upload Part - Copy with a range.
      const init = await cos.multipartInit({ ...at, Key: 'tail' });
      const r = await cos.uploadPartCopy({
        ...at, Key: 'tail', UploadId: init.UploadId, PartNumber: 1,
        CopySource: `${BUCKET}.cos.ap-guangzhou.myqcloud.com/over-5g`, CopySourceRange: `bytes=${5 * GiB - 2}-${5 * GiB}`,
      });
      await cos.multipartComplete({ ...at, Key: 'tail', UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: r.ETag }] });
      assert.deepEqual((await cos.getObject({ ...at, Key: 'tail' })).Body, Buffer.from([7, 7, 0x7a]));
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('local COS over HTTPS', () => {
  it('serves the SDK over TLS with a certificate for the bucket host names; an untrusted client is refused', async () => {
    const certificate = storeCertificate();
    const store = await startStore({ tls: certificate });
    try {
      assert.match(store.url, /^https:\/\//);
      const cos = sdkClient(store, undefined, undefined, { Protocol: 'https:' });
      trustCertificate(cos, certificate.cert);
      const body = patternBytes(3 * MB, 5);
      await cos.putObject({ ...at, Key: 'tls.bin', Body: Readable.from([body]), ContentLength: body.length });
      const got = await cos.getObject({ ...at, Key: 'tls.bin' });
      assert.equal(md5Hex(got.Body as Buffer), md5Hex(body));
      const untrusting = sdkClient(store, undefined, undefined, { Protocol: 'https:' });
      const err = await sdkError(untrusting.headObject({ ...at, Key: 'tls.bin' }));
      assert.match(String(err.code ?? err.message), /SELF_SIGNED|CERT|certificate/i);
    } finally {
      await store.close();
    }
  });
});
