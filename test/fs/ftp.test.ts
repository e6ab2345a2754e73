// The file system through FTP, against the local store: navigation, directories, listings, SIZE/MDTM, rename,
// delete, names, path safety, login, permissions, isolation and protocol hygiene (raw control connection and
// basic-ftp in-process).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import { FTPError } from 'basic-ftp';
import type { Client } from 'basic-ftp';
import { type Stack, startStack } from '../helpers/stack';
import { copyLimits } from '../../src/filesystem/rename';
import { RawFtp } from './raw';
import { getObject, keysUnder, putObject, seedMany, sha256 } from './helpers';

const BUCKET = 'bucket1-1250000000';
const OTHER_BUCKET = 'other-1250000000';

let stack: Stack;

before(async () => {
  stack = await startStack({
    maxListFile: 5000,
    accounts: [
      { bucket: BUCKET },
      { userName: 'user2', password: 'pass2', bucket: BUCKET, prefix: 'users/two' },
      { userName: 'ro', password: 'ro-pass', bucket: BUCKET, authority: 'R' },
      { userName: 'wo', password: 'wo-pass', bucket: BUCKET, authority: 'W' },
      { userName: 'nodel', password: 'nodel-pass', bucket: BUCKET, deleteEnable: false },
      { userName: 'other', password: 'other-pass', bucket: OTHER_BUCKET },
    ],
  });
});

after(async () => {
  await stack?.close();
});

const cos = (): ReturnType<Stack['cos']> => stack.cos();
const raw = (user = 'user1'): Promise<RawFtp> => RawFtp.open(stack.ftpPort, user, stack.account(user).password);

async function withFtp<T>(user: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await stack.ftp(user);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function upload(c: Client, name: string, body: string): Promise<void> {
  await c.uploadFrom(Readable.from([Buffer.from(body)]), name);
}

async function download(c: Client, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await c.downloadTo(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb();
      },
    }),
    name,
  );
  return Buffer.concat(parts);
}

async function ftpCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    if (err instanceof FTPError) return err.code;
    throw err;
  }
}

describe('navigation', () => {
  test('PWD, MKD, CWD, CDUP; cd above the root stays at the root; missing directories and files are 550', async () => {
    const s = await raw();
    try {
      assert.match((await s.send('PWD')).text, /^257 "\/"/);
      assert.match((await s.send('MKD nav')).text, /^257 "\/nav" created/);
      assert.equal((await s.send('MKD nav/inner')).code, 257);
      assert.equal((await s.send('CWD nav/inner')).code, 250);
      assert.match((await s.send('PWD')).text, /^257 "\/nav\/inner"/);
      assert.equal((await s.send('CDUP')).code, 250);
      assert.match((await s.send('PWD')).text, /^257 "\/nav"/);
      assert.equal((await s.send('CWD ../../../..')).code, 250);
      assert.match((await s.send('PWD')).text, /^257 "\/"/);
      assert.equal((await s.send('CDUP')).code, 250);
      assert.match((await s.send('PWD')).text, /^257 "\/"/);
      assert.equal((await s.send('CWD /nav/../../nav/./inner/')).code, 250);
      assert.match((await s.send('PWD')).text, /^257 "\/nav\/inner"/);
      const missing = await s.send('CWD /no-such-dir');
      assert.equal(missing.code, 550);
      assert.match(missing.text, /No such directory/);
      await putObject(cos(), BUCKET, 'nav/plain.txt', 'x');
      assert.equal((await s.send('CWD /nav/plain.txt')).code, 550);
      assert.match((await s.send('PWD')).text, /^257 "\/nav\/inner"/, 'a failed CWD keeps the cwd');
      // Without a directory CWD is a syntax error (vsftpd, pyftpdlib), not a change to the root.
      for (const line of ['CWD', 'CWD ']) {
        const bare = await s.send(line);
        assert.equal(bare.code, 501, `${JSON.stringify(line)}: ${bare.text}`);
        assert.match((await s.send('PWD')).text, /^257 "\/nav\/inner"/, `${JSON.stringify(line)} keeps the cwd`);
      }
    } finally {
      s.close();
    }
  });

  test('a directory exists through its marker or through any key under it', async () => {
    await putObject(cos(), BUCKET, 'implicit/deep/file.txt', 'x');
    const s = await raw();
    try {
      assert.equal((await s.send('CWD /implicit')).code, 250);
      assert.equal((await s.send('CWD deep')).code, 250);
      assert.deepEqual(await s.lines('NLST'), ['file.txt']);
      assert.deepEqual(await s.lines('NLST /implicit'), ['/implicit/deep'], 'NLST of a path answers names after it, as vsftpd');
    } finally {
      s.close();
    }
  });
});

describe('directories', () => {
  test('MKD writes the dir/ marker; MKD of an existing directory is 550', async () => {
    const s = await raw();
    try {
      assert.equal((await s.send('MKD mk')).code, 257);
      assert.deepEqual(await keysUnder(cos(), BUCKET, 'mk'), ['mk/']);
      const again = await s.send('MKD mk');
      assert.equal(again.code, 550);
      assert.match(again.text, /already exists/);
    } finally {
      s.close();
    }
  });

  test('a file `a` and a directory `a/` coexist and are both listed', async () => {
    await putObject(cos(), BUCKET, 'both/a', 'file a');
    await putObject(cos(), BUCKET, 'both/a/', '');
    await putObject(cos(), BUCKET, 'both/a/child', 'c');
    const s = await raw();
    try {
      const list = await s.lines('LIST /both');
      assert.equal(list.length, 2);
      assert.ok(list.some((l) => l.startsWith('d') && l.endsWith(' a')));
      assert.ok(list.some((l) => l.startsWith('-') && l.endsWith(' a')));
      const mlsd = await s.lines('MLSD /both');
      assert.deepEqual(mlsd.map((l) => l.split(';')[0]).sort(), ['type=dir', 'type=file']);
      assert.equal((await s.send('SIZE /both/a')).text, '213 6');
      assert.equal((await s.send('CWD /both/a')).code, 250);
      assert.deepEqual(await s.lines('NLST'), ['child']);
    } finally {
      s.close();
    }
  });

  test('RMD refuses a non-empty directory (550, children intact) and removes an empty one', async () => {
    const s = await raw();
    try {
      assert.equal((await s.send('MKD rmd')).code, 257);
      assert.equal((await s.send('MKD rmd/sub')).code, 257);
      await putObject(cos(), BUCKET, 'rmd/sub/keep.txt', 'keep');
      const full = await s.send('RMD rmd/sub');
      assert.equal(full.code, 550);
      assert.match(full.text, /not empty/);
      assert.deepEqual(await keysUnder(cos(), BUCKET, 'rmd/'), ['rmd/', 'rmd/sub/', 'rmd/sub/keep.txt']);
      assert.equal((await s.send('DELE rmd/sub/keep.txt')).code, 250);
      assert.equal((await s.send('RMD rmd/sub')).code, 250);
      assert.deepEqual(await keysUnder(cos(), BUCKET, 'rmd/'), ['rmd/']);
      assert.equal((await s.send('RMD rmd/sub')).code, 550);
      assert.equal((await s.send('RMD /')).code, 550);
      assert.equal((await s.send('RMD rmd')).code, 250);
      assert.deepEqual(await keysUnder(cos(), BUCKET, 'rmd'), []);
    } finally {
      s.close();
    }
  });
});

describe('listings', () => {
  before(async () => {
    await putObject(cos(), BUCKET, 'ls/one.txt', '12345');
    await putObject(cos(), BUCKET, 'ls/sub/', '');
  });

  test('ABOR while a listing or a transfer waits for its data connection: 425 for the command, then 226', async () => {
    const s = await raw();
    try {
      for (const command of ['LIST /ls', 'NLST /ls', 'MLSD /ls', 'RETR /ls/one.txt', 'STOR /ls/never.txt']) {
        assert.equal((await s.send('EPSV')).code, 229);
        s.write(`${command}\r\n`);
        // The command is waiting for a data connection that never comes.
        await new Promise((resolve) => setTimeout(resolve, 100));
        s.write('ABOR\r\n');
        const first = await s.read();
        const second = await s.read();
        assert.deepEqual([first.code, second.code], [425, 226], `${command}: ${first.text} | ${second.text}`);
        assert.equal((await s.send('NOOP')).code, 200, `${command}: one reply each`);
      }
    } finally {
      s.close();
    }
    assert.equal(await getObject(cos(), BUCKET, 'ls/never.txt'), undefined);
  });

  test('LIST accepts -a, -l, -la as options, and lists a file given by name', async () => {
    const s = await raw();
    try {
      // A folder without a marker shows the current time, so two listings may straddle a minute: compare without it.
      const undated = (lines: string[]): string[] => lines.map((l) => l.replace(/ \w{3} [ \d]\d (\d\d:\d\d| \d{4}) /, ' '));
      const plain = undated(await s.lines('LIST /ls'));
      assert.equal(plain.length, 2);
      for (const opt of ['-a', '-l', '-la', '-al', '-a -l']) assert.deepEqual(undated(await s.lines(`LIST ${opt} /ls`)), plain, opt);
      assert.equal((await s.send('CWD /ls')).code, 250);
      assert.deepEqual(undated(await s.lines('LIST -la')), plain);
      const file = await s.lines('LIST one.txt');
      assert.equal(file.length, 1);
      assert.match(file[0], /^-rw-rw-rw- 1 ftp ftp +5 \w{3} [ \d]\d (\d\d:\d\d| \d{4}) one\.txt$/);
      assert.match(plain.find((l) => l.endsWith(' sub')) ?? '', /^drwxrwxrwx/);
      const missing = await s.data('LIST /nope');
      assert.equal(missing.first.code, 550);
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
  });

  test('MLSD and MLST give type, size, modify and perm facts; FEAT advertises MLST', async () => {
    const s = await raw();
    try {
      const feat = await s.send('FEAT');
      assert.match(feat.text, /MLST type\*;size\*;modify\*;perm\*;/);
      assert.match(feat.text, / SIZE/);
      assert.match(feat.text, / MDTM/);
      const mlsd = await s.lines('MLSD /ls');
      const file = mlsd.find((l) => l.endsWith('; one.txt')) ?? '';
      assert.match(file, /^type=file;size=5;modify=\d{14};perm=rawdf; one\.txt$/);
      assert.match(mlsd.find((l) => l.endsWith('; sub')) ?? '', /^type=dir;perm=cdfpelm; sub$/);
      const mlst = await s.send('MLST /ls/one.txt');
      assert.equal(mlst.code, 250);
      assert.match(mlst.text, /\n type=file;size=5;modify=\d{14};perm=rawdf; \/ls\/one\.txt\r?\n250 /);
      assert.match((await s.send('MLST /ls')).text, /type=dir;perm=cdfpelm; \/ls/);
      assert.equal((await s.send('MLST /ls/none')).code, 550);
      assert.equal((await s.data('MLSD /ls/one.txt')).first.code, 501);
      assert.equal((await s.send('OPTS MLST type;size;')).code, 200);
    } finally {
      s.close();
    }
  });

  test('NLST gives names; STAT lists over the control connection', async () => {
    const s = await raw();
    try {
      assert.deepEqual((await s.lines('NLST /ls')).sort(), ['/ls/one.txt', '/ls/sub']);
      assert.deepEqual(await s.lines('NLST ls/one.txt'), ['ls/one.txt'], 'a file path is answered as given');
      assert.deepEqual(await s.lines('NLST -l ./ls/sub/../one.txt'), ['./ls/sub/../one.txt']);
      const stat = await s.send('STAT /ls');
      assert.equal(stat.code, 212);
      assert.match(stat.text, /one\.txt/);
      assert.equal((await s.send('STAT /ls/one.txt')).code, 213);
      assert.equal((await s.send('STAT')).code, 211);
    } finally {
      s.close();
    }
  });

  test('a directory of 2,500 entries is listed completely (LIST, NLST, MLSD, basic-ftp)', async () => {
    await seedMany(cos(), BUCKET, 'big/', 2500);
    const s = await raw();
    try {
      stack.store.resetRequestCounts();
      const list = await s.lines('LIST /big');
      assert.equal(list.length, 2500);
      assert.deepEqual(stack.store.requestCounts(), { GetBucket: 3 }, 'three pages, no HEAD per entry');
      const names = await s.lines('NLST /big');
      assert.equal(new Set(names).size, 2500);
      assert.equal(names[0], '/big/f0000');
      assert.equal(names[2499], '/big/f2499');
      assert.equal((await s.lines('MLSD /big')).length, 2500);
    } finally {
      s.close();
    }
    const files = await withFtp('user1', (c) => c.list('/big'));
    assert.equal(files.length, 2500);
  });
});

describe('SIZE and MDTM', () => {
  test('SIZE and MDTM come from HEAD; MDTM is UTC YYYYMMDDHHMMSS', async () => {
    await putObject(cos(), BUCKET, 'meta/file.bin', Buffer.alloc(1234, 7));
    const head = await cos().headObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: 'meta/file.bin' });
    const lm = new Date(String(head.headers?.['last-modified']));
    const expected = lm.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const s = await raw();
    try {
      assert.equal((await s.send('SIZE /meta/file.bin')).text, '213 1234');
      assert.equal((await s.send('MDTM /meta/file.bin')).text, `213 ${expected}`);
      assert.equal((await s.send('SIZE /meta/missing')).code, 550);
      assert.equal((await s.send('SIZE /meta')).code, 550);
      assert.equal((await s.send('MDTM /meta/missing')).code, 550);
    } finally {
      s.close();
    }
  });
});

describe('rename and delete', () => {
  test('a file: copy then delete; the content is the same; a missing source is 550; RNTO needs RNFR', async () => {
    await withFtp('user1', async (c) => {
      await c.ensureDir('/rn');
      await upload(c, 'before.txt', 'rename me');
      await c.rename('before.txt', 'after 文件.txt');
      assert.equal((await download(c, 'after 文件.txt')).toString(), 'rename me');
      assert.equal(await ftpCode(c.rename('before.txt', 'x')), 550);
      assert.equal(await ftpCode(c.send('RNTO x')), 503);
    });
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'rn/'), ['rn/', 'rn/after 文件.txt']);
  });

  test('an existing target file is replaced (the user may delete)', async () => {
    await putObject(cos(), BUCKET, 'rn2/a', 'new');
    await putObject(cos(), BUCKET, 'rn2/b', 'old');
    await withFtp('user1', (c) => c.rename('/rn2/a', '/rn2/b'));
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'rn2/'), ['rn2/b']);
    assert.equal((await getObject(cos(), BUCKET, 'rn2/b'))?.toString(), 'new');
  });

  test('a directory: every key under it is moved, nested ones too; the cwd follows', async () => {
    for (const k of ['dmv/src/', 'dmv/src/a.txt', 'dmv/src/deep/b.txt', 'dmv/src/deep/c/d.txt']) await putObject(cos(), BUCKET, k, k);
    const s = await raw();
    try {
      assert.equal((await s.send('CWD /dmv/src/deep')).code, 250);
      assert.equal((await s.send('RNFR /dmv/src')).code, 350);
      assert.equal((await s.send('RNTO /dmv/dst')).code, 250);
      assert.match((await s.send('PWD')).text, /"\/dmv\/dst\/deep"/);
      assert.equal((await s.send('RNFR /dmv/dst')).code, 350);
      assert.equal((await s.send('RNTO /dmv/dst/inside')).code, 550, 'not into itself');
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'dmv/'), ['dmv/dst/', 'dmv/dst/a.txt', 'dmv/dst/deep/b.txt', 'dmv/dst/deep/c/d.txt']);
    assert.equal((await getObject(cos(), BUCKET, 'dmv/dst/deep/c/d.txt'))?.toString(), 'dmv/src/deep/c/d.txt');
  });

  test('a directory rename onto a non-empty directory is refused; nothing moves', async () => {
    for (const k of ['dx/a/1', 'dx/b/2']) await putObject(cos(), BUCKET, k, k);
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR /dx/a')).code, 350);
      const r = await s.send('RNTO /dx/b');
      assert.equal(r.code, 550);
      assert.match(r.text, /not empty/);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'dx/'), ['dx/a/1', 'dx/b/2']);
  });

  test('a failed copy during a directory rename loses no source and leaves no partial copy', async () => {
    for (let i = 0; i < 6; i++) await putObject(cos(), BUCKET, `dfail/src/f${i}`, `v${i}`);
    stack.store.faults.add({ op: 'PutObjectCopy', key: /dfail\/dst\/f3$/, count: Infinity, action: { status: 403, code: 'AccessDenied' } });
    const s = await raw();
    try {
      assert.equal((await s.send('RNFR /dfail/src')).code, 350);
      const r = await s.send('RNTO /dfail/dst');
      assert.equal(r.code, 550);
      assert.match(r.text, /nothing was moved/);
    } finally {
      stack.store.faults.clear();
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'dfail/'), [0, 1, 2, 3, 4, 5].map((i) => `dfail/src/f${i}`));
  });

  test('above the single-copy limit a file is copied with Upload Part - Copy', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 9);
    body.write('head', 0);
    await putObject(cos(), BUCKET, 'mpc/big.bin', body);
    const saved = { ...copyLimits };
    copyLimits.singleCopyMaxBytes = 1024 * 1024;
    copyLimits.partBytes = 1024 * 1024;
    try {
      stack.store.resetRequestCounts();
      await withFtp('user1', (c) => c.rename('/mpc/big.bin', '/mpc/moved.bin'));
      const counts = stack.store.requestCounts();
      assert.equal(counts.UploadPartCopy, 4);
      assert.equal(counts.PutObjectCopy ?? 0, 0);
    } finally {
      Object.assign(copyLimits, saved);
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'mpc/'), ['mpc/moved.bin']);
    assert.equal(sha256((await getObject(cos(), BUCKET, 'mpc/moved.bin')) ?? ''), sha256(body));
  });

  test('DELE removes one object; a missing file or a directory is 550', async () => {
    await putObject(cos(), BUCKET, 'del/x', 'x');
    await putObject(cos(), BUCKET, 'del/d/', '');
    const s = await raw();
    try {
      assert.equal((await s.send('DELE /del/x')).code, 250);
      assert.equal((await s.send('DELE /del/x')).code, 550);
      assert.equal((await s.send('DELE /del/d')).code, 550);
      assert.equal((await s.send('DELE /del/d/')).code, 550);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'del/'), ['del/d/']);
  });
});

describe('names and path safety', () => {
  test('spaces, quotes, -x, Korean and Chinese, percent signs survive as literal names', async () => {
    const names = ['with space.txt', 'a "quoted" name.txt', '-x', '한국어 파일.txt', '中文 文件.txt', '%2e%2e', '..%2f..%2fx', "it's", '  lead'];
    await withFtp('user1', async (c) => {
      await c.ensureDir('/names');
      for (const n of names) await upload(c, n, `body of ${n}`);
      const listed = (await c.list()).map((f) => f.name).sort();
      assert.deepEqual(listed, [...names].sort());
      for (const n of names) assert.equal((await download(c, n)).toString(), `body of ${n}`, n);
      assert.equal(await c.size('a "quoted" name.txt'), 'body of a "quoted" name.txt'.length);
    });
    assert.deepEqual((await keysUnder(cos(), BUCKET, 'names/')).sort(), ['names/', ...names.map((n) => `names/${n}`)].sort());
    const s = await raw();
    try {
      assert.equal((await s.send('DELE /names/-x')).code, 250);
      assert.equal((await s.send('MKD /names/"q" dir')).code, 257);
      assert.match((await s.send('CWD /names/"q" dir')).text, /^250/);
      assert.match((await s.send('PWD')).text, /^257 "\/names\/""q"" dir" /);
    } finally {
      s.close();
    }
  });

  test('NUL, LF and invalid UTF-8 in a name are 553; overlong keys are 553', async () => {
    const s = await raw();
    try {
      s.write(Buffer.concat([Buffer.from('MKD bad'), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n')]));
      assert.equal((await s.read()).code, 553);
      s.write(Buffer.from('MKD a\0b\r\n'));
      assert.equal((await s.read()).code, 553);
      s.write(Buffer.from('MKD a\nb\r\n'));
      assert.equal((await s.read()).code, 553);
      s.write(Buffer.concat([Buffer.from('CWD '), Buffer.from([0xc0, 0xaf]), Buffer.from('\r\n')]));
      assert.equal((await s.read()).code, 553);
      assert.equal((await s.send(`MKD ${'k'.repeat(850)}`)).code, 553);
      assert.equal((await s.send(`SIZE ${'한'.repeat(300)}`)).code, 553);
      assert.equal((await s.send(`MKD ${'k'.repeat(849)}`)).code, 257);
      const stor = await s.data(`STOR ${'z'.repeat(851)}`);
      assert.equal(stor.first.code, 553);
    } finally {
      s.close();
    }
    const keys = await keysUnder(cos(), BUCKET, '');
    assert.ok(!keys.some((k) => k.includes('\0') || k.includes('\n') || k.includes('\uFFFD') || k.startsWith('bad')));
  });

  test('.., //, backslashes and absolute paths never leave the root', async () => {
    const s = await raw('user2');
    try {
      for (const p of ['../../escape1', '/../escape2', '..\\..\\escape3', '//..//escape4', 'a/../../../escape5']) {
        assert.equal((await s.send(`MKD ${p}`)).code, 257, p);
      }
    } finally {
      s.close();
    }
    const keys = await keysUnder(cos(), BUCKET, '');
    for (const i of [1, 2, 4, 5]) assert.ok(keys.includes(`users/two/escape${i}/`), `escape${i}`);
    assert.ok(keys.includes('users/two/..\\..\\escape3/'), 'a backslash is part of the name, inside the root');
    assert.ok(!keys.some((k) => /escape/.test(k) && !k.startsWith('users/two/')));
  });
});

describe('login', () => {
  test('a wrong password is 530; USER/PASS again on the same connection succeeds', async () => {
    const s = await RawFtp.open(stack.ftpPort);
    try {
      assert.equal((await s.send('USER user1')).code, 331);
      assert.equal((await s.send('PASS wrong')).code, 530);
      assert.equal((await s.send('PWD')).code, 530);
      assert.equal((await s.send('PASS pass1')).code, 503);
      assert.equal((await s.send('USER nobody')).code, 331);
      assert.equal((await s.send('PASS pass1')).code, 530);
      assert.equal((await s.send('USER user1')).code, 331);
      assert.equal((await s.send('PASS pass1')).code, 230);
      assert.match((await s.send('PWD')).text, /^257 "\/"/);
    } finally {
      s.close();
    }
  });

  test('the third failed login on a connection closes it (vsftpd max_login_fails)', async () => {
    const s = await RawFtp.open(stack.ftpPort);
    try {
      for (let i = 1; i <= 3; i++) {
        assert.equal((await s.send('USER user1')).code, 331);
        const r = await s.send(`PASS wrong${i}`);
        assert.equal(r.code, 530);
        if (i === 3) assert.match(r.text, /too many failures/);
      }
      assert.ok(await s.control.waitClosed(), 'closed by the server');
    } finally {
      s.close();
    }
  });

  test('logging in again as another user switches bucket and prefix', async () => {
    await putObject(cos(), BUCKET, 'users/two/mine.txt', 'two');
    const s = await raw('user1');
    try {
      assert.equal((await s.send('SIZE /users/two/mine.txt')).code, 213);
      assert.equal((await s.send('USER user2')).code, 331);
      assert.equal((await s.send('PASS pass2')).code, 230);
      assert.equal((await s.send('SIZE /mine.txt')).text, '213 3');
      assert.equal((await s.send('SIZE /users/two/mine.txt')).code, 550);
    } finally {
      s.close();
    }
  });
});

describe('permissions and isolation', () => {
  before(async () => {
    await putObject(cos(), BUCKET, 'perm/readable.txt', 'readable');
    await putObject(cos(), BUCKET, 'perm/dir/', '');
  });

  async function expect550(s: RawFtp, line: string, reason: RegExp): Promise<void> {
    const r = line.startsWith('STOR') || line.startsWith('RETR') || line.startsWith('LIST') ? (await s.data(line)).first : await s.send(line);
    assert.equal(r.code, 550, `${line}: ${r.text}`);
    assert.match(r.text, reason, line);
  }

  test('R: reads only', async () => {
    const s = await raw('ro');
    try {
      assert.equal((await s.send('CWD /perm')).code, 250);
      assert.equal((await s.lines('LIST')).length, 2);
      assert.equal((await s.send('SIZE readable.txt')).code, 213);
      assert.equal((await s.data('RETR readable.txt')).text, 'readable');
      for (const line of ['STOR new.txt', 'MKD newdir', 'DELE readable.txt', 'RMD dir', 'RNFR readable.txt']) {
        await expect550(s, line, /Permission denied: this account may not write/);
      }
      const perms = await s.lines('MLSD');
      assert.match(perms.find((l) => l.endsWith('readable.txt')) ?? '', /perm=r;/);
    } finally {
      s.close();
    }
  });

  test('W: writes only (STOR, MKD, DELE, RMD, rename) and may not list, read or change directory', async () => {
    const s = await raw('wo');
    try {
      for (const line of ['CWD /perm', 'LIST /perm', 'RETR /perm/readable.txt', 'SIZE /perm/readable.txt', 'MDTM /perm/readable.txt', 'MLST /perm']) {
        await expect550(s, line, /Permission denied: this account may not read/);
      }
      const stor = await s.upload('STOR /perm/w.txt', 'written by a W account\n');
      assert.equal(stor.first.code, 150);
      assert.equal(stor.final?.code, 226);
      assert.equal((await s.send('MKD /perm/wdir')).code, 257);
      assert.equal((await s.send('RNFR /perm/w.txt')).code, 350);
      assert.equal((await s.send('RNTO /perm/w2.txt')).code, 250);
      assert.equal((await s.send('DELE /perm/w2.txt')).code, 250);
      assert.equal((await s.send('RMD /perm/wdir')).code, 250);
    } finally {
      s.close();
    }
  });

  test('delete_enable=false: DELE, RMD and rename are 550; writing still works', async () => {
    const s = await raw('nodel');
    try {
      for (const line of ['DELE /perm/readable.txt', 'RMD /perm/dir', 'RNFR /perm/readable.txt', 'RNFR /perm/dir']) {
        await expect550(s, line, /deleting is disabled/);
      }
      assert.equal((await s.send('MKD /perm/nodel-dir')).code, 257);
      assert.equal((await s.upload('STOR /perm/nodel.txt', 'kept')).final?.code, 226);
    } finally {
      s.close();
    }
    const keys = await keysUnder(cos(), BUCKET, 'perm/');
    assert.ok(keys.includes('perm/readable.txt') && keys.includes('perm/dir/') && keys.includes('perm/nodel-dir/'));
  });

  test('RW with delete: everything', async () => {
    const s = await raw('user1');
    try {
      assert.equal((await s.send('MKD /perm/rw')).code, 257);
      assert.equal((await s.send('RMD /perm/rw')).code, 250);
      assert.match((await s.lines('MLSD /perm')).find((l) => l.endsWith('readable.txt')) ?? '', /perm=rawdf;/);
    } finally {
      s.close();
    }
  });

  test('a prefixed user sees only its prefix; another bucket is another world', async () => {
    await putObject(cos(), BUCKET, 'users/two/own.txt', 'own');
    await withFtp('user2', async (c) => {
      await c.cd('/');
      const names = (await c.list()).map((f) => f.name);
      assert.ok(names.includes('own.txt'));
      assert.ok(!names.includes('users') && !names.includes('perm'), names.join(','));
      await upload(c, 'sub/../../../new-two.txt', 'two');
      assert.equal(await ftpCode(c.size('/perm/readable.txt')), 550);
    });
    assert.equal((await getObject(cos(), BUCKET, 'users/two/new-two.txt'))?.toString(), 'two');
    await withFtp('other', async (c) => {
      assert.deepEqual(await c.list('/'), []);
      await upload(c, 'o.txt', 'other');
      assert.equal(await ftpCode(c.size('/perm/readable.txt')), 550);
    });
    assert.deepEqual(await keysUnder(stack.cos('other'), OTHER_BUCKET, ''), ['o.txt']);
    assert.equal(await getObject(cos(), BUCKET, 'o.txt'), undefined);
  });
});

describe('protocol hygiene', () => {
  test('a command split across TCP segments is one command, a UTF-8 name split mid-character arrives intact', async () => {
    const s = await raw();
    try {
      const line = Buffer.from('MKD /split 한국어\r\n', 'utf8');
      const cut = line.indexOf(Buffer.from('한', 'utf8')) + 1; // inside the first Korean character
      for (const part of [line.subarray(0, 3), line.subarray(3, cut), line.subarray(cut)]) {
        s.write(part);
        await new Promise((r) => setTimeout(r, 30));
      }
      const r = await s.read();
      assert.equal(r.code, 257, r.text);
      assert.match(r.text, /"\/split 한국어"/);
      assert.equal((await s.send('NOOP')).code, 200, 'no stray replies');
    } finally {
      s.close();
    }
    assert.ok((await keysUnder(cos(), BUCKET, 'split')).includes('split 한국어/'));
  });

  test('pipelined commands are answered in order', async () => {
    const s = await raw();
    try {
      s.write('MKD /pipe\r\nCWD /pipe\r\nPWD\r\nMKD inner\r\nCWD inner\r\nPWD\r\nCDUP\r\nPWD\r\nSIZE /nope\r\nNOOP\r\n');
      const codes: string[] = [];
      for (let i = 0; i < 10; i++) codes.push((await s.read()).text.slice(0, 20));
      assert.deepEqual(codes, [
        '257 "/pipe" created',
        '250 Directory change',
        '257 "/pipe" is the c',
        '257 "/pipe/inner" cr',
        '250 Directory change',
        '257 "/pipe/inner" is',
        '250 Directory change',
        '257 "/pipe" is the c',
        '550 /nope: No such f',
        '200 The requested ac',
      ]);
    } finally {
      s.close();
    }
  });

  test('Telnet IP/DM before ABOR is ignored; unknown commands get 502 and the session goes on', async () => {
    const s = await raw();
    try {
      s.write(Buffer.concat([Buffer.from([0xff, 0xf4, 0xff, 0xf2]), Buffer.from('ABOR\r\n')]));
      assert.equal((await s.read()).code, 226);
      assert.equal((await s.send('XYZZY')).code, 502);
      assert.equal((await s.send('NOOP')).code, 200);
    } finally {
      s.close();
    }
  });
});
