// Debian's FTP clients against the gateway: curl (upload from stdin, download, append, resumed download) and lftp
// (put, get, and `put -c` resuming an interrupted upload).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import {
  MIB,
  objectHash,
  openUploads,
  putBytes,
  seededBytes,
  seededHash,
  seededStream,
  sha256Of,
  sha256OfBuffer,
} from './helpers';

const PART = MIB;
const bucket = 'bucket1-1250000000';

interface Run {
  code: number | null;
  stdoutHash: string;
  stderr: string;
}

/** Runs a client with an optional stdin stream; hashes its stdout; kills it after timeoutMs. */
function run(cmd: string, args: string[], stdin?: Readable, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const hashing = sha256Of(child.stdout);
    if (stdin) {
      stdin.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    } else child.stdin.end();
    child.once('error', reject);
    child.once('close', async (code) => {
      clearTimeout(timer);
      resolve({ code, stdoutHash: await hashing, stderr });
    });
  });
}

describe('curl and lftp', () => {
  let stack: Stack;
  let dir: string;

  before(async () => {
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: 64 * MIB, uploadThreadNum: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'transfer-clients-'));
  });
  after(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('curl: upload from stdin, download, append (APPE), resumed download (REST+RETR)', async () => {
    const size = 3 * PART + 11;
    const up = await run('curl', ['-sS', '-T', '-', stack.url(undefined, '/curl-one.bin')], seededStream('curl', size));
    assert.equal(up.code, 0, up.stderr);
    const expected = await seededHash('curl', size);
    assert.equal(await objectHash(stack.cos(), bucket, 'curl-one.bin'), expected);

    const down = await run('curl', ['-sS', stack.url(undefined, '/curl-one.bin')]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdoutHash, expected);

    const add = await seededBytes('curl-add', PART + 5);
    const appended = await run('curl', ['-sS', '--append', '-T', '-', stack.url(undefined, '/curl-one.bin')], seededStream('curl-add', PART + 5));
    assert.equal(appended.code, 0, appended.stderr);
    const whole = Buffer.concat([await seededBytes('curl', size), add]);
    assert.equal(await objectHash(stack.cos(), bucket, 'curl-one.bin'), sha256OfBuffer(whole));

    const resumed = await run('curl', ['-sS', '-C', String(PART + 3), stack.url(undefined, '/curl-one.bin')]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdoutHash, sha256OfBuffer(whole.subarray(PART + 3)));

    // Active mode (EPRT/PORT): curl connects back the other way.
    const activeUp = await run('curl', ['-sS', '-P', '127.0.0.1', '-T', '-', stack.url(undefined, '/curl-active.bin')], seededStream('active', PART + 1));
    assert.equal(activeUp.code, 0, activeUp.stderr);
    const activeDown = await run('curl', ['-sS', '-P', '127.0.0.1', stack.url(undefined, '/curl-active.bin')]);
    assert.equal(activeDown.code, 0, activeDown.stderr);
    assert.equal(activeDown.stdoutHash, await seededHash('active', PART + 1));

    const missing = await run('curl', ['-sS', stack.url(undefined, '/curl-missing.bin')]);
    assert.equal(missing.code, 78, missing.stderr); // CURLE_REMOTE_FILE_NOT_FOUND: 550 before any data
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });

  test('python3 ftplib: storbinary/retrbinary byte-identical, storlines in ASCII mode, abort() of a download', async () => {
    const size = 2 * PART + 99;
    const a = stack.account();
    const script = [
      'import ftplib, hashlib, io, sys',
      `f = ftplib.FTP(); f.connect('127.0.0.1', ${stack.ftpPort}, timeout=30); f.login('${a.userName}', '${a.password}')`,
      'data = sys.stdin.buffer.read()',
      "print(f.storbinary('STOR py.bin', io.BytesIO(data)))",
      'h = hashlib.sha256(); f.retrbinary("RETR py.bin", h.update); print(h.hexdigest())',
      "print(f.storlines('STOR py.txt', io.BytesIO(b'l1\\nl2\\n')))",
      "c = f.transfercmd('RETR py.bin'); c.recv(1000); c.close()",
      'try:',
      '    f.getresp(); sys.exit(3)',
      'except ftplib.error_temp as e:',
      "    assert str(e).startswith('426'), e",
      "assert f.voidcmd('NOOP').startswith('200')",
      'f.quit()',
    ].join('\n');
    const py = await run('python3', ['-c', script], seededStream('py', size));
    assert.equal(py.code, 0, py.stderr);
    assert.equal(await objectHash(stack.cos(), bucket, 'py.bin'), await seededHash('py', size));
    assert.equal(await objectHash(stack.cos(), bucket, 'py.txt'), sha256OfBuffer(Buffer.from('l1\nl2\n')));
  });

  test('lftp: put and get byte-identical; put -c resumes an interrupted upload', async () => {
    const size = 4 * PART + 333;
    const local = path.join(dir, 'lftp-src.bin');
    await pipeline(seededStream('lftp', size), createWriteStream(local));
    const back = path.join(dir, 'lftp-back.bin');
    const a = stack.account();
    const lftp = (commands: string) =>
      run('lftp', [
        '-c',
        `set net:max-retries 1; set net:timeout 20; set ftp:passive-mode on; set ftp:ssl-allow no; ` +
          `open -u ${a.userName},${a.password} -p ${stack.ftpPort} 127.0.0.1; ${commands}`,
      ]);
    const put = await lftp(`put ${local} -o lftp/file.bin`);
    assert.equal(put.code, 0, put.stderr);
    const expected = await seededHash('lftp', size);
    assert.equal(await objectHash(stack.cos(), bucket, 'lftp/file.bin'), expected);
    const get = await lftp(`get lftp/file.bin -o ${back}`);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(await sha256Of(createReadStream(back)), expected);

    // An upload that stopped after 2 MiB + 7 bytes, resumed by lftp at the size it finds.
    const first = await seededBytes('lftp', 2 * PART + 7);
    await putBytes(stack.cos(), bucket, 'lftp/resumed.bin', first);
    const cont = await lftp(`put -c ${local} -o lftp/resumed.bin`);
    assert.equal(cont.code, 0, cont.stderr);
    assert.equal(await objectHash(stack.cos(), bucket, 'lftp/resumed.bin'), expected);
    assert.deepEqual(await openUploads(stack.cos(), bucket), []);
  });
});
