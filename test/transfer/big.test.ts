// One large file through the whole path: 300 MB up (basic-ftp, streamed from a seeded generator) and down (curl),
// byte-identical, with 1 MiB parts (300 parts, several in flight). The store keeps its data on disk here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { MIB, objectSize, openUploads, seededHash, seededStream, sha256Of } from './helpers';

const SIZE = 300 * 1000 * 1000;
const bucket = 'bucket1-1250000000';

describe('300 MB', () => {
  let stack: Stack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'transfer-big-'));
    stack = await startStack({
      storeDataDir: dir,
      transfer: { minPartSize: MIB, singleFileMaxSize: 1024 * MIB, uploadThreadNum: 4 },
    });
  });
  after(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('upload and download are byte-identical', { timeout: 600_000 }, async () => {
    const expected = await seededHash('big', SIZE);
    stack.store.resetRequestCounts();
    const client = await stack.ftp();
    try {
      const res = await client.uploadFrom(seededStream('big', SIZE, 256 * 1024), 'big/300mb.bin');
      assert.equal(res.code, 226);
    } finally {
      client.close();
    }
    assert.equal(await objectSize(stack.cos(), bucket, 'big/300mb.bin'), SIZE);
    assert.equal(stack.store.requestCounts().UploadPart, Math.ceil(SIZE / MIB));
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);

    const curl = spawn('curl', ['-sS', stack.url(undefined, '/big/300mb.bin')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [hash, code] = await Promise.all([
      sha256Of(curl.stdout),
      new Promise<number | null>((resolve) => curl.once('close', resolve)),
    ]);
    assert.equal(code, 0);
    assert.equal(hash, expected);
  });
});
