// bin/cos-local.js as a child process: the ready line, SDK use against it, clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { at, BUCKET, SECRET_ID, SECRET_KEY, sdkClient } from './helpers';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'cos-local.js');

describe('cos-local command line', () => {
  it('prints its URL, serves the SDK and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--port', '0', '--memory', '--credentials', `${SECRET_ID}:${SECRET_KEY}`, '--bucket', BUCKET],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 10_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
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

  it('refuses to start without credentials', async () => {
    const child = spawn(process.execPath, [BIN, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
  });
});
