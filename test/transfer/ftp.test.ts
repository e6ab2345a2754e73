// STOR/APPE/RETR through a real FTP server with real clients (basic-ftp, raw control connections) against the local
// store: reply codes, nothing left behind after failures and aborts, append/resume, the session surviving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FTPError } from 'basic-ftp';
import { type Stack, startStack } from '../helpers/stack';
import { type FtpFront, RawSession, stackFront, writeBytes } from './ftp-front';
import {
  MIB,
  fastRetries,
  objectHash,
  objectSize,
  openUploads,
  putBytes,
  seededBytes,
  seededHash,
  seededStream,
  hashingSink,
  sha256OfBuffer,
  waitFor,
} from './helpers';

const PART = MIB;
const MAX = 16 * MIB;
const bucket = 'bucket1-1250000000';

// Real COS speaks HTTPS (cos_protocol = https): every scenario runs against the store over HTTP and over HTTPS.
for (const storeTls of [false, true]) describe(storeTls ? 'FTP transfers (store over HTTPS)' : 'FTP transfers', () => {
  let stack: Stack;
  let front: FtpFront;

  before(async () => {
    fastRetries();
    stack = await startStack({ transfer: { minPartSize: PART, singleFileMaxSize: MAX, uploadThreadNum: 4 }, storeTls });
    front = stackFront(stack);
  });
  after(async () => {
    await stack?.close();
  });

  const raw = (): Promise<RawSession> => RawSession.open(front.port, 'user1', 'pass1');
  const nothingLeft = async (): Promise<void> => assert.deepEqual(await openUploads(stack.cos(), bucket), []);

  test('0 B, 1 B, one part, one part + 1 B and three parts round-trip byte-identical (basic-ftp)', async () => {
    const client = await front.ftp();
    try {
      for (const size of [0, 1, PART, PART + 1, 3 * PART + 5]) {
        const name = `ftp-size-${size}.bin`;
        await client.uploadFrom(seededStream(`f${size}`, size), name);
        const expected = await seededHash(`f${size}`, size);
        assert.equal(await objectHash(stack.cos(), bucket, name), expected, `stored ${size}`);
        const { sink, digest } = hashingSink();
        await client.downloadTo(sink, name);
        assert.equal(digest(), expected, `downloaded ${size}`);
      }
    } finally {
      client.close();
    }
    await nothingLeft();
    assert.equal(stack.gateway.context.stats.transfers, 0);
  });

  test('a burst of 5xx on UploadPart is invisible to the client', async () => {
    stack.store.faults.add({ op: 'UploadPart', count: 4, action: { status: 503, code: 'SlowDown' } });
    const client = await front.ftp();
    try {
      const res = await client.uploadFrom(seededStream('burst', 3 * PART), 'ftp-burst.bin');
      assert.equal(res.code, 226);
    } finally {
      client.close();
      stack.store.faults.clear();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-burst.bin'), await seededHash('burst', 3 * PART));
    await nothingLeft();
  });

  test('a permanent COS failure answers 451; the overwritten object stays; the session keeps working', async () => {
    const old = await seededBytes('perm-old', 777);
    await putBytes(stack.cos(), bucket, 'ftp-perm.bin', old);
    stack.store.faults.add({ op: 'UploadPart', count: Infinity, action: { status: 500, code: 'InternalError' } });
    const client = await front.ftp();
    try {
      await assert.rejects(client.uploadFrom(seededStream('perm', 4 * PART), 'ftp-perm.bin'), (err: unknown) => {
        assert.ok(err instanceof FTPError, String(err));
        assert.equal(err.code, 451);
        return true;
      });
      stack.store.faults.clear();
      assert.equal((await client.send('NOOP')).code, 200);
      const { sink, digest } = hashingSink();
      await client.downloadTo(sink, 'ftp-perm.bin');
      assert.equal(digest(), sha256OfBuffer(old));
    } finally {
      stack.store.faults.clear();
      client.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-perm.bin'), sha256OfBuffer(old));
    await nothingLeft();
  });

  test('ABOR mid-upload: 426 then 226, no object, no multipart upload, the old object unchanged', async () => {
    const old = await seededBytes('abor-old', 100);
    await putBytes(stack.cos(), bucket, 'ftp-abor.bin', old);
    const s = await raw();
    try {
      const data = await s.startTransfer('STOR ftp-abor.bin');
      await writeBytes(data, 3 * PART + 10);
      await waitFor(async () => (stack.store.requestCounts().UploadPart ?? 0) > 0 || true);
      s.control.socket.write('ABOR\r\n');
      assert.equal((await s.read()).code, 426);
      assert.equal((await s.read()).code, 226);
      data.destroy();
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-abor.bin'), sha256OfBuffer(old));
    await nothingLeft();
  });

  test('a reset data connection mid-upload: 426, nothing stored, the session continues', async () => {
    const old = await seededBytes('reset-old', 2 * PART);
    await putBytes(stack.cos(), bucket, 'ftp-reset.bin', old);
    const s = await raw();
    try {
      const data = await s.startTransfer('STOR ftp-reset.bin');
      await writeBytes(data, 2 * PART + 100);
      data.resetAndDestroy();
      assert.equal((await s.read()).code, 426);
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-reset.bin'), sha256OfBuffer(old));
    await nothingLeft();
  });

  test('QUIT mid-upload: the upload is abandoned, nothing stored, nothing left open', async () => {
    const old = await seededBytes('quit-old', 5);
    await putBytes(stack.cos(), bucket, 'ftp-quit.bin', old);
    const s = await raw();
    const data = await s.startTransfer('STOR ftp-quit.bin');
    await writeBytes(data, 2 * PART + 100);
    const bye = await s.send('QUIT');
    assert.equal(bye.code, 221);
    data.destroy();
    s.close();
    await waitFor(() => stack.gateway.context.stats.transfers === 0);
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-quit.bin'), sha256OfBuffer(old));
    await nothingLeft();
  });

  test('closing the control connection mid-upload abandons it too', async () => {
    const s = await raw();
    const data = await s.startTransfer('STOR ftp-drop.bin');
    await writeBytes(data, 2 * PART + 100);
    s.close();
    await waitFor(() => stack.gateway.context.stats.transfers === 0);
    data.destroy();
    assert.equal(await objectSize(stack.cos(), bucket, 'ftp-drop.bin'), undefined);
    await nothingLeft();
  });

  test('a file over single_file_max_size: 552, nothing stored, the overwritten object unchanged', async () => {
    const old = await seededBytes('big-old', 4321);
    await putBytes(stack.cos(), bucket, 'ftp-big.bin', old);
    const s = await raw();
    try {
      const data = await s.startTransfer('STOR ftp-big.bin');
      void writeBytes(data, MAX + 1).catch(() => undefined);
      const r = await s.read(30_000);
      assert.equal(r.code, 552);
      data.destroy();
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
    assert.equal(await objectHash(stack.cos(), bucket, 'ftp-big.bin'), sha256OfBuffer(old));
    await nothingLeft();
  });

  test('APPE appends (small and large existing objects); REST+STOR resumes at the size; other offsets 554', async () => {
    const client = await front.ftp();
    try {
      for (const [oldSize, addSize] of [
        [300, 400],
        [PART + 3, PART + 9],
      ]) {
        const name = `ftp-appe-${oldSize}.bin`;
        const old = await seededBytes(`ao${oldSize}`, oldSize);
        await putBytes(stack.cos(), bucket, name, old);
        await client.appendFrom(seededStream(`aa${addSize}`, addSize), name);
        const expected = Buffer.concat([old, await seededBytes(`aa${addSize}`, addSize)]);
        assert.equal(await objectHash(stack.cos(), bucket, name), sha256OfBuffer(expected), name);
      }
    } finally {
      client.close();
    }
    const s = await raw();
    try {
      const first = await seededBytes('resume', 2 * PART + 50);
      await putBytes(stack.cos(), bucket, 'ftp-resume.bin', first.subarray(0, PART + 20));
      assert.equal((await s.send(`REST ${PART + 20}`)).code, 350);
      const data = await s.startTransfer('STOR ftp-resume.bin');
      data.end(first.subarray(PART + 20));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectHash(stack.cos(), bucket, 'ftp-resume.bin'), sha256OfBuffer(first));

      assert.equal((await s.send('REST 10')).code, 350);
      const d2 = await s.openData();
      const refused = await s.send('STOR ftp-resume.bin');
      assert.equal(refused.code, 554);
      d2.destroy();
      // The offset is gone after the refusal: a plain STOR starts at 0.
      const d3 = await s.startTransfer('STOR ftp-after-rest.bin');
      d3.end(Buffer.from('hello'));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectSize(stack.cos(), bucket, 'ftp-after-rest.bin'), 5);
      assert.equal(await objectHash(stack.cos(), bucket, 'ftp-resume.bin'), sha256OfBuffer(first));
    } finally {
      s.close();
    }
    await nothingLeft();
  });

  test('STOU stores under a fresh name when the name is taken, and says which', async () => {
    await putBytes(stack.cos(), bucket, 'ftp-stou.bin', Buffer.from('taken'));
    const s = await raw();
    try {
      const data = await s.openData();
      const started = await s.send('STOU ftp-stou.bin');
      assert.equal(started.code, 150);
      const m = /FILE: \/?(\S+)/.exec(started.text);
      assert.ok(m, started.text);
      assert.notEqual(m[1], 'ftp-stou.bin');
      data.end(Buffer.from('unique bytes'));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectSize(stack.cos(), bucket, m[1]), 12);
      assert.equal(await objectSize(stack.cos(), bucket, 'ftp-stou.bin'), 5);
      // A taken name in a folder gets its fresh name in that folder, not in the working directory.
      await putBytes(stack.cos(), bucket, 'stou-dir/taken.bin', Buffer.from('taken'));
      const data2 = await s.openData();
      const inDir = await s.send('STOU stou-dir/taken.bin');
      const m2 = /FILE: \/(stou-dir\/taken\.bin\.\w+)$/.exec(inDir.text);
      assert.ok(m2, inDir.text);
      data2.end(Buffer.from('in the folder'));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectSize(stack.cos(), bucket, m2[1]), 13);
    } finally {
      s.close();
    }
  });

  test('TYPE A: CRLF on the wire, LF in storage (as pyftpdlib); TYPE I untouched', async () => {
    const s = await raw();
    try {
      assert.equal((await s.send('TYPE A')).code, 200);
      const up = await s.startTransfer('STOR ftp-ascii.txt');
      up.end(Buffer.from('one\r\ntwo\r\nthree'));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectHash(stack.cos(), bucket, 'ftp-ascii.txt'), sha256OfBuffer(Buffer.from('one\ntwo\nthree')));
      for (const [type, expected] of [
        ['A', 'one\r\ntwo\r\nthree'],
        ['I', 'one\ntwo\nthree'],
      ]) {
        assert.equal((await s.send(`TYPE ${type}`)).code, 200);
        const down = await s.startTransfer('RETR ftp-ascii.txt');
        const chunks: Buffer[] = [];
        down.on('data', (c: Buffer) => chunks.push(c));
        await new Promise((resolve) => down.once('end', resolve));
        assert.equal((await s.read()).code, 226);
        assert.equal(Buffer.concat(chunks).toString(), expected, `TYPE ${type}`);
      }
    } finally {
      s.close();
    }
  });

  test('TYPE: A, A N, I, L 8 and L8 accepted (spaces do not matter); other types 504, anything else 501', async () => {
    const s = await raw();
    try {
      for (const [arg, code] of [
        ['A N', 200],
        ['a', 200],
        ['L 8', 200],
        ['L8', 200],
        ['i', 200],
        ['E', 504],
        ['L 7', 504],
        ['A T', 504],
        ['X', 501],
        ['I I', 501],
      ] as const) {
        assert.equal((await s.send(`TYPE ${arg}`)).code, code, `TYPE ${arg}`);
      }
      // The last accepted type stands (I): a file goes down byte for byte.
      const up = await s.startTransfer('STOR ftp-type.txt');
      up.end(Buffer.from('a\r\nb'));
      assert.equal((await s.read()).code, 226);
      assert.equal(await objectHash(stack.cos(), bucket, 'ftp-type.txt'), sha256OfBuffer(Buffer.from('a\r\nb')));
      assert.equal((await s.send('TYPE A N')).code, 200);
      const down = await s.startTransfer('RETR ftp-type.txt');
      const chunks: Buffer[] = [];
      down.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => down.once('end', resolve));
      assert.equal((await s.read()).code, 226);
      assert.equal(Buffer.concat(chunks).toString(), 'a\r\nb', 'TYPE A N converts line endings like TYPE A');
    } finally {
      s.close();
    }
  });

  test('REST+RETR resumes a download; a missing file is refused before 150', async () => {
    const data = await seededBytes('retr', 3 * PART + 1);
    await putBytes(stack.cos(), bucket, 'ftp-retr.bin', data);
    const client = await front.ftp();
    try {
      const { sink, digest } = hashingSink();
      await client.downloadTo(sink, 'ftp-retr.bin', PART + 7);
      assert.equal(digest(), sha256OfBuffer(data.subarray(PART + 7)));
    } finally {
      client.close();
    }
    const s = await raw();
    try {
      const d = await s.openData();
      const r = await s.send('RETR ftp-missing.bin');
      assert.equal(r.code, 550);
      d.destroy();
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
  });

  test('a client that closes or resets the data connection mid-download: 426, COS request freed, session goes on', async () => {
    await putBytes(stack.cos(), bucket, 'ftp-dl.bin', await seededBytes('dl', 12 * PART));
    for (const how of ['close', 'reset', 'ABOR'] as const) {
      const s = await raw();
      try {
        const data = await s.startTransfer('RETR ftp-dl.bin');
        let got = 0;
        await new Promise<void>((resolve) => {
          data.on('data', (c: Buffer) => {
            got += c.length;
            if (got > PART) {
              data.pause();
              resolve();
            }
          });
        });
        if (how === 'close') data.destroy();
        else if (how === 'reset') data.resetAndDestroy();
        else s.control.socket.write('ABOR\r\n');
        assert.equal((await s.read()).code, 426);
        if (how === 'ABOR') {
          assert.equal((await s.read()).code, 226);
          data.destroy();
        }
        assert.equal((await s.send('NOOP')).code, 200);
        await waitFor(() => stack.gateway.context.stats.transfers === 0);
      } finally {
        s.close();
      }
    }
  });
});
