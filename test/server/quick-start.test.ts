// `npm start` with no configuration: the quick start serves curl from a fresh directory, runs under nohup
// (no terminal at all), and on SIGTERM lets a running upload finish before exiting 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, readyPort, runTool, startServerProcess, tempDir } from '../helpers/server-process';

const LOGIN = 'demo:demo';

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (no whole file in memory beyond what the caller keeps). */
function chunkOf(index: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = (index + 1) * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('quick start', () => {
  let dir: string;
  before(() => {
    dir = tempDir('quick');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves curl upload, list and download with no configuration, then exits 0 on SIGTERM', async () => {
    const server = await startServerProcess(['--port', '0'], dir);
    try {
      assert.match(server.stdout(), /password "demo"/, 'prints the demo login');
      const url = `ftp://${LOGIN}@127.0.0.1:${server.port}/`;
      const file = path.join(dir, 'hello.txt');
      fs.writeFileSync(file, 'hello from curl\n');
      const put = await runTool('curl', ['-sS', '--max-time', '30', '-T', file, url]);
      assert.equal(put.code, 0, put.stderr);
      const mkdirAndPut = await runTool('curl', ['-sS', '--max-time', '30', '--ftp-create-dirs', '-T', file, `${url}sub/dir/copy.txt`]);
      assert.equal(mkdirAndPut.code, 0, mkdirAndPut.stderr);
      const list = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', url]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split(/\r?\n/).sort(), ['hello.txt', 'sub']);
      const get = await runTool('curl', ['-sS', '--max-time', '30', `${url}sub/dir/copy.txt`]);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout, 'hello from curl\n');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
    assert.ok(fs.existsSync(path.join(dir, 'data')), 'objects are kept under ./data');
    assert.ok(fs.existsSync(path.join(dir, 'log', 'cos_v5.log')), 'logs go to ./log/cos_v5.log');
  });

  it('keeps the objects across restarts (./data)', async () => {
    const server = await startServerProcess(['--port', '0'], dir);
    try {
      const get = await runTool('curl', ['-sS', '--max-time', '30', `ftp://${LOGIN}@127.0.0.1:${server.port}/hello.txt`]);
      assert.equal(get.stdout, 'hello from curl\n');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
  });

  it('runs under nohup with no terminal and no output streams', async () => {
    const nohupDir = tempDir('nohup');
    try {
      const child = spawn('nohup', [process.execPath, BIN, '--port', '0'], { cwd: nohupDir, stdio: 'ignore' });
      const exited = new Promise<number | string>((resolve) => child.once('exit', (c, s) => resolve(c ?? s ?? -1)));
      try {
        const logFile = path.join(nohupDir, 'log', 'cos_v5.log');
        const port = await waitFor('the ready line in log/cos_v5.log', () =>
          fs.existsSync(logFile) ? readyPort(fs.readFileSync(logFile, 'utf8')) : undefined,
        );
        const list = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', `ftp://${LOGIN}@127.0.0.1:${port}/`]);
        assert.equal(list.code, 0, list.stderr);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0);
    } finally {
      fs.rmSync(nohupDir, { recursive: true, force: true });
    }
  });
});

describe('quick start under screen', () => {
  const hasScreen = fs.existsSync('/usr/bin/screen');
  it('comes up detached in a screen session and stops on SIGTERM', { skip: !hasScreen && 'screen is not installed' }, async () => {
    const screenDir = tempDir('screen');
    const session = `cosftp-test-${process.pid}-${Date.now()}`;
    try {
      const start = await runTool('screen', ['-dmS', session, process.execPath, BIN, '--port', '0'], { cwd: screenDir });
      assert.equal(start.code, 0, start.stderr);
      const logFile = path.join(screenDir, 'log', 'cos_v5.log');
      const ready = await waitFor('the ready line in log/cos_v5.log', () => {
        if (!fs.existsSync(logFile)) return undefined;
        const text = fs.readFileSync(logFile, 'utf8');
        const port = readyPort(text);
        const pid = /"pid":(\d+)/.exec(text);
        return port !== undefined && pid ? { port, pid: Number(pid[1]) } : undefined;
      });
      const list = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', `ftp://${LOGIN}@127.0.0.1:${ready.port}/`]);
      assert.equal(list.code, 0, list.stderr);
      process.kill(ready.pid, 'SIGTERM');
      await waitFor('the server to stop', () => (/"msg":"stopped"/.test(fs.readFileSync(logFile, 'utf8')) ? true : undefined));
    } finally {
      await runTool('screen', ['-S', session, '-X', 'quit']);
      fs.rmSync(screenDir, { recursive: true, force: true });
    }
  });
});

describe('SIGTERM during an upload', () => {
  let dir: string;
  before(() => {
    dir = tempDir('drain');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets the running upload finish, refuses new connections meanwhile, then exits 0', async () => {
    const chunkSize = 256 * 1024;
    const chunks = 32; // 8 MiB: several multipart parts
    const server = await startServerProcess(['--port', '0', '--grace', '60', '--status', '0.2'], dir);
    const url = `ftp://${LOGIN}@127.0.0.1:${server.port}/drained.bin`;
    const curl = spawn('curl', ['-sS', '--max-time', '120', '-T', '-', url], { stdio: ['pipe', 'ignore', 'pipe'] });
    let curlErr = '';
    curl.stderr.setEncoding('utf8').on('data', (d: string) => (curlErr += d));
    const curlExit = new Promise<number>((resolve) => curl.once('exit', (code) => resolve(code ?? -1)));
    const hash = crypto.createHash('sha256');
    const write = async (i: number): Promise<void> => {
      const chunk = chunkOf(i, chunkSize);
      hash.update(chunk);
      if (!curl.stdin.write(chunk)) await new Promise((r) => curl.stdin.once('drain', r));
    };
    let signalled = false;
    try {
      for (let i = 0; i < 8; i++) await write(i);
      // The status line shows the transfer once the gateway is receiving it.
      await waitFor('a status line with a running transfer', () =>
        /"transfers":[1-9]/.test(server.stdout()) ? true : undefined,
      );
      server.child.kill('SIGTERM');
      signalled = true;
      await waitFor('the shutdown line', () => (/shutting down/.test(server.stdout()) ? true : undefined));
      // Draining: the control port no longer accepts connections.
      await assert.rejects(
        new Promise<void>((resolve, reject) => {
          const s = net.connect(server.port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve();
          });
          s.once('error', reject);
        }),
        /ECONNREFUSED/,
      );
      for (let i = 8; i < chunks; i++) await write(i);
      curl.stdin.end();
      assert.equal(await curlExit, 0, `curl: ${curlErr}`);
    } finally {
      curl.stdin.destroy();
      // A second SIGTERM would mean "exit now"; send one only if the test failed before its own.
      if (!signalled) server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(60_000), 0);
    assert.match(server.stdout(), /"msg":"stopped"/);

    // The object is complete: start again on the same ./data and download it.
    const again = await startServerProcess(['--port', '0'], dir);
    try {
      const out = path.join(dir, 'downloaded.bin');
      const get = await runTool('curl', ['-sS', '--max-time', '60', '-o', out, `ftp://${LOGIN}@127.0.0.1:${again.port}/drained.bin`]);
      assert.equal(get.code, 0, get.stderr);
      const data = fs.readFileSync(out);
      assert.equal(data.length, chunkSize * chunks);
      assert.equal(sha256(data), hash.digest('hex'));
    } finally {
      again.child.kill('SIGTERM');
    }
    assert.equal(await again.exited(), 0);
  });
});
