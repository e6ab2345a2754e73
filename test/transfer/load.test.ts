// Transfers under a slow store: one upload throttled by COS does not hold up 20 other sessions, and neither the
// slow transfers nor their backpressure trip the control connection's idle timeout (which still closes idle sessions).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { RawSession, writeBytes } from './ftp-front';
import { MIB, fastRetries, objectHash, objectSize, openUploads, putBytes, seededBytes, seededHash, seededStream, waitFor } from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

function hashSink(): { sink: Writable; digest: () => string } {
  const h = createHash('sha256');
  return {
    sink: new Writable({
      write(c: Buffer, _e, cb) {
        h.update(c);
        cb();
      },
    }),
    digest: () => h.digest('hex'),
  };
}

describe('20 sessions while one upload is throttled by the store', () => {
  let stack: Stack;
  before(async () => {
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 } });
  });
  after(async () => {
    await stack?.close();
  });

  test('all 20 finish byte-identical while the throttled upload is still crawling; it leaves nothing when dropped', async () => {
    // 16 KiB/s: each 1 MiB part of the slow upload takes about a minute, far longer than everything else here.
    stack.store.faults.add({ op: 'UploadPart', key: 'slow/stalled.bin', count: Infinity, action: { throttleBytesPerSec: 16 * 1024 } });
    const slow = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    const slowData = await slow.startTransfer('STOR slow/stalled.bin');
    const slowWriting = writeBytes(slowData, 6 * PART).catch(() => undefined);
    // Its parts now hold upload slots (at most half of upload_thread_num) and its data socket is paused.
    await waitFor(() => (stack.store.requestCounts().UploadPart ?? 0) >= 2);

    const sizes = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? 1000 + i : 2 * PART + i * 997));
    await Promise.all(
      sizes.map(async (size, i) => {
        const client = await stack.ftp();
        try {
          const name = `load/file-${i}.bin`;
          await client.uploadFrom(seededStream(`load${i}`, size), name);
          const { sink, digest } = hashSink();
          await client.downloadTo(sink, name);
          assert.equal(digest(), await seededHash(`load${i}`, size), name);
        } finally {
          client.close();
        }
      }),
    );
    assert.equal(await objectSize(stack.cos(), bucket, 'slow/stalled.bin'), undefined, 'the slow upload is still running');

    slowData.destroy();
    slow.close();
    await slowWriting;
    stack.store.faults.clear();
    await waitFor(() => stack.gateway.context.stats.transfers === 0, 120_000);
    assert.equal(await objectSize(stack.cos(), bucket, 'slow/stalled.bin'), undefined);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });
});

describe('idle timeout versus long transfers', () => {
  let stack: Stack;
  before(async () => {
    fastRetries();
    stack = await startStack({
      idleTimeoutMs: 1000,
      transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 },
    });
  });
  after(async () => {
    await stack?.close();
  });

  test('uploads and downloads slower than the idle timeout complete; the idle session is then closed', async () => {
    // About 3 s each way at 1 MiB/s, against a 1 s idle timeout.
    stack.store.faults.add({ op: 'UploadPart', count: Infinity, action: { throttleBytesPerSec: MIB } });
    stack.store.faults.add({ op: 'GetObject', count: Infinity, action: { throttleBytesPerSec: MIB } });
    const client = await stack.ftp();
    try {
      const up = await client.uploadFrom(seededStream('idle', 3 * PART + 1), 'idle.bin');
      assert.equal(up.code, 226);
      const { sink, digest } = hashSink();
      const down = await client.downloadTo(sink, 'idle.bin');
      assert.equal(down.code, 226);
      assert.equal(digest(), await seededHash('idle', 3 * PART + 1));
    } finally {
      stack.store.faults.clear();
      client.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'idle.bin'), await seededHash('idle', 3 * PART + 1));

    const s = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    try {
      await putBytes(stack.cos(), bucket, 'idle-small.bin', await seededBytes('x', 10));
      assert.equal((await s.send('NOOP')).code, 200);
      // Nothing more is sent: the server must close the session by itself.
      const closing = await s.read(15_000);
      assert.equal(closing.code, 421);
      assert.ok(await s.control.waitClosed(5_000));
    } finally {
      s.close();
    }
  });
});

describe('shutdown while transferring', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 } });
  });
  after(async () => {
    await stack?.close();
  });

  test('a running upload finishes (226, complete object) within the grace period; new transfers are refused', async () => {
    const s = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    const other = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    try {
      const data = await s.startTransfer('STOR drain.bin');
      await writeBytes(data, 2 * PART);
      const closing = stack.gateway.close(30_000);
      // A transfer asked for after shutdown began is refused.
      const d2 = await other.openData().catch(() => undefined);
      const refused = await other.send('STOR drain-late.bin');
      assert.ok([421, 425].includes(refused.code), refused.text);
      d2?.destroy();
      await writeBytes(data, PART + 3);
      data.end();
      assert.equal((await s.read()).code, 226);
      await closing;
      assert.equal(await objectSize(stack.cos(), bucket, 'drain.bin'), 3 * PART + 3);
      assert.equal(await objectSize(stack.cos(), bucket, 'drain-late.bin'), undefined);
      assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    } finally {
      s.close();
      other.close();
    }
  });
});
