// Client compatibility, each case with the client that showed the problem (issue 10): FileZilla's recursive delete
// (its command sequence over a raw session) and Perl Net::FTP's recursive mkdir/rmdir on folders that exist only
// through keys written with the SDK; PHP's ftp extension put + ftp_chmod; rclone's FTP backend copying a tree up
// and back with modification times; `wget -m`; `ncftpput -R` with times. Every user has its own prefix.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack } from '../helpers/stack';
import { copyLimits } from '../../src/filesystem/rename';
import { RawFtp } from './raw';
import { keysUnder, putObject, run } from './helpers';

const BUCKET = 'bucket1-1250000000';
const USERS = ['filezilla', 'perl', 'php', 'rclone', 'wget', 'ncftp', 'curl', 'raw'] as const;
type User = (typeof USERS)[number];

let stack: Stack;
let work: string;

before(async () => {
  // listing_mtime on: rclone takes file times from MLSD.
  stack = await startStack({
    listingMtime: true,
    accounts: [
      ...USERS.map((u) => ({ userName: u, password: `${u}-pass`, bucket: BUCKET, prefix: `compat/${u}` })),
      { userName: 'whole', password: 'whole-pass', bucket: BUCKET },
      { userName: 'upload-only', password: 'upload-only-pass', bucket: BUCKET, prefix: 'compat/upload-only', authority: 'W' },
    ],
  });
  work = mkdtempSync(path.join(tmpdir(), 'client-compat-'));
});

after(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const pass = (u: User): string => `${u}-pass`;
const keysOf = async (u: User, under = ''): Promise<string[]> => {
  const prefix = `compat/${u}/`;
  return (await keysUnder(stack.cos(), BUCKET, prefix + under)).map((k) => k.slice(prefix.length));
};
const seed = async (u: User, names: string[]): Promise<void> => {
  for (const name of names) await putObject(stack.cos(), BUCKET, `compat/${u}/${name}`, `content of ${name}`);
};

/** Relative path -> SHA-256 of every file under `root`. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

/** A local tree with files of a few sizes, every file's mtime set to a distinct whole second in 2021. */
function localTree(name: string): { dir: string; times: Map<string, number> } {
  const dir = mkdtempSync(path.join(work, `${name}-`));
  const files: Record<string, number> = { 'top.txt': 10, 'sub/mid.bin': 70_000, 'sub/deeper/low.txt': 0, 'other/x y.txt': 5 };
  const times = new Map<string, number>();
  let t = Date.UTC(2021, 5, 1, 12, 0, 0) / 1000;
  for (const [rel, size] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, Buffer.alloc(size, rel));
    utimesSync(p, t, t);
    times.set(rel, t * 1000);
    t += 3671;
  }
  return { dir, times };
}

describe('FileZilla: recursive delete of folders made only of keys', () => {
  // FileZilla lists each folder with MLSD, deletes its files, climbs with CWD .., then removes the folders deepest
  // first. The folders have no marker: before, the last DELE made the folder vanish and CWD/RMD answered 550.
  test('CWD, MLSD, DELE each file, CWD .., RMD, deepest first: every reply 2xx, nothing left', async () => {
    await seed('filezilla', ['top/a.txt', 'top/one/b.txt', 'top/one/two/c.txt', 'top/one/two/d.txt', 'top/three/e.txt', 'keep.txt']);
    const s = await RawFtp.open(stack.ftpPort, 'filezilla', pass('filezilla'));
    const replies: string[] = [];
    const ok = async (line: string): Promise<void> => {
      const r = await s.send(line);
      replies.push(`${line} -> ${r.text}`);
      assert.ok(r.code >= 200 && r.code < 300, `${line}: ${r.text}\n${replies.join('\n')}`);
    };
    const removeTree = async (dir: string): Promise<void> => {
      await ok(`CWD ${dir}`);
      const listing = await s.lines('MLSD');
      const entries = listing.map((l) => ({ type: /type=(\w+)/.exec(l)?.[1], name: l.slice(l.indexOf('; ') + 2) }));
      for (const e of entries.filter((x) => x.type === 'dir')) await removeTree(`${dir}/${e.name}`);
      await ok(`CWD ${dir}`);
      for (const e of entries.filter((x) => x.type === 'file')) await ok(`DELE ${e.name}`);
      await ok('CWD ..');
      await ok(`RMD ${dir}`);
    };
    try {
      await removeTree('/top');
    } finally {
      s.close();
    }
    assert.deepEqual(await keysOf('filezilla'), ['keep.txt']);
  });
});

describe('Perl Net::FTP: mkdir($dir, 1) and rmdir($dir, 1)', () => {
  test('creates every level of a new path and removes a tree written with the SDK', async () => {
    await seed('perl', ['sdk/x/1.txt', 'sdk/x/y/2.txt', 'sdk/3.txt']);
    const script = String.raw`
use strict; use warnings; use Net::FTP;
my ($port, $user, $pass) = @ARGV;
my $f = Net::FTP->new('127.0.0.1', Port => $port, Passive => 1, Timeout => 30) or die "connect: $@";
$f->login($user, $pass) or die 'login: ' . $f->message;
my $made = $f->mkdir('p/q/r', 1);
print 'mkdir=' . (defined $made ? $made : 'undef') . "\n";
print 'cwd=' . ($f->cwd('/p/q/r') ? 1 : 0) . "\n";
$f->cwd('/');
print 'rmdir=' . ($f->rmdir('sdk', 1) ? 1 : 0) . ' ' . $f->code . "\n";
$f->quit;
`;
    const dir = mkdtempSync(path.join(work, 'perl-'));
    writeFileSync(path.join(dir, 'ftp.pl'), script);
    const r = await run('perl', [path.join(dir, 'ftp.pl'), String(stack.ftpPort), 'perl', pass('perl')], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mkdir=\S*p\/q\/r$/m, r.stdout);
    assert.match(r.stdout, /^cwd=1$/m);
    assert.match(r.stdout, /^rmdir=1 250$/m, r.stdout);
    assert.deepEqual(await keysOf('perl'), ['p/', 'p/q/', 'p/q/r/']);
  });
});

describe("PHP's ftp extension: put, then ftp_chmod", () => {
  test('ftp_chmod answers the mode for an uploaded file (WordPress calls it after every upload) and false for a missing one', async () => {
    const dir = mkdtempSync(path.join(work, 'php-'));
    writeFileSync(path.join(dir, 'up.txt'), 'uploaded by php');
    const script = `<?php
[$_, $port, $user, $pass, $local] = $argv;
$c = ftp_connect('127.0.0.1', (int)$port, 30) or exit(2);
ftp_login($c, $user, $pass) or exit(3);
ftp_pasv($c, true);
var_dump(ftp_put($c, 'wp/up.txt', $local, FTP_BINARY));
var_dump(ftp_chmod($c, 0644, 'wp/up.txt'));
var_dump(@ftp_chmod($c, 0644, 'wp/missing.txt'));
ftp_close($c);
`;
    writeFileSync(path.join(dir, 'ftp.php'), script);
    await seed('php', ['wp/']);
    const r = await run('php', [path.join(dir, 'ftp.php'), String(stack.ftpPort), 'php', pass('php'), path.join(dir, 'up.txt')], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['bool(true)', 'int(420)', 'bool(false)'], r.stdout + r.stderr);
    assert.deepEqual(await keysOf('php'), ['wp/', 'wp/up.txt']);
  });
});

describe("rclone's FTP backend: a tree up and back with modification times", () => {
  test('rclone copy up, rclone check clean, lsl shows the source times, copy back identical with times', async () => {
    const { dir, times } = localTree('rclone');
    const back = mkdtempSync(path.join(work, 'rclone-back-'));
    const obscured = (await run('rclone', ['obscure', pass('rclone')])).stdout.trim();
    const env = {
      RCLONE_CONFIG: path.join(work, 'rclone.conf'),
      RCLONE_CONFIG_GW_TYPE: 'ftp',
      RCLONE_CONFIG_GW_HOST: '127.0.0.1',
      RCLONE_CONFIG_GW_PORT: String(stack.ftpPort),
      RCLONE_CONFIG_GW_USER: 'rclone',
      RCLONE_CONFIG_GW_PASS: obscured,
      TZ: 'UTC',
    };
    const rclone = (...args: string[]): ReturnType<typeof run> => run('rclone', args, { cwd: work, env, timeoutMs: 120_000 });
    const up = await rclone('copy', dir, 'gw:tree', '--transfers', '4');
    assert.equal(up.code, 0, up.stderr);
    assert.doesNotMatch(up.stderr, /ERROR/, up.stderr);
    const check = await rclone('check', dir, 'gw:tree');
    assert.equal(check.code, 0, check.stderr);
    const lsl = await rclone('lsl', 'gw:tree');
    assert.equal(lsl.code, 0, lsl.stderr);
    // `     size YYYY-MM-DD HH:MM:SS.fffffffff name`, in the local time zone (UTC here: TZ is set below).
    const listed = new Map(
      lsl.stdout
        .trim()
        .split('\n')
        .map((l) => /^\s*\d+ (\S+ \S+) (.+)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[2], Date.parse(`${m[1].slice(0, 19).replace(' ', 'T')}Z`)]),
    );
    assert.deepEqual(new Map([...listed].sort()), new Map([...times].sort()), lsl.stdout);
    const down = await rclone('copy', 'gw:tree', back);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(tree(back), tree(dir));
    for (const [rel, ms] of times) assert.equal(statSync(path.join(back, rel)).mtimeMs, ms, `${rel}: time kept`);
    const again = await rclone('copy', dir, 'gw:tree', '-v');
    assert.match(again.stderr, /There was nothing to transfer/, `nothing sent again:\n${again.stderr}`);
  });
});

describe('wget -m', () => {
  test('mirrors a tree (written by another client) byte for byte', async () => {
    await seed('wget', ['site/index.txt', 'site/a/b.txt', 'site/a/c/d.txt', 'site/e f.txt']);
    const dir = mkdtempSync(path.join(work, 'wget-'));
    const url = `ftp://wget:${pass('wget')}@127.0.0.1:${stack.ftpPort}/site/`;
    const r = await run('wget', ['-m', '-nH', '-q', url], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = tree(path.join(dir, 'site'));
    assert.deepEqual([...got.keys()].filter((k) => !k.endsWith('.listing')).sort(), ['a/b.txt', 'a/c/d.txt', 'e f.txt', 'index.txt']);
    for (const rel of ['a/b.txt', 'e f.txt']) assert.equal(readFileSync(path.join(dir, 'site', rel), 'utf8'), `content of site/${rel}`);
  });
});

describe('ncftpput -R with times', () => {
  test('uploads a tree into a new folder and sets each file time (MDTM set form)', async () => {
    const { dir, times } = localTree('ncftp');
    const r = await run('ncftpput', ['-m', '-R', '-u', 'ncftp', '-p', pass('ncftp'), '-P', String(stack.ftpPort), '127.0.0.1', '/up', path.basename(dir)], {
      cwd: path.dirname(dir),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = await RawFtp.open(stack.ftpPort, 'ncftp', pass('ncftp'));
    try {
      for (const [rel, ms] of times) {
        const remote = `/up/${path.basename(dir)}/${rel}`;
        const mdtm = await s.send(`MDTM ${remote}`);
        const iso = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
        assert.equal(mdtm.text, `213 ${iso}`, remote);
      }
    } finally {
      s.close();
    }
  });
});

describe('SITE, EPSV ALL, CLNT', () => {
  test('curl -Q "SITE CHMOD 644 f" succeeds for an existing file and fails for a missing one', async () => {
    await seed('curl', ['f.txt']);
    const url = `ftp://curl:${pass('curl')}@127.0.0.1:${stack.ftpPort}/`;
    const ok = await run('curl', ['-sS', '-Q', 'SITE CHMOD 644 f.txt', '--list-only', url]);
    assert.equal(ok.code, 0, ok.stderr);
    const missing = await run('curl', ['-sS', '-Q', 'SITE CHMOD 644 none.txt', '--list-only', url]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /550/);
  });

  test('SITE: CHMOD 200 for a file or folder, 550 when missing, 501/502 with a reason; nothing changes', async () => {
    await seed('raw', ['dir/file.txt']);
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      const expect = async (line: string, code: number, text?: RegExp): Promise<void> => {
        const r = await s.send(line);
        assert.equal(r.code, code, `${line}: ${r.text}`);
        if (text) assert.match(r.text, text, line);
      };
      await expect('SITE CHMOD 644 dir/file.txt', 200, /no modes/);
      await expect('SITE CHMOD 755 dir', 200);
      await expect('SITE chmod 0600 /dir/file.txt', 200);
      await expect('SITE CHMOD 644 dir/none.txt', 550, /No such file or directory/);
      await expect('SITE CHMOD 644', 501, /Usage/);
      await expect('SITE CHMOD rwx dir/file.txt', 501, /Usage/);
      await expect('SITE', 501, /subcommand/);
      await expect('SITE EXEC ls', 502, /SITE EXEC is not supported/);
      await expect('SITE UMASK 022', 200);
      await expect('SITE HELP', 214, /CHMOD/);
    } finally {
      s.close();
    }
    assert.deepEqual(await keysOf('raw', 'dir/'), ['dir/file.txt']);
  });

  test('EPSV ALL answers 200, then PORT, PASV and EPRT are refused and EPSV still works; CLNT 200', async () => {
    await seed('raw', ['epsv/x.txt']);
    const s = await RawFtp.open(stack.ftpPort);
    try {
      assert.equal((await s.send('CLNT NcFTP 3.2.6 linux')).code, 200, 'CLNT before login');
      assert.equal((await s.send('USER raw')).code, 331);
      assert.equal((await s.send(`PASS ${pass('raw')}`)).code, 230);
      assert.equal((await s.send('CLNT test client')).code, 200);
      const all = await s.send('EPSV ALL');
      assert.equal(all.code, 200, all.text);
      for (const line of ['PASV', 'PORT 127,0,0,1,200,10', 'EPRT |1|127.0.0.1|51210|']) {
        const r = await s.send(line);
        assert.equal(r.code, 503, `${line}: ${r.text}`);
        assert.match(r.text, /EPSV ALL/);
      }
      assert.deepEqual(await s.lines('NLST epsv'), ['epsv/x.txt'], 'EPSV still sets up data connections');
    } finally {
      s.close();
    }
  });

  test('OPTS UTF8: ON 200, OFF refused (504); replies keep UTF-8 paths after OFF was asked for', async () => {
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      assert.equal((await s.send('OPTS UTF8 ON')).code, 200);
      assert.equal((await s.send('OPTS utf8 off')).code, 504);
      assert.equal((await s.send('OPTS UTF8')).code, 501);
      assert.equal((await s.send('MKD 目录-é')).code, 257);
      assert.equal((await s.send('CWD 目录-é')).code, 250);
      const pwd = await s.send('PWD');
      assert.equal(pwd.code, 257);
      assert.match(pwd.text, /"\/compat\/raw\/目录-é"|"\/目录-é"/, pwd.text);
    } finally {
      s.close();
    }
  });

  test('EPSV and REST arguments: another protocol 522, a malformed one 501; REST takes whole byte counts only', async () => {
    await seed('raw', ['args/x.txt']);
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      for (const [line, code] of [
        ['EPSV 3', 522],
        ['EPSV x', 501],
        ['EPSV 1', 229],
        ['REST 12abc', 501],
        ['REST -1', 501],
        ['REST 99999999999999999999', 501],
        ['REST 1.5', 501],
        ['REST 2', 350],
      ] as const) {
        const r = await s.send(line);
        assert.equal(r.code, code, `${line}: ${r.text}`);
      }
      // The accepted offset (2) is the one the next RETR starts at.
      const got = await s.data('RETR args/x.txt');
      assert.equal(got.final?.code, 226);
      assert.equal(got.text, 'content of args/x.txt'.slice(2));
    } finally {
      s.close();
    }
  });
});

describe('MFMT and MDTM set form: a time kept as object metadata', () => {
  test('MFMT sets, MDTM/MLST/MLSD/LIST report it, the object and its headers are kept, a rename keeps it; bad forms refused', async () => {
    const cos = stack.cos();
    const key = 'compat/raw/times/t.txt';
    await cos.putObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: key, Body: Buffer.from('timed'), ContentType: 'text/plain', CacheControl: 'max-age=60' });
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      const mfmt = await s.send('MFMT 20190304050607 times/t.txt');
      assert.equal(mfmt.text, '213 Modify=20190304050607; /times/t.txt');
      assert.equal((await s.send('MDTM times/t.txt')).text, '213 20190304050607');
      assert.match((await s.send('MLST times/t.txt')).text, /modify=20190304050607;/);
      assert.match((await s.lines('MLSD times'))[0], /modify=20190304050607;/);
      assert.match((await s.lines('LIST times'))[0], / Mar {2}4 {2}2019 t\.txt$/);
      // ncftp's form; then a rename keeps the time.
      assert.equal((await s.send('MDTM 20200506070809 times/t.txt')).code, 213);
      assert.equal((await s.send('RNFR times/t.txt')).code, 350);
      assert.equal((await s.send('RNTO times/u.txt')).code, 250);
      assert.equal((await s.send('MDTM times/u.txt')).text, '213 20200506070809');
      for (const [line, code] of [
        ['MFMT 20191304050607 times/u.txt', 553],
        ['MFMT 20190230050607 times/u.txt', 553],
        ['MFMT times/u.txt', 501],
        ['MFMT 20190304050607 times/none.txt', 550],
        ['MFMT 20190304050607 times', 550],
      ] as const) {
        assert.equal((await s.send(line)).code, code, line);
      }
    } finally {
      s.close();
    }
    const head = await cos.headObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: 'compat/raw/times/u.txt' });
    assert.equal(head.headers?.['x-cos-meta-mtime'], '1588748889');
    assert.equal(head.headers?.['content-type'], 'text/plain', 'headers survive the metadata copy');
    assert.equal(head.headers?.['cache-control'], 'max-age=60');
    const body = await cos.getObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: 'compat/raw/times/u.txt' });
    assert.equal(String(body.Body), 'timed');
  });

  test('an upload-only account (authority W) may set a time but not read one', async () => {
    await putObject(stack.cos(), BUCKET, 'compat/upload-only/up.txt', 'up');
    const s = await RawFtp.open(stack.ftpPort, 'upload-only', 'upload-only-pass');
    try {
      assert.equal((await s.send('MDTM 20200102030405 up.txt')).code, 213);
      assert.equal((await s.send('MFMT 20200102030405 up.txt')).code, 213);
      const read = await s.send('MDTM up.txt');
      assert.equal(read.code, 550, read.text);
      assert.match(read.text, /Permission denied/);
    } finally {
      s.close();
    }
  });

  test('beyond one copy (5 GB on COS; 1 MiB here) MFMT is a multipart copy onto itself; bytes and time kept, no upload left', async () => {
    const cos = stack.cos();
    const key = 'compat/raw/times/big.bin';
    const bytes = Buffer.alloc(2.5 * 1024 * 1024, 'b');
    await cos.putObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: key, Body: bytes });
    const saved = { ...copyLimits };
    copyLimits.singleCopyMaxBytes = 1024 * 1024;
    copyLimits.partBytes = 1024 * 1024;
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      stack.store.resetRequestCounts();
      assert.equal((await s.send('MFMT 20180102030405 times/big.bin')).code, 213);
      assert.deepEqual(stack.store.requestCounts(), { HeadObject: 1, InitiateMultipartUpload: 1, UploadPartCopy: 3, CompleteMultipartUpload: 1 });
      assert.equal((await s.send('MDTM times/big.bin')).text, '213 20180102030405');
    } finally {
      s.close();
      Object.assign(copyLimits, saved);
    }
    const got = await cos.getObject({ Bucket: BUCKET, Region: 'ap-guangzhou', Key: key });
    assert.ok(Buffer.compare(got.Body as Buffer, bytes) === 0, 'bytes unchanged');
    const uploads = await cos.multipartList({ Bucket: BUCKET, Region: 'ap-guangzhou', Prefix: 'compat/', Delimiter: '' });
    assert.equal((uploads.Upload ?? []).length, 0, 'no multipart upload left');
  });
});

describe('a backslash is part of a name, in every command', () => {
  test('MKD, CWD, STOR, LIST, NLST, MLSD, SIZE, MDTM, RETR, RNFR/RNTO, DELE, RMD and curl keep `\\`; a key may not start with it', async () => {
    const s = await RawFtp.open(stack.ftpPort, 'raw', pass('raw'));
    try {
      const ok = async (line: string, code: number): Promise<string> => {
        const r = await s.send(line);
        assert.equal(r.code, code, `${line}: ${r.text}`);
        return r.text;
      };
      assert.match(await ok('MKD back\\slash', 257), /"\/back\\slash" created/);
      await ok('CWD back\\slash', 250);
      assert.equal((await s.upload('STOR a\\b.txt', 'bs')).final?.code, 226);
      assert.match((await s.lines('LIST'))[0], / a\\b\.txt$/);
      assert.deepEqual(await s.lines('NLST /back\\slash'), ['/back\\slash/a\\b.txt']);
      assert.match((await s.lines('MLSD'))[0], /; a\\b\.txt$/);
      assert.equal(await ok('SIZE a\\b.txt', 213), '213 2');
      await ok('MDTM a\\b.txt', 213);
      assert.equal((await s.data('RETR /back\\slash/a\\b.txt')).text, 'bs');
      await ok('RNFR a\\b.txt', 350);
      await ok('RNTO c\\d.txt', 250);
      assert.deepEqual(await keysOf('raw', 'back'), ['back\\slash/', 'back\\slash/c\\d.txt']);
      await ok('DELE c\\d.txt', 250);
      await ok('CWD /', 250);
      await ok('RMD back\\slash', 250);
      assert.deepEqual(await keysOf('raw', 'back'), []);
    } finally {
      s.close();
    }
    // curl sends the name as written (%5C is `\\`).
    const url = `ftp://curl:${pass('curl')}@127.0.0.1:${stack.ftpPort}/x%5Cy.txt`;
    const up = await run('curl', ['-sS', '-T', '-', url], { input: 'via curl' });
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(await keysOf('curl', 'x'), ['x\\y.txt']);
    // At the bucket root a key may not start with `\\` (COS refuses it): 553 before any request.
    const w = await RawFtp.open(stack.ftpPort, 'whole', 'whole-pass');
    try {
      stack.store.resetRequestCounts();
      const r = await w.send('MKD \\lead');
      assert.equal(r.code, 553, r.text);
      assert.match(r.text, /start with \\/);
      assert.deepEqual(stack.store.requestCounts(), {});
    } finally {
      w.close();
    }
  });
});
