// The CRC-64 computed on worker threads (the path of the WebAssembly and JS fallbacks, forced here with 'workers')
// equals the inline one, however the bytes are chunked, with several jobs interleaved; a dropped job does not disturb
// the others. With the native CRC-64 the default placement hashes inline and starts no worker.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc64, crc64Accelerated } from '../../src/util/crc64';
import { OffloadedCrc64, crcWorkerThreads } from '../../src/util/crc64-offload';

async function feed(job: OffloadedCrc64, data: Buffer, seed: number): Promise<void> {
  let offset = 0;
  let step = seed;
  while (offset < data.length) {
    step = (step * 1103515245 + 12345) % 2147483648;
    const size = 1 + (step % 300_000);
    const ok = job.update(data.subarray(offset, offset + size));
    offset += size;
    if (!ok) await new Promise<void>((resolve) => job.whenRelieved(resolve));
  }
}

test('with the native CRC-64 the default placement hashes inline: right CRC, never behind, no worker started', async (t) => {
  if (!crc64Accelerated) return t.skip('the native CRC-64 with carry-less multiplication is not in use here');
  const data = randomBytes(5 * 1024 * 1024 + 3);
  const job = new OffloadedCrc64();
  for (let offset = 0; offset < data.length; offset += 65536) {
    assert.equal(job.update(data.subarray(offset, offset + 65536)), true, 'an inline job is never behind');
  }
  assert.equal(await job.digest(), crc64(data));
  const dropped = new OffloadedCrc64();
  dropped.update(data);
  dropped.drop();
  assert.equal(crcWorkerThreads().length, 0, 'no CRC worker thread was started');
});

test('offloaded CRC-64 equals the inline one for interleaved jobs of any chunking; a dropped job changes nothing', async () => {
  const inputs = [Buffer.alloc(0), randomBytes(1), randomBytes(1024 * 1024), randomBytes(11 * 1024 * 1024 + 7)];
  const jobs = inputs.map(() => new OffloadedCrc64('workers'));
  assert.ok(crcWorkerThreads().length > 0, 'the jobs run on worker threads (this machine has 2 or more CPUs)');
  const dropped = new OffloadedCrc64('workers');
  dropped.update(randomBytes(3 * 1024 * 1024));
  await Promise.all(inputs.map((data, i) => feed(jobs[i], data, i + 1)));
  dropped.drop();
  const digests = await Promise.all(jobs.map((job) => job.digest()));
  assert.deepEqual(digests, inputs.map((data) => crc64(data)));
});

test('a worker that dies mid-job fails that job (no hang); the next job gets a new worker and the right CRC', async () => {
  const job = new OffloadedCrc64('workers');
  job.update(randomBytes(4 * 1024 * 1024));
  const threads = crcWorkerThreads();
  assert.ok(threads.length > 0, 'this machine has a CRC worker (2 or more CPUs)');
  await Promise.all(threads.map((w) => w.terminate()));
  await new Promise<void>((resolve) => job.whenRelieved(resolve));
  assert.equal(job.update(randomBytes(1024)), true, 'updates after the failure are accepted and dropped');
  await assert.rejects(job.digest(), /CRC-64 worker exited/);

  const data = randomBytes(3 * 1024 * 1024 + 5);
  const next = new OffloadedCrc64('workers');
  await feed(next, data, 7);
  assert.equal(await next.digest(), crc64(data));
  assert.ok(crcWorkerThreads().length > 0, 'the pool was refilled');
});
