// The server-wide upload buffer budget (upload_buffer_size): many concurrent uploads against a budget of a few
// parts all arrive byte-identical while the bytes reserved for parts never exceed it; uploads that each hold a
// partly filled part do not deadlock the others; a session that leaves while its upload waits gives its turn away.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { after, before, describe, mock, test } from 'node:test';
import { IDLE_RELEASE_MS, UploadBufferBudget } from '../../src/transfer/buffer-budget';
import { canDiscardPages } from '../../src/util/memory-pages';
import { type Stack, startStack } from '../helpers/stack';
import { RawSession } from './ftp-front';
import { MIB, fastRetries, objectHash, openUploads, seededBytes, seededHash, seededStream, sha256OfBuffer, waitFor } from './helpers';

const PART = MIB;
const BUDGET = 3 * PART;
const PAGE = 4096;

describe('UploadBufferBudget', () => {
  test('grants in arrival order: a large request at the head is not overtaken; a withdrawn one gives its turn away', async () => {
    const budget = new UploadBufferBudget(10);
    const a = budget.reserve(6);
    assert.equal(a.held, true);
    const big = budget.reserve(8);
    const small = budget.reserve(1);
    assert.equal(big.held, false);
    assert.equal(small.held, false, 'the small request waits behind the big one although it would fit');
    assert.equal(budget.waiting, 2);
    a.release();
    await big.granted;
    assert.equal(big.held, true);
    await small.granted;
    assert.equal(budget.current, 9);
    const withdrawn = budget.reserve(5);
    const next = budget.reserve(1);
    withdrawn.release();
    await withdrawn.granted;
    assert.equal(withdrawn.held, false);
    assert.equal(next.held, true, 'the request behind a withdrawn one is granted at once');
    for (const r of [big, small, next]) r.release();
    assert.equal(budget.current, 0);
    assert.equal(budget.peak, 10);
    assert.equal(budget.reserve(50).bytes, 10, 'a request above the budget is cut to it');
  });

  test('idle spare buffers give their memory back: kept without their pages where the addon is built, else dropped', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const budget = new UploadBufferBudget(4 * MIB);
      const first = budget.reserve(MIB);
      const part = first.buffer as Buffer;
      part.fill(7);
      first.release();
      const again = budget.reserve(MIB);
      assert.equal(again.buffer, part, 'reused from part to part while uploads run');
      again.release();
      mock.timers.tick(IDLE_RELEASE_MS);
      const afterIdle = budget.reserve(MIB).buffer as Buffer;
      if (canDiscardPages) {
        assert.equal(afterIdle, part, 'the same buffer: nothing to allocate and nothing to collect after idle');
        assert.equal(afterIdle.subarray(PAGE, MIB - PAGE).indexOf(7), -1, 'its whole pages were given back (they read as zeros)');
      } else {
        assert.notEqual(afterIdle, part, 'dropped (for the collector) and a new one allocated');
      }
      // collectGarbage's coalescing wait: a timer of its module left pending would hold off every later collection.
      mock.timers.tick(1000);
    } finally {
      mock.timers.reset();
    }
  });

  test('a part buffer released with reuse: false (its socket could still read) goes back to the system after idle too', async () => {
    // It is not kept as a spare, so giving the spares' pages back does not free it: only a collection does, and an
    // idle process runs none by itself (src/util/collect-garbage.ts).
    let collected = false;
    const registry = new FinalizationRegistry(() => (collected = true));
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const budget = new UploadBufferBudget(4 * MIB);
      // An upload after another: its part reuses the first one's buffer, and it ends (ABOR) while lending it.
      const first = budget.reserve(MIB);
      (first.buffer as Buffer).fill(7);
      first.release();
      (() => {
        const lent = budget.reserve(MIB);
        (lent.buffer as Buffer).fill(7);
        registry.register((lent.buffer as Buffer).buffer, 'lent');
        lent.release({ reuse: false });
      })();
      mock.timers.tick(IDLE_RELEASE_MS);
      mock.timers.tick(1000); // collectGarbage's coalescing wait
    } finally {
      mock.timers.reset();
    }
    await waitFor(() => collected, 3000).catch(() => assert.fail('the buffer released with reuse: false was not collected after idle'));
  });
});

/** Sends `bytes` on a data socket with backpressure. */
async function send(socket: net.Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await once(socket, 'drain');
}

describe(`uploads against an upload_buffer_size of ${BUDGET / MIB} parts`, () => {
  let stack: Stack;
  const bucket = 'bucket1-1250000000';
  before(async () => {
    fastRetries();
    stack = await startStack({
      transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 2, uploadBufferSize: BUDGET },
    });
  });
  after(async () => {
    await stack?.close();
  });

  test('16 concurrent uploads are byte-identical and the reserved bytes never exceed the budget', async () => {
    const budget = stack.gateway.context.uploadBuffers;
    budget.resetPeak();
    let mostWaiting = 0;
    const sampler = setInterval(() => (mostWaiting = Math.max(mostWaiting, budget.waiting)), 5);
    // Single-PUT files (under a part) and multipart ones (2.5-4 parts) mixed.
    const sizes = Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 300_000 + i : 2.5 * PART + i * 50_000));
    try {
      await Promise.all(
        sizes.map(async (size, i) => {
          const client = await stack.ftp();
          try {
            await client.uploadFrom(seededStream(`budget${i}`, size), `budget/f${i}.bin`);
          } finally {
            client.close();
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    for (const [i, size] of sizes.entries()) {
      assert.equal(await objectHash(stack.cos(), bucket, `budget/f${i}.bin`), await seededHash(`budget${i}`, size), `f${i}`);
    }
    assert.ok(budget.peak <= BUDGET, `peak ${budget.peak} within ${BUDGET}`);
    assert.ok(budget.peak >= 2 * PART, `the budget was used (peak ${budget.peak})`);
    assert.ok(mostWaiting > 0, 'uploads had to wait for buffer space');
    assert.equal(budget.current, 0, 'everything given back');
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('every slot held by a partly filled part: the others wait, nothing deadlocks, all finish in turn', async () => {
    const budget = stack.gateway.context.uploadBuffers;
    budget.resetPeak();
    // Three sessions each send half a part and stop: the budget is fully reserved by partly filled parts.
    const data = await Promise.all([0, 1, 2].map((i) => seededBytes(`held${i}`, 2 * PART + 123)));
    const holders = await Promise.all([0, 1, 2].map(() => RawSession.open(stack.ftpPort, 'user1', 'pass1')));
    const holderData = await Promise.all(holders.map((s, i) => s.startTransfer(`STOR held/h${i}.bin`)));
    await Promise.all(holderData.map((socket, i) => send(socket, data[i].subarray(0, PART / 2))));
    await waitFor(() => budget.current === BUDGET);

    // A fourth upload now waits with its socket paused; a fifth that gives up while waiting frees its place.
    const waiterBytes = await seededBytes('waiter', PART + 7);
    const waiter = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    const waiterData = await waiter.startTransfer('STOR held/waiter.bin');
    const quitter = await RawSession.open(stack.ftpPort, 'user1', 'pass1');
    const quitterData = await quitter.startTransfer('STOR held/quitter.bin');
    void send(waiterData, waiterBytes).then(() => waiterData.end());
    quitterData.write(Buffer.alloc(1000));
    await waitFor(() => budget.waiting === 2);
    // Closing the data connection would be the end of its file; the quitter leaves the session instead.
    quitter.close();
    quitterData.destroy();
    await waitFor(() => budget.waiting === 1);

    // The holders finish; the waiter gets space and finishes too.
    await Promise.all(holderData.map((socket, i) => send(socket, data[i].subarray(PART / 2)).then(() => socket.end())));
    for (const s of [...holders, waiter]) assert.equal((await s.read(30_000)).code, 226);
    for (const [i, bytes] of data.entries()) {
      assert.equal(await objectHash(stack.cos(), bucket, `held/h${i}.bin`), sha256OfBuffer(bytes), `h${i}`);
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'held/waiter.bin'), sha256OfBuffer(waiterBytes));
    assert.equal(await objectHash(stack.cos(), bucket, 'held/quitter.bin'), undefined, 'nothing of the quitter');
    for (const s of [...holders, waiter]) s.close();
    assert.ok(budget.peak <= BUDGET, `peak ${budget.peak} within ${BUDGET}`);
    await waitFor(() => budget.current === 0);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });
});
