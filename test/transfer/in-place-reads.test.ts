// Binary uploads read the client's bytes straight into their part buffers (src/ftp/pooled-reads.ts readInto,
// CosUploadStream.readTarget) instead of copying them out of pooled read buffers: the objects are byte-identical,
// almost no pooled buffer is used, and a part buffer that a data socket may still read into is never handed to
// another upload.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { openUpload } from '../../src/transfer/index';
import type { CosUploadStream } from '../../src/transfer/upload-stream';
import { dataReadBuffers } from '../../src/util/buffer-pool';
import { type FtpFront, stackFront } from './ftp-front';
import { MIB, fastRetries, objectHash, openUploads, seededBytes, seededHash, seededStream, sha256OfBuffer, targetFor } from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

describe('uploads read in place', () => {
  let stack: Stack;
  let front: FtpFront;

  before(async () => {
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 } });
    front = stackFront(stack);
  });
  after(async () => {
    await stack?.close();
  });

  test('binary uploads land in their part buffers: byte-identical, and few pooled reads', async () => {
    const client = await front.ftp();
    try {
      const size = 24 * MIB + 12_345;
      const before = dataReadBuffers.stats().taken;
      await client.uploadFrom(seededStream('in-place', size), 'in-place.bin');
      const pooled = dataReadBuffers.stats().taken - before;
      assert.equal(await objectHash(stack.cos(), bucket, 'in-place.bin'), await seededHash('in-place', size));
      // Copied through 128 KiB pooled buffers that would be at least 192 reads; in place, about one per part (the
      // read that starts the next part) and a few at the start.
      assert.ok(pooled <= 2 * Math.ceil(size / PART) + 8, `${pooled} pooled reads for ${size} bytes`);
      // Text mode transforms the bytes, so they are copied: still right.
      await client.send('TYPE A');
      const text = Buffer.from('one\r\ntwo\r\n'.repeat(300_000));
      await client.uploadFrom(Readable.from([text]), 'in-place.txt');
      const lf = Buffer.from('one\ntwo\n'.repeat(300_000));
      assert.equal(await objectHash(stack.cos(), bucket, 'in-place.txt'), sha256OfBuffer(lf));
    } finally {
      client.close();
    }
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('a part buffer lent to a read is not reused when the upload ends before the reads do', async () => {
    const budget = stack.gateway.context.uploadBuffers;
    const lendAndDestroy = async (readsEnd: boolean): Promise<{ lent: ArrayBufferLike; next: ArrayBufferLike | undefined }> => {
      const stream = openUpload(targetFor(stack, 'lent.bin'), {}) as CosUploadStream;
      await stream.prepare();
      const first = await seededBytes('lent', 4096);
      await new Promise<void>((resolve, reject) => stream.write(first, (err) => (err ? reject(err) : resolve())));
      const target = stream.readTarget(first.length, 1024);
      assert.ok(target, 'the free end of the current part is offered once every written byte is kept');
      assert.equal(stream.readTarget(first.length + 1, 1024), undefined, 'not while a written byte is not in its part');
      const again = stream.readTarget(first.length, 1024) as Buffer;
      if (readsEnd) stream.readsEnded();
      stream.destroy();
      await new Promise((resolve) => stream.once('close', resolve));
      const reservation = budget.reserve(PART);
      await reservation.granted;
      const next = reservation.buffer?.buffer;
      reservation.release();
      return { lent: again.buffer, next };
    };
    const stillReading = await lendAndDestroy(false);
    assert.notEqual(stillReading.next, stillReading.lent, 'a read may still land in it: dropped, not handed on');
    const done = await lendAndDestroy(true);
    assert.equal(done.next, done.lent, 'once no read can land in it, it is reused');
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });
});
