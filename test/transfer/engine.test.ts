// The upload engine and the download stream driven directly (no FTP), against the real local store over HTTP with
// the real SDK: sizes around the part boundary, retries, permanent failures, oversize, cancellation, append, ranges.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Stack, startStack } from '../helpers/stack';
import { openDownload, openUpload } from '../../src/transfer/index';
import { ReplyError } from '../../src/transfer/errors';
import { PartSizer } from '../../src/transfer/part-size';
import type { CosUploadStream } from '../../src/transfer/upload-stream';
import {
  MIB,
  fastRetries,
  objectHash,
  objectSize,
  openUploads,
  putBytes,
  seededBytes,
  seededHash,
  seededStream,
  sha256Of,
  sha256OfBuffer,
  targetFor,
} from './helpers';

const PART = MIB;
const MAX = 8 * MIB;

describe('part sizing', () => {
  test('10,000 parts always hold single_file_max_size', () => {
    for (const [min, max] of [
      [MIB, 200 * 1024 ** 3],
      [2 * MIB, 200 * 1024 ** 3],
      [MIB, 10 * 1024 ** 4 / 2],
      [5 * MIB, 5 * MIB],
    ]) {
      const sizer = new PartSizer(min, max);
      assert.ok(sizer.capacity() >= max, `capacity for ${min}/${max}`);
      assert.equal(sizer.sizeOf(1), Math.max(min, MIB));
      for (let n = 2; n <= 10_000; n += 997) assert.ok(sizer.sizeOf(n) >= sizer.sizeOf(n - 1));
    }
    // With the default min_part_size (raised to max / 10,000) the size never changes.
    const flat = new PartSizer(Math.ceil((200 * 1024 ** 3) / 10_000), 200 * 1024 ** 3);
    assert.equal(flat.sizeOf(10_000), flat.sizeOf(1));
  });
});

describe('upload engine and download stream', () => {
  let stack: Stack;
  const bucket = 'bucket1-1250000000';

  before(async () => {
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: MAX, uploadThreadNum: 4 } });
  });
  after(async () => {
    await stack?.close();
  });

  async function upload(key: string, seed: string, size: number, opts: { append?: boolean; start?: number } = {}) {
    const stream = openUpload(targetFor(stack, key), opts) as CosUploadStream;
    await stream.prepare();
    await pipeline(seededStream(seed, size, 100_000), stream);
  }

  async function download(key: string, start = 0): Promise<string> {
    return sha256Of(await openDownload(targetFor(stack, key), { start }));
  }

  for (const size of [0, 1, PART - 1, PART, PART + 1, 3 * PART + 12345]) {
    test(`${size} bytes round-trip byte-identical, nothing left open`, async () => {
      const key = `engine/size-${size}.bin`;
      stack.store.resetRequestCounts();
      await upload(key, `s${size}`, size);
      const counts = stack.store.requestCounts();
      if (size <= PART) {
        assert.equal(counts.PutObject, 1);
        assert.equal(counts.InitiateMultipartUpload ?? 0, 0);
      } else {
        assert.equal(counts.InitiateMultipartUpload, 1);
        assert.equal(counts.UploadPart, Math.ceil(size / PART));
        assert.equal(counts.CompleteMultipartUpload, 1);
      }
      const expected = await seededHash(`s${size}`, size);
      assert.equal(await objectHash(stack.cos(), bucket, key), expected);
      assert.equal(await download(key), expected);
      assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    });
  }

  test('a burst of 503 SlowDown on UploadPart is retried invisibly', async () => {
    const key = 'engine/burst.bin';
    stack.store.faults.add({ op: 'UploadPart', count: 3, action: { status: 503, code: 'SlowDown' } });
    stack.store.faults.add({ op: 'UploadPart', count: 2, action: { status: 500, code: 'InternalError' } });
    await upload(key, 'burst', 4 * PART + 7);
    stack.store.faults.clear();
    assert.equal(await objectHash(stack.cos(), bucket, key), await seededHash('burst', 4 * PART + 7));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('a 503 on the single PutObject is retried too', async () => {
    const key = 'engine/burst-small.bin';
    stack.store.faults.add({ op: 'PutObject', key, count: 2, action: { status: 503, code: 'ServiceUnavailable' } });
    await upload(key, 'small', 1000);
    stack.store.faults.clear();
    assert.equal(await objectHash(stack.cos(), bucket, key), await seededHash('small', 1000));
  });

  test('a permanent UploadPart failure fails with 451, aborts, and leaves the old object as it was', async () => {
    const key = 'engine/permanent.bin';
    const old = await seededBytes('old', 1234);
    await putBytes(stack.cos(), bucket, key, old);
    stack.store.faults.add({ op: 'UploadPart', count: Infinity, action: { status: 500, code: 'InternalError' } });
    await assert.rejects(upload(key, 'new', 3 * PART), (err: unknown) => {
      assert.ok(err instanceof ReplyError);
      assert.equal(err.code, 451);
      return true;
    });
    stack.store.faults.clear();
    assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(old));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('a permanent PutObject failure leaves the old object as it was', async () => {
    const key = 'engine/permanent-small.bin';
    const old = await seededBytes('old-small', 99);
    await putBytes(stack.cos(), bucket, key, old);
    stack.store.faults.add({ op: 'PutObject', key, count: Infinity, action: { status: 503, code: 'SlowDown' } });
    await assert.rejects(upload(key, 'new', 5000), (err: unknown) => err instanceof ReplyError && err.code === 451);
    stack.store.faults.clear();
    assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(old));
  });

  for (const op of ['InitiateMultipartUpload', 'CompleteMultipartUpload'] as const) {
    test(`a permanent ${op} failure: 451, no object change, nothing left open (Abort itself retried)`, async () => {
      const key = `engine/fail-${op}.bin`;
      const old = await seededBytes(`old-${op}`, 2000);
      await putBytes(stack.cos(), bucket, key, old);
      stack.store.faults.add({ op, count: Infinity, action: { status: 503, code: 'ServiceUnavailable' } });
      stack.store.faults.add({ op: 'AbortMultipartUpload', count: 2, action: { status: 500, code: 'InternalError' } });
      await assert.rejects(upload(key, 'x', 3 * PART), (err: unknown) => err instanceof ReplyError && err.code === 451);
      stack.store.faults.clear();
      assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(old));
      assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    });
  }

  test('a file over single_file_max_size fails with 552 and leaves nothing', async () => {
    const key = 'engine/oversize.bin';
    await assert.rejects(upload(key, 'big', MAX + 1), (err: unknown) => err instanceof ReplyError && err.code === 552);
    assert.equal(await objectSize(stack.cos(), bucket, key), undefined);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('exactly single_file_max_size is accepted', async () => {
    const key = 'engine/max.bin';
    await upload(key, 'max', MAX);
    assert.equal(await objectSize(stack.cos(), bucket, key), MAX);
  });

  test('destroying the stream mid-upload aborts the multipart upload; the old object stays', async () => {
    const key = 'engine/cancel.bin';
    const old = await seededBytes('old-cancel', 3000);
    await putBytes(stack.cos(), bucket, key, old);
    const stream = openUpload(targetFor(stack, key), {});
    const source = seededStream('cancel', 5 * PART);
    let sent = 0;
    await new Promise<void>((resolve) => {
      source.on('data', (c: Buffer) => {
        sent += c.length;
        if (!stream.write(c)) source.pause();
        if (sent >= 3 * PART) {
          source.destroy();
          stream.destroy(new Error('client went away'));
          stream.once('close', () => resolve());
        }
      });
      stream.on('drain', () => source.resume());
      stream.on('error', () => undefined);
    });
    assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(old));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('append to a small object (re-sent) and to a large one (Upload Part - Copy)', async () => {
    for (const [oldSize, newSize] of [
      [500, 700],
      [500, 2 * PART],
      [PART + 5, 10],
      [2 * PART + 3, PART + 1],
      [PART, 0],
    ]) {
      const key = `engine/append-${oldSize}-${newSize}.bin`;
      const old = await seededBytes(`a${oldSize}`, oldSize);
      const add = await seededBytes(`b${newSize}`, newSize);
      await putBytes(stack.cos(), bucket, key, old);
      stack.store.resetRequestCounts();
      await upload(key, `b${newSize}`, newSize, { append: true });
      assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(Buffer.concat([old, add])), key);
      if (oldSize >= PART) assert.ok((stack.store.requestCounts().UploadPartCopy ?? 0) >= 1, key);
    }
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('append to a missing object creates it; REST at the size resumes; another offset is refused with 554', async () => {
    const key = 'engine/resume.bin';
    await upload(key, 'r1', 700, { append: true });
    assert.equal(await objectSize(stack.cos(), bucket, key), 700);
    await upload(key, 'r2', 300, { start: 700 });
    const expected = Buffer.concat([await seededBytes('r1', 700), await seededBytes('r2', 300)]);
    assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(expected));
    const stream = openUpload(targetFor(stack, key), { start: 5 }) as CosUploadStream;
    await assert.rejects(stream.prepare(), (err: unknown) => err instanceof ReplyError && err.code === 554);
    stream.destroy();
    assert.equal(await objectHash(stack.cos(), bucket, key), sha256OfBuffer(expected));
  });

  test('downloads: ranged from an offset, at the end (empty), missing file (550), beyond the end (554)', async () => {
    const key = 'engine/range.bin';
    const data = await seededBytes('range', 2 * PART + 77);
    await putBytes(stack.cos(), bucket, key, data);
    assert.equal(await download(key, 1000), sha256OfBuffer(data.subarray(1000)));
    assert.equal(await download(key, data.length), sha256OfBuffer(Buffer.alloc(0)));
    await assert.rejects(download('engine/none.bin'), (err: unknown) => err instanceof ReplyError && err.code === 550);
    await assert.rejects(download(key, data.length + 1), (err: unknown) => err instanceof ReplyError && err.code === 554);
  });

  test('a download that COS cuts short resumes from where it broke off (same ETag), byte-identical', async () => {
    const key = 'engine/cut.bin';
    const data = await seededBytes('cut', 3 * PART);
    await putBytes(stack.cos(), bucket, key, data);
    stack.store.faults.add({ op: 'GetObject', key, count: 2, action: { cutAfterBytes: 100_000 } });
    stack.store.resetRequestCounts();
    assert.equal(await download(key), sha256OfBuffer(data));
    assert.equal(stack.store.requestCounts().GetObject, 3);
    stack.store.faults.clear();
  });

  test('a download that COS keeps cutting off without progress fails instead of ending short', async () => {
    const key = 'engine/cut-always.bin';
    await putBytes(stack.cos(), bucket, key, await seededBytes('cut2', PART));
    stack.store.faults.add({ op: 'GetObject', key, count: Infinity, action: { cutAfterBytes: 0 } });
    const stream = await openDownload(targetFor(stack, key), {});
    let received = 0;
    await assert.rejects(
      pipeline(
        stream,
        new Writable({
          write(c: Buffer, _e, cb) {
            received += c.length;
            cb();
          },
        }),
      ),
      (err: unknown) => err instanceof ReplyError && err.code === 451,
    );
    assert.ok(received < PART);
    stack.store.faults.clear();
  });
});
