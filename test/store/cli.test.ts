// bin/cos-local.js as a child process: the ready line, SDK use against it, clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcessByStdio, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { storeCertificate, trustCertificate } from '../helpers/store-tls';
import { at, BUCKET, SECRET_ID, SECRET_KEY, sdkClient, sdkError } from './helpers';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'cos-local.js');

/** Resolves with the URL of the ready line and the whole output so far. */
function readyUrl(child: ChildProcessWithoutNullStreams | ChildProcessByStdio<null, Readable, Readable>): Promise<{ url: string; out: string }> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /(https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], out });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

describe('cos-local command line', () => {
  it('prints its URL, serves the SDK and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--port', '0', '--memory', '--credentials', `${SECRET_ID}:${SECRET_KEY}`, '--bucket', BUCKET],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const { url, out } = await readyUrl(child);
      assert.equal(out.trim().split('\n').length, 1);
      const cos = sdkClient({ port: Number(new URL(url).port) });
      await cos.putObject({ ...at, Key: 'cli.txt', Body: 'from the cli test' });
      const got = await cos.getObject({ ...at, Key: 'cli.txt' });
      assert.equal((got.Body as Buffer).toString(), 'from the cli test');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('speaks HTTPS with --tls-cert/--tls-key and serves its region only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-local-cli-'));
    const certificate = storeCertificate();
    writeFileSync(join(dir, 'cert.pem'), certificate.cert);
    writeFileSync(join(dir, 'key.pem'), certificate.key);
    const child = spawn(
      process.execPath,
      [BIN, '--port', '0', '--credentials', `${SECRET_ID}:${SECRET_KEY}`, '--bucket', BUCKET, '--region', 'ap-shanghai',
        '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const { url } = await readyUrl(child);
      assert.match(url, /^https:/);
      const cos = sdkClient({ port: Number(new URL(url).port) }, SECRET_ID, SECRET_KEY, { Protocol: 'https:' });
      trustCertificate(cos, certificate.cert);
      assert.equal((await sdkError(cos.putObject({ ...at, Key: 'x', Body: 'x' }))).code, 'NoSuchBucket');
      // The certificate names ap-guangzhou only; a client checking it for ap-shanghai's host name refuses it.
      const wrongName = await sdkError(cos.putObject({ ...at, Region: 'ap-shanghai', Key: 'x', Body: 'x' }));
      assert.match(String(wrongName.code ?? wrongName.message), /ALTNAME|altname|Hostname/i);
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start without credentials', async () => {
    const child = spawn(process.execPath, [BIN, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
  });
});
