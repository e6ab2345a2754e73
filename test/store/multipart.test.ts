// Multipart upload through the real SDK: parts, CRC-64 of the whole object, validation rules, copy, listing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type COS from 'cos-nodejs-sdk-v5';
import type { LocalCos } from '../../src/store/localcos';
import { at, crc64Of, md5Hex, patternBytes, sdkClient, sdkError, startStore } from './helpers';

const MB = 1024 * 1024;

describe('local COS multipart via the SDK', () => {
  let store: LocalCos;
  let cos: COS;
  before(async () => {
    store = await startStore();
    cos = sdkClient(store);
  });
  after(async () => {
    await store.close();
  });

  async function upload(key: string, parts: Buffer[]): Promise<{ uploadId: string; etags: string[] }> {
    const init = await cos.multipartInit({ ...at, Key: key });
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const res = await cos.multipartUpload({ ...at, Key: key, UploadId: init.UploadId, PartNumber: i + 1, Body: body });
      assert.equal(res.ETag, `"${md5Hex(body)}"`);
      assert.equal(res.headers?.['x-cos-hash-crc64ecma'], crc64Of(body));
      etags.push(res.ETag);
    }
    return { uploadId: init.UploadId, etags };
  }

  it('assembles parts of different sizes; the whole-object CRC-64 matches a local one', async () => {
    const parts = [patternBytes(MB + 17, 1), patternBytes(2 * MB, 2), patternBytes(12345, 3)];
    const { uploadId, etags } = await upload('mp/big é.bin', parts);
    const listed = await cos.multipartListPart({ ...at, Key: 'mp/big é.bin', UploadId: uploadId });
    assert.deepEqual(listed.Part.map((p) => Number(p.Size)), parts.map((p) => p.length));
    const uploads = await cos.multipartList({ ...at, Prefix: 'mp/', Delimiter: '' });
    assert.deepEqual(uploads.Upload?.map((u) => u.UploadId), [uploadId]);

    const done = await cos.multipartComplete({
      ...at,
      Key: 'mp/big é.bin',
      UploadId: uploadId,
      Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })),
    });
    assert.equal(done.statusCode, 200);
    assert.match(String(done.ETag), /^"[0-9a-f]{32}-3"$/);
    const whole = Buffer.concat(parts);
    assert.equal(done.headers?.['x-cos-hash-crc64ecma'], crc64Of(whole));
    const got = await cos.getObject({ ...at, Key: 'mp/big é.bin' });
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(whole));
    assert.equal(got.headers?.['x-cos-hash-crc64ecma'], crc64Of(whole));
    const range = await cos.getObject({ ...at, Key: 'mp/big é.bin', Range: `bytes=${MB}-${MB + 99}` });
    assert.deepEqual(range.Body, whole.subarray(MB, MB + 100));
    const after = await cos.multipartList({ ...at, Prefix: 'mp/', Delimiter: '' });
    assert.equal(after.Upload?.length ?? 0, 0);
  });

  it('rejects a small middle part, a wrong order and an unknown part', async () => {
    const { uploadId, etags } = await upload('mp/bad', [patternBytes(1000, 4), patternBytes(1000, 5)]);
    const small = await sdkError(
      cos.multipartComplete({ ...at, Key: 'mp/bad', UploadId: uploadId, Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) }),
    );
    assert.equal(small.code, 'EntityTooSmall');
    const order = await sdkError(
      cos.multipartComplete({
        ...at,
        Key: 'mp/bad',
        UploadId: uploadId,
        Parts: [
          { PartNumber: 2, ETag: etags[1] },
          { PartNumber: 1, ETag: etags[0] },
        ],
      }),
    );
    assert.equal(order.code, 'InvalidPartOrder');
    const unknown = await sdkError(
      cos.multipartComplete({ ...at, Key: 'mp/bad', UploadId: uploadId, Parts: [{ PartNumber: 3, ETag: etags[0] }] }),
    );
    assert.equal(unknown.code, 'InvalidPart');
    const wrongEtag = await sdkError(
      cos.multipartComplete({ ...at, Key: 'mp/bad', UploadId: uploadId, Parts: [{ PartNumber: 1, ETag: etags[1] }] }),
    );
    assert.equal(wrongEtag.code, 'InvalidPart');
    // A single small part is fine: it is the last one.
    const single = await cos.multipartComplete({ ...at, Key: 'mp/bad', UploadId: uploadId, Parts: [{ PartNumber: 2, ETag: etags[1] }] });
    assert.equal(single.statusCode, 200);
    const got = await cos.getObject({ ...at, Key: 'mp/bad' });
    assert.deepEqual(got.Body, patternBytes(1000, 5));
  });

  it('aborts an upload and then answers NoSuchUpload', async () => {
    const { uploadId } = await upload('mp/aborted', [patternBytes(10, 6)]);
    const aborted = await cos.multipartAbort({ ...at, Key: 'mp/aborted', UploadId: uploadId });
    assert.equal(aborted.statusCode, 204);
    const again = await sdkError(cos.multipartAbort({ ...at, Key: 'mp/aborted', UploadId: uploadId }));
    assert.equal(again.code, 'NoSuchUpload');
    const part = await sdkError(cos.multipartUpload({ ...at, Key: 'mp/aborted', UploadId: uploadId, PartNumber: 1, Body: 'x' }));
    assert.equal(part.code, 'NoSuchUpload');
  });

  it('builds an object from ranges of another with Upload Part - Copy', async () => {
    const source = patternBytes(3 * MB, 8);
    await cos.putObject({ ...at, Key: 'mp/source', Body: source });
    const init = await cos.multipartInit({ ...at, Key: 'mp/copied' });
    const copySource = `${at.Bucket}.cos.${at.Region}.myqcloud.com/mp/source`;
    const p1 = await cos.uploadPartCopy({
      ...at,
      Key: 'mp/copied',
      UploadId: init.UploadId,
      PartNumber: 1,
      CopySource: copySource,
      CopySourceRange: `bytes=0-${2 * MB - 1}`,
    });
    const p2 = await cos.uploadPartCopy({
      ...at,
      Key: 'mp/copied',
      UploadId: init.UploadId,
      PartNumber: 2,
      CopySource: copySource,
      CopySourceRange: `bytes=${2 * MB}-${3 * MB - 1}`,
    });
    assert.equal(p1.ETag, `"${md5Hex(source.subarray(0, 2 * MB))}"`);
    const done = await cos.multipartComplete({
      ...at,
      Key: 'mp/copied',
      UploadId: init.UploadId,
      Parts: [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 2, ETag: p2.ETag },
      ],
    });
    assert.equal(done.headers?.['x-cos-hash-crc64ecma'], crc64Of(source));
    const got = await cos.getObject({ ...at, Key: 'mp/copied' });
    assert.equal(md5Hex(got.Body as Buffer), md5Hex(source));
  });
});
