// The gateway against COS's failure shapes, each produced by the local store: listings that lag behind writes,
// short pages, refused key names, copy preconditions, per-key Delete Multiple errors, clock skew, errors inside a
// 200, objects without CRC-64 (issue: real-COS fidelity).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { PIECES_FOR_5_GIB, PIECE_BYTES, assembleFromPieces } from '../helpers/big-object';
import { type Stack, startStack } from '../helpers/stack';
import { fastRetries, openUploads, sha256OfBuffer, waitFor } from '../transfer/helpers';
import { copyLimits } from '../../src/filesystem/rename';
import { RawFtp } from './raw';
import { getObject, keysUnder, putObject, seedMany } from './helpers';

const BUCKET = 'bucket1-1250000000';
const MIB = 1024 * 1024;

/** Log lines the gateway wrote, parsed. */
const logLines: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'info', base: undefined },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);

let stack: Stack;
before(async () => {
  fastRetries();
  stack = await startStack({ transfer: { minPartSize: MIB, singleFileMaxSize: 64 * MIB }, logger });
});
after(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.store.faults.clear();
});

const cos = (): ReturnType<Stack['cos']> => stack.cos();
const raw = (): Promise<RawFtp> => RawFtp.open(stack.ftpPort, 'user1', 'pass1');

async function upload(name: string, body: Buffer): Promise<void> {
  const c = await stack.ftp();
  try {
    await c.uploadFrom(Readable.from([body]), name);
  } finally {
    c.close();
  }
}

describe('listing after a write (GET Bucket is eventually consistent)', () => {
  test('MKD a; CWD a; STOR a/x; RNFR a; RNTO b: b/x exists and nothing is left under a/', async () => {
    // Everything written from here on stays out of listings for a minute.
    stack.store.faults.add({ op: 'GetBucket', count: Infinity, action: { hideYoungerThanMs: 60_000 } });
    const s = await raw();
    try {
      assert.equal((await s.send('MKD /ec-a')).code, 257);
      assert.equal((await s.send('CWD /ec-a')).code, 250);
      assert.equal((await s.upload('STOR x', 'fresh bytes')).final?.code, 226);
      assert.equal((await s.send('CWD /')).code, 250);
      assert.equal((await s.send('RNFR /ec-a')).code, 350);
      assert.equal((await s.send('RNTO /ec-b')).code, 250);
    } finally {
      s.close();
    }
    stack.store.faults.clear();
    assert.equal((await getObject(cos(), BUCKET, 'ec-b/x'))?.toString(), 'fresh bytes');
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'ec-a/'), []);
  });

  test('RMD of a folder whose only file is not listed yet is refused; the file stays', async () => {
    const s = await raw();
    try {
      assert.equal((await s.send('MKD /ec-r')).code, 257);
      stack.store.faults.add({ op: 'GetBucket', count: Infinity, action: { hideYoungerThanMs: 60_000 } });
      assert.equal((await s.upload('STOR /ec-r/child', 'child')).final?.code, 226);
      const rmd = await s.send('RMD /ec-r');
      assert.equal(rmd.code, 550, rmd.text);
      assert.match(rmd.text, /not empty/);
    } finally {
      s.close();
    }
    stack.store.faults.clear();
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'ec-r/'), ['ec-r/', 'ec-r/child']);
  });
});

describe('listing after a delete (deleted keys linger in GET Bucket)', () => {
  test('a file this server deleted is not listed; a folder rename skips a file another tool deleted', async () => {
    for (const k of ['lg/', 'lg/x', 'lg/y', 'lg2/', 'lg2/a', 'lg2/b']) await putObject(cos(), BUCKET, k, k);
    stack.store.faults.add({ op: 'GetBucket', count: Infinity, action: { lingerDeletedMs: 60_000 } });
    const s = await raw();
    try {
      assert.equal((await s.send('DELE /lg/x')).code, 250);
      assert.deepEqual(await s.lines('NLST /lg'), ['/lg/y']);
      // Still hidden on the next listing: confirming the delete must not forget it.
      assert.deepEqual(await s.lines('NLST /lg'), ['/lg/y']);
      // Another tool deletes lg2/b: this server cannot know, the listing still shows it, the copy finds it gone.
      await cos().deleteObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: 'lg2/b' });
      assert.equal((await s.send('RNFR /lg2')).code, 350);
      const r = await s.send('RNTO /lg3');
      assert.equal(r.code, 250, r.text);
    } finally {
      s.close();
    }
    stack.store.faults.clear();
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'lg2'), []);
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'lg3/'), ['lg3/', 'lg3/a']);
  });
});

describe('short listing pages', () => {
  test('an empty first page with IsTruncated does not make a folder look missing (CWD, RNFR, LIST)', async () => {
    await putObject(cos(), BUCKET, 'sp/', '');
    await putObject(cos(), BUCKET, 'sp/one', '1');
    await putObject(cos(), BUCKET, 'sp/two', '2');
    const s = await raw();
    try {
      stack.store.faults.add({ op: 'GetBucket', count: 1, action: { shortPage: 0 } });
      assert.equal((await s.send('CWD /sp')).code, 250);
      stack.store.faults.add({ op: 'GetBucket', count: 1, action: { shortPage: 0 } });
      assert.equal((await s.send('RNFR /sp')).code, 350);
      assert.equal((await s.send('ABOR')).code, 226);
      stack.store.faults.add({ op: 'GetBucket', count: 2, action: { shortPage: 1 } });
      assert.deepEqual((await s.lines('NLST /sp')).sort(), ['/sp/one', '/sp/two']);
      stack.store.faults.add({ op: 'GetBucket', count: 3, action: { shortPage: 0 } });
      assert.equal((await s.send('CWD /sp')).code, 250);
    } finally {
      s.close();
    }
  });
});

describe('key names COS refuses', () => {
  test('STOR of a name with 0x18-0x1B or over 850 bytes is refused before any byte moves', async () => {
    const s = await raw();
    try {
      stack.store.resetRequestCounts();
      for (const name of ['bad\x18name', 'bad\x1bname', 'n'.repeat(851)]) {
        const r = await s.upload(`STOR ${name}`, 'x');
        assert.equal(r.first.code, 553, `${JSON.stringify(name.slice(0, 12))}: ${r.first.text}`);
      }
      assert.deepEqual(stack.store.requestCounts(), {});
    } finally {
      s.close();
    }
  });

  test('a folder rename that would push a nested key past 850 bytes is refused before the first copy', async () => {
    const leaf = 'l'.repeat(830);
    await putObject(cos(), BUCKET, 'k/', '');
    await putObject(cos(), BUCKET, `k/${leaf}`, 'long');
    await putObject(cos(), BUCKET, 'k/short', 'short');
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR /k')).code, 350);
      stack.store.resetRequestCounts();
      const r = await s.send(`RNTO /${'k'.repeat(30)}`);
      assert.equal(r.code, 553, r.text);
      assert.equal(stack.store.requestCounts().PutObjectCopy ?? 0, 0);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'k'), ['k/', `k/${leaf}`, 'k/short']);
  });
});

describe('copy preconditions', () => {
  test('APPE while another session overwrites the file: 451, and the other session\'s content is intact', async () => {
    const old = Buffer.alloc(2 * MIB, 1);
    await putObject(cos(), BUCKET, 'appe.bin', old);
    // The APPE's copy of the existing bytes waits until the other session has replaced the file.
    stack.store.faults.add({ op: 'UploadPartCopy', key: 'appe.bin', action: { stallMs: 400 } });
    stack.store.resetRequestCounts();
    const s = await raw();
    try {
      const appe = s.upload('APPE appe.bin', 'appended');
      await waitFor(() => (stack.store.requestCounts().UploadPartCopy ?? 0) > 0);
      const theirs = Buffer.from('the other session wrote this');
      await upload('appe.bin', theirs);
      const r = await appe;
      // The old bytes are copied before 150, so the refusal is the first reply.
      const reply = r.final ?? r.first;
      assert.equal(reply.code, 451, reply.text);
      assert.match(reply.text, /changed|PreconditionFailed/);
    } finally {
      s.close();
    }
    assert.equal((await getObject(cos(), BUCKET, 'appe.bin'))?.toString(), 'the other session wrote this');
    assert.deepEqual(await openUploads(cos(), BUCKET), []);
  });
});

describe('Delete Multiple per-key errors', () => {
  test('a folder rename whose Delete Multiple fails one key ends 451 with no key lost', async () => {
    for (const k of ['dm/', 'dm/a', 'dm/b', 'dm/c']) await putObject(cos(), BUCKET, k, k);
    stack.store.faults.add({ op: 'DeleteMultipleObjects', action: { failKeys: '^dm/b$', code: 'InternalError' } });
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR /dm')).code, 350);
      const r = await s.send('RNTO /dm2');
      assert.equal(r.code, 451, r.text);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'dm/'), ['dm/b']);
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'dm2/'), ['dm2/', 'dm2/a', 'dm2/b', 'dm2/c']);
    assert.equal((await getObject(cos(), BUCKET, 'dm2/b'))?.toString(), 'dm/b');
  });
});

describe('clean-up failures are reported', () => {
  test('a multipart copy (rename) that fails and whose Abort fails too: 451, source kept, an error line with the upload id', async () => {
    const body = Buffer.alloc(3 * MIB + 5, 7);
    await putObject(cos(), BUCKET, 'mpfail/big.bin', body);
    const saved = { ...copyLimits };
    copyLimits.singleCopyMaxBytes = MIB;
    copyLimits.partBytes = MIB;
    const target = 'mpfail/moved.bin';
    stack.store.faults.add({ op: 'UploadPartCopy', key: target, count: Infinity, action: { status: 500, code: 'InternalError' } });
    stack.store.faults.add({ op: 'AbortMultipartUpload', key: target, count: Infinity, action: { status: 500, code: 'InternalError' } });
    const from = logLines.length;
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR /mpfail/big.bin')).code, 350);
      const r = await s.send(`RNTO /${target}`);
      assert.equal(r.code, 451, r.text);
    } finally {
      Object.assign(copyLimits, saved);
      stack.store.faults.clear();
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'mpfail/'), ['mpfail/big.bin']);
    // The upload is really left open, and the error line names what an operator needs to abort it.
    const open = await cos().multipartList({ ...stack.bucket(), Prefix: 'mpfail/' } as Parameters<ReturnType<typeof cos>['multipartList']>[0]);
    const uploads = (open as unknown as { Upload?: Array<{ Key: string; UploadId: string }> }).Upload ?? [];
    assert.equal(uploads.length, 1);
    const line = logLines.slice(from).find((l) => l.uploadId === uploads[0].UploadId);
    assert.ok(line, `an error line names upload ${uploads[0].UploadId}: ${JSON.stringify(logLines.slice(from))}`);
    assert.equal(line.level, 50);
    assert.equal(line.key, target);
    await cos().multipartAbort({ ...stack.bucket(), Key: target, UploadId: uploads[0].UploadId });
    assert.deepEqual(await openUploads(cos(), BUCKET), []);
  });
});

describe('clock skew', () => {
  test('one UploadPart answered RequestTimeTooSkewed: the upload still succeeds', async () => {
    const body = Buffer.alloc(3 * MIB + 5, 3);
    stack.store.faults.add({ op: 'UploadPart', action: { status: 403, code: 'RequestTimeTooSkewed' } });
    await upload('skew-part.bin', body);
    assert.equal(sha256OfBuffer((await getObject(cos(), BUCKET, 'skew-part.bin')) as Buffer), sha256OfBuffer(body));
  });

  test('a store clock an hour off: STOR (one PUT and multipart) and RETR work once the offset is learnt', async () => {
    const small = Buffer.from('small file under skew');
    const big = Buffer.alloc(2 * MIB + 1, 9);
    const separate = await startStack({ transfer: { minPartSize: MIB } });
    try {
      separate.store.faults.add({ op: '*', count: Infinity, action: { clockSkewMs: -3_600_000 } });
      const c = await separate.ftp();
      try {
        await c.uploadFrom(Readable.from([small]), 'small.txt');
        await c.uploadFrom(Readable.from([big]), 'big.bin');
        const chunks: Buffer[] = [];
        const sink = new (await import('node:stream')).Writable({
          write(chunk: Buffer, _e, cb) {
            chunks.push(chunk);
            cb();
          },
        });
        await c.downloadTo(sink, 'big.bin');
        assert.equal(sha256OfBuffer(Buffer.concat(chunks)), sha256OfBuffer(big));
      } finally {
        c.close();
      }
    } finally {
      await separate.close();
    }
  });
});

describe('errors inside a 200', () => {
  test('a rename whose Copy answers 200 with AccessDenied is a 550, not 451 "try again"', async () => {
    await putObject(cos(), BUCKET, 'denied.txt', 'd');
    stack.store.faults.add({ op: 'PutObjectCopy', count: Infinity, action: { status: 403, code: 'AccessDenied', in200: true } });
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR denied.txt')).code, 350);
      const r = await s.send('RNTO denied2.txt');
      assert.equal(r.code, 550, r.text);
      assert.match(r.text, /AccessDenied|permission/i);
    } finally {
      s.close();
    }
    stack.store.faults.clear();
    assert.equal((await getObject(cos(), BUCKET, 'denied.txt'))?.toString(), 'd');
    assert.equal(await getObject(cos(), BUCKET, 'denied2.txt'), undefined);
  });

  test('a Complete that answers 200 at once and its result after spaces: the upload is stored', async () => {
    const body = Buffer.alloc(2 * MIB + 3, 4);
    stack.store.faults.add({ op: 'CompleteMultipartUpload', action: { slowCompleteMs: 300 } });
    await upload('slow-complete.bin', body);
    assert.equal(sha256OfBuffer((await getObject(cos(), BUCKET, 'slow-complete.bin')) as Buffer), sha256OfBuffer(body));
  });

  test('a Complete that answers 200 and then an InternalError after spaces is retried; nothing left open', async () => {
    const body = Buffer.alloc(2 * MIB + 3, 5);
    stack.store.faults.add({ op: 'CompleteMultipartUpload', action: { status: 500, code: 'InternalError', in200: true } });
    await upload('complete-500.bin', body);
    assert.equal(sha256OfBuffer((await getObject(cos(), BUCKET, 'complete-500.bin')) as Buffer), sha256OfBuffer(body));
    assert.deepEqual(await openUploads(cos(), BUCKET), []);
  });
});

describe('objects without CRC-64', () => {
  test('RETR, REST+RETR and APPE work, and the log says the bytes could not be verified', async () => {
    const body = Buffer.from('an object from before COS kept CRC-64');
    stack.store.faults.add({ op: 'PutObject', key: 'nocrc.txt', action: { withoutCrc64: true } });
    await putObject(cos(), BUCKET, 'nocrc.txt', body);
    logLines.length = 0;
    const s = await raw();
    try {
      const got = await s.data('RETR nocrc.txt');
      assert.equal(got.final?.code, 226);
      assert.equal(got.text, body.toString());
      assert.match(got.final?.text ?? '', /not verified/i);
      assert.equal((await s.send('REST 10')).code, 350);
      const tail = await s.data('RETR nocrc.txt');
      assert.equal(tail.text, body.subarray(10).toString());
      stack.store.faults.add({ op: 'PutObject', key: 'nocrc.txt', action: { withoutCrc64: true } });
      assert.equal((await s.upload('APPE nocrc.txt', '+more')).final?.code, 226);
    } finally {
      s.close();
    }
    assert.equal((await getObject(cos(), BUCKET, 'nocrc.txt'))?.toString(), `${body.toString()}+more`);
    assert.ok(
      logLines.some((l) => /not verified/i.test(String(l.msg))),
      `a log line says so: ${JSON.stringify(logLines.map((l) => l.msg))}`,
    );
  });
});

describe('listing scenarios with the store over HTTPS', () => {
  let tlsStack: Stack;
  before(async () => {
    tlsStack = await startStack({ storeTls: true, maxListFile: 5000 });
  });
  after(async () => {
    await tlsStack?.close();
  });

  test('a directory of 2,500 entries lists completely over HTTPS; CWD, MLSD, folder rename and RMD work', async () => {
    assert.match(tlsStack.store.url, /^https:/);
    await seedMany(tlsStack.cos(), BUCKET, 'big/', 2500);
    const s = await RawFtp.open(tlsStack.ftpPort, 'user1', 'pass1');
    try {
      tlsStack.store.resetRequestCounts();
      const names = await s.lines('NLST /big');
      assert.equal(names.length, 2500);
      assert.deepEqual(tlsStack.store.requestCounts(), { GetBucket: 3 });
      assert.equal((await s.lines('LIST /big')).length, 2500);
      assert.equal((await s.send('MKD /t')).code, 257);
      assert.equal((await s.send('CWD /t')).code, 250);
      assert.equal((await s.upload('STOR f', 'over tls')).final?.code, 226);
      assert.match((await s.lines('MLSD'))[0], /^type=file;size=8;.*; f$/);
      assert.equal((await s.send('CWD /')).code, 250);
      assert.equal((await s.send('RNFR /t')).code, 350);
      assert.equal((await s.send('RNTO /u')).code, 250);
      assert.equal((await s.send('RMD /u')).code, 550);
      assert.equal((await s.send('DELE /u/f')).code, 250);
      assert.equal((await s.send('RMD /u')).code, 250);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(tlsStack.cos(), BUCKET, 't'), []);
    assert.deepEqual(await keysUnder(tlsStack.cos(), BUCKET, 'u'), []);
  });

  test('a listing whose data connection the client drops mid-way ends 426 and the session goes on', async () => {
    // The store answers each page slowly, so the client can leave during the second.
    tlsStack.store.faults.add({ op: 'GetBucket', count: 3, action: { stallMs: 150 } });
    const s = await RawFtp.open(tlsStack.ftpPort, 'user1', 'pass1');
    try {
      const epsv = await s.send('EPSV');
      const port = Number(/\(\|\|\|(\d+)\|\)/.exec(epsv.text)?.[1]);
      const data = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => data.once('connect', () => resolve()));
      data.once('data', () => data.destroy());
      const first = await s.send('LIST /big');
      assert.equal(first.code, 150);
      const final = await s.read();
      assert.ok([426, 451].includes(final.code), final.text);
      assert.equal((await s.send('NOOP')).code, 200);
      assert.equal((await s.lines('NLST /big')).length, 2500);
    } finally {
      s.close();
    }
  });
});

describe('size limits at the real boundary (store on disk)', () => {
  let diskStack: Stack;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cosftp-5g-'));
    diskStack = await startStack({ storeDataDir: dataDir });
    const c = diskStack.cos();
    const at = diskStack.bucket();
    // 5 GiB objects made of shared 64 MiB pieces (hard links): see test/helpers/big-object.ts.
    await c.putObject({ ...at, Key: 'piece', Body: Buffer.alloc(PIECE_BYTES, 3) });
    await c.putObject({ ...at, Key: 'one', Body: 'z' });
    await assembleFromPieces(c, at, 'five.bin', 'piece', PIECES_FOR_5_GIB);
  });
  after(async () => {
    await diskStack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const headOf = async (key: string): Promise<Record<string, string>> =>
    (await diskStack.cos().headObject({ ...diskStack.bucket(), Key: key })).headers as Record<string, string>;

  test('a file of exactly 5 GiB is renamed with one PUT Object - Copy', async () => {
    const before = await headOf('five.bin');
    const s = await RawFtp.open(diskStack.ftpPort, 'user1', 'pass1');
    try {
      diskStack.store.resetRequestCounts();
      assert.equal((await s.send('RNFR five.bin')).code, 350);
      assert.equal((await s.send('RNTO five-renamed.bin')).code, 250);
      assert.deepEqual(diskStack.store.requestCounts(), { HeadObject: 1, PutObjectCopy: 1, DeleteObject: 1 });
    } finally {
      s.close();
    }
    const after = await headOf('five-renamed.bin');
    assert.equal(after['content-length'], String(5 * 1024 ** 3));
    assert.equal(after['x-cos-hash-crc64ecma'], before['x-cos-hash-crc64ecma']);
  });

  // Copies 5 GiB through the store's disk (Upload Part - Copy of ranges): minutes, so only on request.
  test('a file of 5 GiB + 1 is renamed with Upload Part - Copy (SLOW_TESTS=1)', { skip: !process.env.SLOW_TESTS && 'set SLOW_TESTS=1' }, async () => {
    await assembleFromPieces(diskStack.cos(), diskStack.bucket(), 'over.bin', 'piece', PIECES_FOR_5_GIB, 'one');
    const before = await headOf('over.bin');
    const s = await RawFtp.open(diskStack.ftpPort, 'user1', 'pass1');
    try {
      diskStack.store.resetRequestCounts();
      assert.equal((await s.send('RNFR over.bin')).code, 350);
      assert.equal((await s.send('RNTO over-renamed.bin', 600_000)).code, 250);
      const counts = diskStack.store.requestCounts();
      assert.equal(counts.PutObjectCopy ?? 0, 0);
      assert.ok((counts.UploadPartCopy ?? 0) >= 11, JSON.stringify(counts));
    } finally {
      s.close();
    }
    const after = await headOf('over-renamed.bin');
    assert.equal(after['content-length'], String(5 * 1024 ** 3 + 1));
    assert.equal(after['x-cos-hash-crc64ecma'], before['x-cos-hash-crc64ecma']);
  });
});

describe('the wrong region', () => {
  test('an account whose cos_region is not its bucket\'s gets 550 naming the missing bucket, as on COS', async () => {
    const wrong = await startStack({ accounts: [{ region: 'ap-beijing' }] });
    try {
      const s = await RawFtp.open(wrong.ftpPort, 'user1', 'pass1');
      try {
        const r = await s.data('LIST /');
        assert.equal(r.first.code, 550, r.first.text);
        assert.match(r.first.text, /bucket does not exist/);
      } finally {
        s.close();
      }
    } finally {
      await wrong.close();
    }
  });
});
