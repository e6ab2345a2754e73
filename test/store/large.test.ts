// One large object (256 MiB) in --data mode, streamed both ways: the store never holds it in memory.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { LocalCos } from '../../src/store/localcos';
import { at, sdkClient, startStore } from './helpers';

const SIZE = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;

function* generate(): Generator<Buffer> {
  const chunk = Buffer.alloc(CHUNK);
  for (let i = 0; i < SIZE / CHUNK; i++) {
    chunk.writeUInt32LE(i, 0);
    chunk.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, CHUNK - 4);
    yield Buffer.from(chunk);
  }
}

describe('local COS large object in --data mode', () => {
  let store: LocalCos;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cos-local-large-'));
    store = await startStore({ dataDir });
  });
  after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams 256 MiB in and out with bounded memory', async () => {
    const cos = sdkClient(store);
    const expected = createHash('md5');
    for (const c of generate()) expected.update(c);
    const expectedMd5 = expected.digest('hex');
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sample = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 50);
    try {
      const put = await cos.putObject({ ...at, Key: 'large.bin', Body: Readable.from(generate()), ContentLength: SIZE });
      assert.equal(put.ETag, `"${expectedMd5}"`);
      const md5 = createHash('md5');
      let size = 0;
      await cos.getObject({
        ...at,
        Key: 'large.bin',
        Output: new Writable({
          write(chunk: Buffer, _enc, cb) {
            md5.update(chunk);
            size += chunk.length;
            cb();
          },
        }),
      });
      assert.equal(size, SIZE);
      assert.equal(md5.digest('hex'), expectedMd5);
    } finally {
      clearInterval(sample);
    }
    assert.ok(rssPeak - rssBefore < 256 * 1024 * 1024, `RSS grew by ${Math.round((rssPeak - rssBefore) / 1048576)} MiB`);
  });
});
