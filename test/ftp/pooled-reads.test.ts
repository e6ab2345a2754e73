// Plain data connections read into memory chosen for them (src/ftp/pooled-reads.ts): uploads over passive and
// active connections arrive byte-identical, reading into their part buffers and a few reused pooled buffers, also
// when the store is slow (the socket pauses while chunks are still borrowed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { dataReadBuffers } from '../../src/util/buffer-pool';
import { type Stack, startStack } from '../helpers/stack';
import { MIB, objectHash, seededHash, seededStream } from '../transfer/helpers';

const bucket = 'bucket1-1250000000';

/** curl with `stdin` as the upload; resolves with its exit code and error output. */
function curl(args: string[], stdin: Readable): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
    child.stdin.on('error', () => undefined);
    stdin.pipe(child.stdin);
  });
}

describe('data connections read into chosen memory', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ transfer: { minPartSize: 2 * MIB } });
  });
  after(async () => {
    await stack?.close();
  });

  for (const mode of ['passive', 'active'] as const) {
    test(`${mode}: an 8 MiB upload is byte-identical, read into its parts and a few reused buffers`, async () => {
      const size = 8 * MIB + 7;
      const key = `pooled-${mode}.bin`;
      const before = dataReadBuffers.stats();
      const modeArgs = mode === 'active' ? ['-P', '127.0.0.1'] : [];
      const run = await curl([...modeArgs, '-T', '-', stack.url(undefined, `/${key}`)], seededStream(key, size));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(await objectHash(stack.cos(), bucket, key), await seededHash(key, size));
      // Copied through 128 KiB pooled buffers, 8 MiB would take at least 64 reads. They go into the part buffers
      // instead (in-place-reads.test.ts); a pooled buffer only for the first read of each 2 MiB part and the
      // last bit of one, and the few given back are read into again.
      const now = dataReadBuffers.stats();
      assert.ok(now.taken - before.taken <= 2 * 5 + 8, `reads into pooled buffers: ${now.taken - before.taken}`);
      assert.ok(now.allocated - before.allocated <= 12, `buffers allocated: ${now.allocated - before.allocated}`);
    });
  }

  test('a slow store: the socket pauses with chunks borrowed, and every byte still arrives', async () => {
    const size = 6 * MIB + 3;
    const key = 'pooled-slow.bin';
    stack.store.faults.add({ op: 'UploadPart', key: /^pooled-slow/, count: Infinity, action: { throttleBytesPerSec: 16 * MIB } });
    try {
      const run = await curl(['-T', '-', stack.url(undefined, `/${key}`)], seededStream(key, size, 3000));
      assert.equal(run.code, 0, run.stderr);
    } finally {
      stack.store.faults.clear();
    }
    assert.equal(await objectHash(stack.cos(), bucket, key), await seededHash(key, size));
  });
});
