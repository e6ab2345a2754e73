// How many COS requests each FTP command costs, counted by the local store (exact numbers, not timings). The
// assertions guard against N+1 regressions (a HEAD per listed entry, a HEAD before a GET that answers anyway); the
// table is printed for README.md ("COS requests per FTP command").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { RawFtp } from './raw';
import { keysUnder, putObject, seedMany } from './helpers';

const BUCKET = 'bucket1-1250000000';
/** Entries of the big directory: three GetBucket pages of 1000. */
const N = 2500;
const MIB = 1024 * 1024;

type Counts = Record<string, number>;

interface Row {
  command: string;
  counts: Counts;
}

const rows: Row[] = [];
let stack: Stack;
let ftp: RawFtp;

before(async () => {
  // 1 MiB parts, so that a multipart upload is cheap to measure.
  stack = await startStack({ maxListFile: 10_000, transfer: { minPartSize: MIB } });
  const cos = stack.cos();
  await seedMany(cos, BUCKET, 'big/', N);
  await seedMany(cos, BUCKET, 'tree/', 1200);
  await putObject(cos, BUCKET, 'tree/', '');
  await putObject(cos, BUCKET, 'file.txt', 'hello costs');
  await putObject(cos, BUCKET, 'small/', '');
  await putObject(cos, BUCKET, 'small/a', 'a');
  await putObject(cos, BUCKET, 'small/b', 'b');
  await putObject(cos, BUCKET, 'empty/', '');
  await putObject(cos, BUCKET, 'full/x', 'x');
  // Folders in folders; `loose*` have no marker (written by another tool), so removing their last key keeps them.
  await putObject(cos, BUCKET, 'nest/', '');
  await putObject(cos, BUCKET, 'nest/a.txt', 'a');
  await putObject(cos, BUCKET, 'nest/b.txt', 'b');
  await putObject(cos, BUCKET, 'nest/empty/', '');
  await putObject(cos, BUCKET, 'loose/only.txt', 'only');
  await putObject(cos, BUCKET, 'loose-dir/sub/', '');
  await putObject(cos, BUCKET, 'loose-move/f.txt', 'f');
  ftp = await RawFtp.open(stack.ftpPort, 'user1', 'pass1');
});

after(async () => {
  ftp?.close();
  await stack?.close();
});

/** The store's requests made while `action` runs (the session is idle before and after). */
async function measure(command: string, action: () => Promise<void>): Promise<Counts> {
  stack.store.resetRequestCounts();
  await action();
  const counts = stack.store.requestCounts();
  rows.push({ command, counts });
  return counts;
}

async function expectReply(line: string, code: number, timeoutMs?: number): Promise<void> {
  const r = await ftp.send(line, timeoutMs);
  assert.equal(r.code, code, `${line}: ${r.text}`);
}

async function expectListing(line: string, entries: number): Promise<void> {
  const lines = await ftp.lines(line);
  assert.equal(lines.length, entries, line);
}

const total = (c: Counts): number => Object.values(c).reduce((a, b) => a + b, 0);

function table(): string {
  const out = ['| FTP command | COS requests | Total |', '|---|---|---|'];
  for (const r of rows) {
    const parts = Object.entries(r.counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${n}`);
    out.push(`| ${r.command} | ${parts.join(', ') || 'none'} | ${total(r.counts)} |`);
  }
  return out.join('\n');
}

describe('COS requests per FTP command', () => {
  test('navigation: CWD one GetBucket (the root none), CDUP likewise, PWD none', async () => {
    assert.deepEqual(await measure('PWD', () => expectReply('PWD', 257)), {});
    assert.deepEqual(await measure('CWD dir', () => expectReply('CWD small', 250)), { GetBucket: 1 });
    assert.deepEqual(await measure('CDUP (to the root)', () => expectReply('CDUP', 250)), {});
    assert.deepEqual(await measure('CWD /', () => expectReply('CWD /', 250)), {});
    assert.deepEqual(await measure('CWD missing dir (550)', () => expectReply('CWD nowhere', 550)), { GetBucket: 1 });
  });

  test('listings: one GetBucket per 1000 entries, no HEAD per entry', async () => {
    const pages = Math.ceil(N / 1000);
    assert.deepEqual(await measure(`LIST dir of ${N} entries`, () => expectListing('LIST big', N)), { GetBucket: pages });
    assert.deepEqual(await measure(`NLST dir of ${N} entries`, () => expectListing('NLST big', N)), { GetBucket: pages });
    assert.deepEqual(await measure(`MLSD dir of ${N} entries`, () => expectListing('MLSD big', N)), { GetBucket: pages });
    assert.deepEqual(await measure('LIST dir of 2 entries', () => expectListing('LIST -la small', 2)), { GetBucket: 1 });
    assert.deepEqual(await measure('LIST of a file', () => expectListing('LIST file.txt', 1)), { GetBucket: 1, HeadObject: 1 });
    // A wildcard (tnftp's mget): the literal name is looked for first, then the matches are listed with the
    // pattern's literal start as the GetBucket prefix.
    const glob = await measure(`NLST big/f1* (wildcard, 1000 matches in ${N})`, () => expectListing('NLST big/f1*', 1000));
    assert.deepEqual(glob, { GetBucket: 2, HeadObject: 1 });
    // listing_mtime (off by default): a HEAD per file for the times clients set with MFMT; none for NLST.
    stack.config.listingMtime = true;
    try {
      assert.deepEqual(await measure('LIST dir of 2 files, listing_mtime = true', () => expectListing('LIST small', 2)), { GetBucket: 1, HeadObject: 2 });
      assert.deepEqual(await measure('NLST dir of 2 files, listing_mtime = true', () => expectListing('NLST small', 2)), { GetBucket: 1 });
    } finally {
      stack.config.listingMtime = false;
    }
    const stat = await measure('STAT dir of 2 entries', async () => {
      const r = await ftp.send('STAT small');
      assert.equal(r.code, 212, r.text);
    });
    assert.deepEqual(stat, { GetBucket: 1 });
  });

  test('single objects: SIZE, MDTM, MLST of a file one HEAD; MLST of a directory', async () => {
    assert.deepEqual(await measure('SIZE', () => expectReply('SIZE file.txt', 213)), { HeadObject: 1 });
    assert.deepEqual(await measure('MDTM', () => expectReply('MDTM file.txt', 213)), { HeadObject: 1 });
    assert.deepEqual(await measure('MLST file', () => expectReply('MLST file.txt', 250)), { HeadObject: 1 });
    // A file `small` and a directory `small/` may both exist; the file is looked for first.
    assert.deepEqual(await measure('MLST dir', () => expectReply('MLST small', 250)), { HeadObject: 1, GetBucket: 1 });
    assert.deepEqual(await measure('MLST dir/ (named as a directory)', () => expectReply('MLST small/', 250)), { GetBucket: 1 });
    // A time a client sets is kept as metadata: a copy of the object onto itself (see src/filesystem/mtime.ts).
    const mfmt = await measure('MFMT (or MDTM time path)', () => expectReply('MFMT 20200102030405 file.txt', 213));
    assert.deepEqual(mfmt, { HeadObject: 1, PutObjectCopy: 1 });
    assert.deepEqual(await measure('SITE CHMOD file', () => expectReply('SITE CHMOD 644 file.txt', 200)), { HeadObject: 1 });
    assert.deepEqual(await measure('SITE CHMOD dir', () => expectReply('SITE CHMOD 755 small', 200)), { HeadObject: 1, GetBucket: 1 });
  });

  test('transfers: STOR of a small file one PUT, RETR one GET', async () => {
    const stor = await measure('STOR small file', async () => {
      const r = await ftp.upload('STOR up.txt', 'uploaded');
      assert.equal(r.final?.code, 226, r.final?.text);
    });
    assert.deepEqual(stor, { PutObject: 1 });
    const retr = await measure('RETR', async () => {
      const r = await ftp.data('RETR up.txt');
      assert.equal(r.final?.code, 226, r.final?.text);
      assert.equal(r.text, 'uploaded');
    });
    assert.deepEqual(retr, { GetObject: 1 });
    // A proxy that re-frames the answer as chunks leaves out its length: one HEAD says the size.
    stack.store.faults.add({ op: 'GetObject', key: 'up.txt', action: { chunked: true } });
    const chunked = await measure('RETR, answer chunked by a proxy', async () => {
      const r = await ftp.data('RETR up.txt');
      assert.equal(r.final?.code, 226, r.final?.text);
      assert.equal(r.text, 'uploaded');
    });
    assert.deepEqual(chunked, { GetObject: 1, HeadObject: 1 });
    const multipart = await measure('STOR of 2.5 parts (multipart)', async () => {
      const r = await ftp.upload('STOR big.bin', Buffer.alloc(2.5 * MIB, 7));
      assert.equal(r.final?.code, 226, r.final?.text);
    });
    assert.deepEqual(multipart, { InitiateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1 });
  });

  test('directories: MKD, RMD empty and non-empty', async () => {
    assert.deepEqual(await measure('MKD', () => expectReply('MKD made', 257)), { GetBucket: 1, PutObject: 1 });
    assert.deepEqual(await measure('RMD empty dir', () => expectReply('RMD empty', 250)), { GetBucket: 1, DeleteObject: 1 });
    assert.deepEqual(await measure('RMD non-empty dir (550)', () => expectReply('RMD full', 550)), { GetBucket: 1 });
    // Below the root: the parent must exist (MKD), and must not vanish with its last key (RMD: see docs/folders.md).
    assert.deepEqual(await measure('MKD dir/sub', () => expectReply('MKD nest/made', 257)), { GetBucket: 2, PutObject: 1 });
    assert.deepEqual(await measure('MKD a/b without a (550)', () => expectReply('MKD none/made', 550)), { GetBucket: 2 });
    assert.deepEqual(await measure('RMD dir/sub', () => expectReply('RMD nest/empty', 250)), { GetBucket: 2, DeleteObject: 1 });
    const last = await measure('RMD dir/sub, the last thing in a folder without a marker', () => expectReply('RMD loose-dir/sub', 250));
    assert.deepEqual(last, { GetBucket: 2, PutObject: 1, DeleteObject: 1 });
    assert.deepEqual(await keysUnder(stack.cos(), BUCKET, 'loose-dir'), ['loose-dir/']);
  });

  test('rename and delete: a file copy + delete; a directory one copy per key, one Delete Multiple per 1000', async () => {
    const file = await measure('RNFR+RNTO file', async () => {
      await expectReply('RNFR up.txt', 350);
      await expectReply('RNTO moved.txt', 250);
    });
    assert.deepEqual(file, { HeadObject: 1, PutObjectCopy: 1, DeleteObject: 1 });

    const keys = 1201; // the marker and 1200 files: two pages
    const dir = await measure(`RNFR+RNTO dir of ${keys} keys`, async () => {
      await expectReply('RNFR tree', 350);
      await expectReply('RNTO tree2', 250, 60_000); // 1201 copies: more than the default 10 s on a loaded machine
    });
    // RNFR: HEAD (a file `tree`?) + GetBucket; RNTO: GetBucket (target empty?) + 2 listing pages, copies, deletes.
    assert.deepEqual(dir, { HeadObject: 1, GetBucket: 1 + 1 + 2, PutObjectCopy: keys, DeleteMultipleObjects: 2 });
    assert.equal((await keysUnder(stack.cos(), BUCKET, 'tree2/')).length, keys);
    assert.deepEqual(await keysUnder(stack.cos(), BUCKET, 'tree/'), []);

    assert.deepEqual(await measure('DELE', () => expectReply('DELE moved.txt', 250)), { HeadObject: 1, DeleteObject: 1 });
    assert.deepEqual(await measure('DELE missing file (550)', () => expectReply('DELE moved.txt', 550)), { HeadObject: 1 });
    const inDir = await measure('DELE dir/file', () => expectReply('DELE nest/a.txt', 250));
    assert.deepEqual(inDir, { HeadObject: 1, GetBucket: 1, DeleteObject: 1 });
    const lastKey = await measure('DELE dir/file, the last key of a folder without a marker', () => expectReply('DELE loose/only.txt', 250));
    assert.deepEqual(lastKey, { HeadObject: 1, GetBucket: 1, PutObject: 1, DeleteObject: 1 });
    assert.deepEqual(await keysUnder(stack.cos(), BUCKET, 'loose/'), ['loose/']);
    const moveOut = await measure('RNFR+RNTO file out of a folder (its last key, no marker)', async () => {
      await expectReply('RNFR loose-move/f.txt', 350);
      await expectReply('RNTO nest/f.txt', 250);
    });
    assert.deepEqual(moveOut, { HeadObject: 1, GetBucket: 1, PutObject: 1, PutObjectCopy: 1, DeleteObject: 1 });
    assert.deepEqual(await keysUnder(stack.cos(), BUCKET, 'loose-move'), ['loose-move/']);
  });

  test('the table', () => {
    console.log(table());
  });
});
