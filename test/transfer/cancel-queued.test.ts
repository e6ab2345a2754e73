// Uploads cancelled while their COS request has not started yet. The SDK used to queue PutObject internally (three
// per client); a body destroyed while queued had no 'error' listener and the whole process exited. Here: many
// uploads cancelled at once by closing their control connections, and an ABOR of an upload queued behind slow ones.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { RawSession, writeBytes } from './ftp-front';
import { MIB, fastRetries, objectSize, openUploads, waitFor } from './helpers';

const bucket = 'bucket1-1250000000';

describe('uploads cancelled before their COS request starts', () => {
  let stack: Stack;
  // The test runner would report an uncaught exception without ending; in production it ends the process.
  const uncaught: unknown[] = [];
  const record = (err: unknown): void => void uncaught.push(err);
  before(async () => {
    process.on('uncaughtException', record);
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: 8 * MIB, singleFileMaxSize: 64 * MIB, uploadThreadNum: 8 } });
  });
  after(async () => {
    process.off('uncaughtException', record);
    await stack?.close();
  });

  /** The server still serves: a fresh login, an upload and its size. */
  async function stillServes(key: string): Promise<void> {
    const s = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    try {
      const data = await s.startTransfer(`STOR ${key}`);
      data.end(Buffer.alloc(1000, 1));
      assert.equal((await s.read(30_000)).code, 226);
    } finally {
      s.close();
    }
    assert.equal(await objectSize(stack.cos(), bucket, key), 1000);
    assert.deepEqual(uncaught.map(String), [], 'no exception escaped');
  }

  test('40 parallel ~5 MB uploads whose control connections close: the server survives, nothing half-written', async () => {
    const size = 5 * MIB + 123;
    const keys = Array.from({ length: 40 }, (_, i) => `closed/file-${i}.bin`);
    // A store a little slower than loopback (a real COS is): PutObjects take a while, so many wait their turn.
    stack.store.faults.add({ op: 'PutObject', key: /^closed\/file/, count: Infinity, action: { throttleBytesPerSec: 32 * MIB } });
    const sessions = await Promise.all(keys.map(() => RawSession.open(stack.ftpPort, 'user1', 'pass1')));
    const sending = sessions.map(async (s, i) => {
      const data = await s.startTransfer(`STOR ${keys[i]}`);
      await writeBytes(data, size);
      data.end();
    });
    // Some PutObjects are running and more wait their turn (the SDK's queue held up to five more) when every client
    // goes away at once.
    await waitFor(() => (stack.store.requestCounts().PutObject ?? 0) >= 3, 30_000);
    for (const s of sessions) s.close();
    await Promise.allSettled(sending);
    await waitFor(() => stack.gateway.context.stats.transfers === 0, 60_000);
    stack.store.faults.clear();
    for (const key of keys) {
      const stored = await objectSize(stack.cos(), bucket, key);
      assert.ok(stored === undefined || stored === size, `${key}: ${stored}`);
    }
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    await stillServes('closed/after.bin');
  });

  test('ABOR of an upload queued behind slow ones against a slowed store: 426, no object, the server goes on', async () => {
    // Each of these PutObjects crawls at 256 KiB/s; eight of them hold every upload slot (upload_thread_num), so that
    // the victim's PutObject waits for one (as it once waited in the SDK's queue, three per client). A PutObject
    // already sent whole is not cancelled (abort-races.test.ts): the victim must not have started.
    stack.store.faults.add({ op: 'PutObject', key: /^slow\//, count: Infinity, action: { throttleBytesPerSec: 256 * 1024 } });
    const slow = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const s = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
        const data = await s.startTransfer(`STOR slow/file-${i}.bin`);
        await writeBytes(data, 2 * MIB);
        data.end();
        return s;
      }),
    );
    await waitFor(() => (stack.store.requestCounts().PutObject ?? 0) >= 8);
    const victim = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    try {
      const data = await victim.startTransfer('STOR slow/victim.bin');
      await writeBytes(data, 2 * MIB);
      data.end();
      await new Promise((resolve) => setTimeout(resolve, 100));
      victim.control.socket.write('ABOR\r\n');
      assert.equal((await victim.read(30_000)).code, 426);
      assert.equal((await victim.read(30_000)).code, 226);
      assert.equal((await victim.send('NOOP')).code, 200);
    } finally {
      victim.close();
    }
    for (const s of slow) s.close();
    stack.store.faults.clear();
    await waitFor(() => stack.gateway.context.stats.transfers === 0, 60_000);
    assert.equal(await objectSize(stack.cos(), bucket, 'slow/victim.bin'), undefined);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
    await stillServes('slow/after.bin');
  });
});
