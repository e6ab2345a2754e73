// Debian's rclone (S3 backend, SigV4, path-style) copies a folder into the store and back out intact.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { LocalCos } from '../../src/store/localcos';
import { at, BUCKET, SECRET_ID, SECRET_KEY, md5Hex, patternBytes, sdkClient, startStore } from './helpers';

const RCLONE = '/usr/bin/rclone';
const run = promisify(execFile);

function fileHashes(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hashes.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}

describe('rclone against the local store', { skip: !existsSync(RCLONE) && 'rclone is not installed' }, () => {
  let store: LocalCos;
  let work: string;
  before(async () => {
    store = await startStore();
    work = mkdtempSync(join(tmpdir(), 'cos-local-rclone-'));
  });
  after(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function rclone(...args: string[]): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RCLONE_CONFIG: join(work, 'rclone.conf'),
      RCLONE_CONFIG_LOCALCOS_TYPE: 's3',
      RCLONE_CONFIG_LOCALCOS_PROVIDER: 'Other',
      RCLONE_CONFIG_LOCALCOS_ENDPOINT: store.url,
      RCLONE_CONFIG_LOCALCOS_ACCESS_KEY_ID: SECRET_ID,
      RCLONE_CONFIG_LOCALCOS_SECRET_ACCESS_KEY: SECRET_KEY,
      RCLONE_CONFIG_LOCALCOS_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_LOCALCOS_REGION: 'ap-guangzhou',
    };
    // rclone refuses a custom CA bundle on a plain-HTTP transport.
    delete env.AWS_CA_BUNDLE;
    await run(RCLONE, args, { env, timeout: 120_000 });
  }

  it('copies a folder in (single and multipart uploads) and out, byte for byte', async () => {
    const source = join(work, 'source');
    mkdirSync(join(source, 'sub dir', '中文'), { recursive: true });
    writeFileSync(join(source, 'small.txt'), 'hello rclone\n');
    writeFileSync(join(source, 'empty'), '');
    writeFileSync(join(source, 'sub dir', '中文', 'ü é.bin'), patternBytes(300_000, 31));
    const big = join(source, 'big.bin');
    writeFileSync(big, patternBytes(3 * 1024 * 1024, 32));
    for (let i = 0; i < 3; i++) writeFileSync(big, patternBytes(3 * 1024 * 1024, 33 + i), { flag: 'a' });

    await rclone('copy', source, `localcos:${BUCKET}/in`, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M');
    const cos = sdkClient(store);
    const listed = await cos.getBucket({ ...at, Prefix: 'in/' });
    assert.deepEqual(listed.Contents.map((c) => c.Key).sort(), ['in/big.bin', 'in/empty', 'in/small.txt', 'in/sub dir/中文/ü é.bin']);
    const bigObject = await cos.headObject({ ...at, Key: 'in/big.bin' });
    assert.match(String(bigObject.ETag), /-\d+"$/, 'big.bin went up in parts');
    const small = await cos.getObject({ ...at, Key: 'in/small.txt' });
    assert.equal(md5Hex(small.Body as Buffer), md5Hex(Buffer.from('hello rclone\n')));

    const target = join(work, 'target');
    await rclone('copy', `localcos:${BUCKET}/in`, target);
    assert.deepEqual(fileHashes(target), fileHashes(source));
    await rclone('check', source, `localcos:${BUCKET}/in`, '--s3-list-version', '2', '--s3-list-chunk', '2');
  });
});
