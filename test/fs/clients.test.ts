// One file-system scenario through five real clients, each as its own prefixed user on one stack: basic-ftp
// in-process, Debian's lftp, curl and tnftp (`ftp`), and Python's ftplib. Login, mkdir, cd, put, ls, size, mdtm,
// rename of a file and of a directory, get with a SHA-256 check, delete, rmdir of an empty and of a non-empty
// directory, cd above the root, a name with spaces, quotes and Korean/Chinese characters; afterwards the object
// keys are checked through the SDK. Also: 2,500 entries listed completely (lftp), per-user isolation (lftp) and
// permission refusals for R, W, RW and delete_enable=false accounts with the 550 reason as the client shows it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FTPError } from 'basic-ftp';
import { type Stack, startStack } from '../helpers/stack';
import { compareUtf8 } from '../../src/store/listing';
import { type RunResult, getObject, keysUnder, putObject, run, seedMany, sha256 } from './helpers';

const BUCKET = 'bucket1-1250000000';
/** Every client can express this name (spaces, both quotes, Hangul, Han). */
const ODD = `한국어 文件 "q" 'a'.txt`;
const CLIENTS = ['basic', 'lftp', 'curl', 'tnftp', 'python'] as const;
type ClientName = (typeof CLIENTS)[number];
const MANY = 2500;

/** Keys (relative to the user's prefix) the scenario leaves behind. */
const SCENARIO_KEYS = ['docs/', `docs/${ODD}`, 'docs/moved dir/', 'docs/moved dir/inner.txt'].sort(compareUtf8);

/** What a client reported while running the scenario; checked the same way for every client. */
interface ScenarioResult {
  /** The listing of `docs` after both uploads, as the client printed or returned it. */
  listing: string;
  size: number;
  /** MDTM in ms since the epoch. */
  mdtm: number;
  /** The client's report of RMD on the non-empty directory. */
  rmdirRefusal: string;
  /** The working directory after three `cd ..` from /docs. */
  pwdAfterClimb: string;
  /** The root listing after the climb. */
  rootListing: string;
}

interface Files {
  dir: string;
  hello: Buffer;
  odd: Buffer;
  inner: Buffer;
  /** Where the client downloads renamed.txt and the odd name. */
  gotRenamed: string;
  gotOdd: string;
}

let stack: Stack;
/** The same accounts on a second local store, reached through the S3 SDK: the five-client scenario runs on both. */
let cosStack: Stack;
let s3Stack: Stack;
let work: string;

const accountOf = (name: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  userName: name,
  password: `${name}-pass`,
  bucket: BUCKET,
  prefix,
  ...extra,
});

before(async () => {
  const options = (storage: 'cos' | 's3'): Parameters<typeof startStack>[0] => ({
    storage,
    maxListFile: 10_000,
    accounts: [
      ...CLIENTS.map((c) => accountOf(c, `clients/${c}`)),
      accountOf('mget', 'clients/mget'),
      accountOf('tenant-a', 'tenants/a'),
      accountOf('tenant-b', 'tenants/b'),
      accountOf('ro', 'perm', { authority: 'R' }),
      accountOf('wo', 'perm', { authority: 'W' }),
      accountOf('rw', 'perm', { authority: 'RW' }),
      accountOf('nodel', 'perm', { deleteEnable: false }),
    ],
  });
  [cosStack, s3Stack] = await Promise.all([startStack(options('cos')), startStack(options('s3'))]);
  stack = cosStack;
  work = mkdtempSync(path.join(tmpdir(), 'fs-clients-'));
});

after(async () => {
  await Promise.all([cosStack?.close(), s3Stack?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

const cos = (): ReturnType<Stack['cos']> => stack.cos();
const pass = (user: string): string => `${user}-pass`;

function localFiles(client: string): Files {
  const dir = mkdtempSync(path.join(work, `${client}-`));
  const files: Files = {
    dir,
    hello: randomBytes(70_000),
    odd: randomBytes(33_333),
    inner: randomBytes(1_000),
    gotRenamed: path.join(dir, 'got-renamed'),
    gotOdd: path.join(dir, 'got-odd'),
  };
  writeFileSync(path.join(dir, 'hello.txt'), files.hello);
  writeFileSync(path.join(dir, 'odd.bin'), files.odd);
  writeFileSync(path.join(dir, 'inner.txt'), files.inner);
  return files;
}

/** The same checks for every client: what it reported, what it downloaded, and the keys left in the bucket. */
async function checkScenario(client: ClientName, files: Files, r: ScenarioResult, started: number): Promise<void> {
  assert.match(r.listing, /hello\.txt/, `${client}: ls shows the upload`);
  assert.ok(r.listing.includes(ODD), `${client}: ls shows ${ODD}:\n${r.listing}`);
  assert.equal(r.size, files.hello.length, `${client}: size`);
  // MDTM has whole seconds; the object was written during the scenario.
  assert.ok(r.mdtm >= Math.floor(started / 1000) * 1000 && r.mdtm <= Date.now(), `${client}: mdtm ${new Date(r.mdtm).toISOString()}`);
  assert.match(r.rmdirRefusal, /550 \/docs\/moved dir: Directory not empty\./, `${client}: rmdir of a non-empty dir`);
  assert.equal(r.pwdAfterClimb, '/', `${client}: cd above the root stays at the root`);
  assert.match(r.rootListing, /docs/, `${client}: root listing after the climb`);
  assert.equal(sha256(readFileSync(files.gotRenamed)), sha256(files.hello), `${client}: get renamed.txt`);
  assert.equal(sha256(readFileSync(files.gotOdd)), sha256(files.odd), `${client}: get ${ODD}`);

  const prefix = `clients/${client}/`;
  const keys = (await keysUnder(cos(), BUCKET, prefix)).map((k) => k.slice(prefix.length)).filter((k) => !k.startsWith('many/'));
  assert.deepEqual(keys, SCENARIO_KEYS, `${client}: keys left in the bucket`);
  assert.equal(sha256((await getObject(cos(), BUCKET, `${prefix}docs/${ODD}`)) ?? ''), sha256(files.odd));
  assert.equal(sha256((await getObject(cos(), BUCKET, `${prefix}docs/moved dir/inner.txt`)) ?? ''), sha256(files.inner));
}

/** Runs a Debian client with the test's locale and a private HOME (no ~/.netrc, ~/.lftp). */
function client(file: string, args: string[], files: { dir: string }, input?: string): Promise<RunResult> {
  return run(file, args, { cwd: files.dir, input, timeoutMs: 120_000 });
}

// ---- lftp ---------------------------------------------------------------------------------------------------

/** An lftp word: double-quoted, with `"` and `\` escaped. */
const lq = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function lftpScript(user: string, lines: string[]): string {
  return [
    `open -u ${user},${pass(user)} -p ${stack.ftpPort} 127.0.0.1`,
    'set cmd:fail-exit no',
    'set cache:enable no',
    'set net:max-retries 1',
    'set ftp:passive-mode yes',
    ...lines,
  ].join('\n');
}

async function lftp(user: string, files: { dir: string }, lines: string[]): Promise<RunResult> {
  const script = path.join(files.dir, `${user}-${randomBytes(3).toString('hex')}.lftp`);
  writeFileSync(script, lftpScript(user, lines));
  return client('lftp', ['-f', script], files);
}

/**
 * Whether lftp reported `cmd` refused with this 550 text (`put: up.txt: Access failed: 550 ... (ro.txt)`); a failed
 * `cls` prints no command name.
 */
function lftpRefused(stderr: string, cmd: string | undefined, reason: string): boolean {
  const lines = stderr.split('\n').filter((l) => (cmd ? l.startsWith(`${cmd}: `) : l.startsWith('Access failed')));
  return lines.some((l) => l.includes(`Access failed: 550 ${reason}`));
}

/** lftp's `echo` marks sections of its output. */
function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of stdout.split(/^@@/m).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return out;
}

/** `213 20250101123456` (MDTM) -> ms. */
function mdtmOf(text: string): number {
  const m = /213 (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(text);
  assert.ok(m, `an MDTM reply in ${text}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

// ---- the scenario, per client -------------------------------------------------------------------------------

async function scenarioBasicFtp(files: Files): Promise<ScenarioResult> {
  const c = await stack.ftp('basic');
  try {
    await c.send('MKD docs');
    await c.cd('docs');
    await c.uploadFrom(path.join(files.dir, 'hello.txt'), 'hello.txt');
    await c.uploadFrom(path.join(files.dir, 'odd.bin'), ODD);
    const listing = (await c.list()).map((e) => e.name).join('\n');
    const size = await c.size('hello.txt');
    const mdtm = (await c.lastMod('hello.txt')).getTime();
    await c.rename('hello.txt', 'renamed.txt');
    await c.send('MKD sub dir');
    await c.uploadFrom(path.join(files.dir, 'inner.txt'), 'sub dir/inner.txt');
    await c.rename('sub dir', 'moved dir');
    await c.downloadTo(files.gotRenamed, 'renamed.txt');
    await c.downloadTo(files.gotOdd, ODD);
    await c.remove('renamed.txt');
    await c.send('MKD empty');
    await c.removeEmptyDir('empty');
    let rmdirRefusal = 'accepted';
    try {
      await c.removeEmptyDir('moved dir');
    } catch (err) {
      assert.ok(err instanceof FTPError);
      rmdirRefusal = err.message;
    }
    for (let i = 0; i < 3; i++) await c.cd('..');
    const pwdAfterClimb = await c.pwd();
    const rootListing = (await c.list()).map((e) => e.name).join('\n');
    return { listing, size, mdtm, rmdirRefusal, pwdAfterClimb, rootListing };
  } finally {
    c.close();
  }
}

async function scenarioLftp(files: Files): Promise<ScenarioResult> {
  const r = await lftp('lftp', files, [
    'mkdir docs',
    'cd docs',
    'put hello.txt',
    `put odd.bin -o ${lq(ODD)}`,
    'echo @@ls',
    'cls -1',
    'echo @@size',
    'quote SIZE hello.txt',
    'echo @@mdtm',
    'quote MDTM hello.txt',
    'mv hello.txt renamed.txt',
    `mkdir ${lq('sub dir')}`,
    `put inner.txt -o ${lq('sub dir/inner.txt')}`,
    `mv ${lq('sub dir')} ${lq('moved dir')}`,
    `get renamed.txt -o ${lq(files.gotRenamed)}`,
    `get ${lq(ODD)} -o ${lq(files.gotOdd)}`,
    'rm renamed.txt',
    'mkdir empty',
    'rmdir empty',
    `rmdir ${lq('moved dir')}`,
    // lftp keeps its own idea of the path; quote PWD asks the server.
    'cd ..',
    'cd ..',
    'quote CWD ..',
    'echo @@pwd',
    'quote PWD',
    'echo @@root',
    'cls -1',
  ]);
  const s = sections(r.stdout);
  return {
    listing: s.get('ls') ?? '',
    size: Number(/213 (\d+)/.exec(s.get('size') ?? '')?.[1]),
    mdtm: mdtmOf(s.get('mdtm') ?? ''),
    rmdirRefusal: r.stderr,
    pwdAfterClimb: /257 "(.*)"/.exec(s.get('pwd') ?? '')?.[1] ?? `no PWD in ${r.stdout} ${r.stderr}`,
    rootListing: s.get('root') ?? '',
  };
}

async function scenarioCurl(files: Files): Promise<ScenarioResult> {
  const base = stack.url('curl', '/');
  const enc = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
  const curl = async (args: string[], expectCode = 0): Promise<RunResult> => {
    const r = await client('curl', ['-sS', ...args], files);
    assert.equal(r.code, expectCode, `curl ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  // Each curl run is one session; -Q commands run after login, from the root, before the transfer.
  await curl(['-Q', 'MKD docs', '-o', '/dev/null', base]);
  // `docs/` in the URL is a CWD docs, then STOR.
  await curl(['-T', 'hello.txt', `${base}docs/hello.txt`]);
  await curl(['-T', 'odd.bin', `${base}docs/${enc(ODD)}`]);
  const listing = (await curl([`${base}docs/`])).stdout;
  // -I: MDTM and SIZE, shown as headers.
  const head = (await curl(['-I', `${base}docs/hello.txt`])).stdout;
  const size = Number(/Content-Length: (\d+)/i.exec(head)?.[1]);
  const mdtm = Date.parse(/Last-Modified: (.*)/i.exec(head)?.[1] ?? '');
  await curl(['-Q', 'RNFR docs/hello.txt', '-Q', 'RNTO docs/renamed.txt', '-o', '/dev/null', base]);
  await curl(['-Q', 'MKD docs/sub dir', '-T', 'inner.txt', `${base}docs/${enc('sub dir/inner.txt')}`]);
  await curl(['-Q', 'RNFR docs/sub dir', '-Q', 'RNTO docs/moved dir', '-o', '/dev/null', base]);
  await curl(['-o', files.gotRenamed, `${base}docs/renamed.txt`]);
  await curl(['-o', files.gotOdd, `${base}docs/${enc(ODD)}`]);
  await curl(['-Q', 'DELE docs/renamed.txt', '-Q', 'MKD docs/empty', '-Q', 'RMD docs/empty', '-o', '/dev/null', base]);
  // A refused quote command is curl's exit 21; -v shows the server's reply.
  const refused = await curl(['-v', '-Q', 'RMD docs/moved dir', '-o', '/dev/null', base], 21);
  // --path-as-is: curl sends the `..` segments as CWD .. instead of resolving them itself; -PWD runs afterwards.
  const climb = await curl(['-v', '--path-as-is', '-Q', '-PWD', `${base}docs/../../../`]);
  const pwds = [...climb.stderr.matchAll(/^< 257 "(.*)"/gm)].map((m) => m[1]);
  return {
    listing,
    size,
    mdtm,
    rmdirRefusal: refused.stderr,
    pwdAfterClimb: pwds[pwds.length - 1] ?? `no PWD in ${climb.stderr}`,
    rootListing: climb.stdout,
  };
}

/** A tnftp word: every space, quote and backslash escaped with `\` (inside "..." tnftp keeps `\` literally). */
const tq = (s: string): string => s.replace(/[\s"'\\]/g, (c) => `\\${c}`);

async function scenarioTnftp(files: Files): Promise<ScenarioResult> {
  const script = [
    `user tnftp ${pass('tnftp')}`,
    'binary',
    'mkdir docs',
    'cd docs',
    'put hello.txt hello.txt',
    `put odd.bin ${tq(ODD)}`,
    'ls',
    'size hello.txt',
    'modtime hello.txt',
    'rename hello.txt renamed.txt',
    `mkdir ${tq('sub dir')}`,
    `put inner.txt ${tq('sub dir/inner.txt')}`,
    `rename ${tq('sub dir')} ${tq('moved dir')}`,
    `get renamed.txt ${tq(files.gotRenamed)}`,
    `get ${tq(ODD)} ${tq(files.gotOdd)}`,
    'delete renamed.txt',
    'mkdir empty',
    'rmdir empty',
    `rmdir ${tq('moved dir')}`,
    'cd ..',
    'cd ..',
    'cd ..',
    'pwd',
    'ls',
    'bye',
  ].join('\n');
  // -n: no auto-login (the script's `user`); -p: passive; -v: replies on stdout even without a terminal.
  const r = await client('ftp', ['-n', '-p', '-v', '127.0.0.1', String(stack.ftpPort)], files, script);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  const lists = out.split(/^150 Here comes the directory listing\.$/m).slice(1);
  // `size` and `modtime` print `name<TAB>value`: the byte count, then an RFC 2822 date.
  const [sizeLine, timeLine] = [...out.matchAll(/^hello\.txt\t(.+)$/gm)].map((m) => m[1]);
  return {
    listing: lists[0] ?? '',
    size: Number(sizeLine),
    mdtm: Date.parse(timeLine ?? ''),
    rmdirRefusal: out,
    pwdAfterClimb: /^Remote directory: (.*)$/m.exec(out)?.[1] ?? `no pwd in ${out}`,
    rootListing: lists[lists.length - 1] ?? '',
  };
}

const PYTHON_SCENARIO = String.raw`
import ftplib, json, os, sys

host, port, user, password, local, odd = sys.argv[1:7]
out = {}
f = ftplib.FTP(encoding="utf-8", timeout=30)
f.connect(host, int(port))
f.login(user, password)
f.set_pasv(True)
f.mkd("docs")
f.cwd("docs")
def put(local_name, remote):
    with open(os.path.join(local, local_name), "rb") as fh:
        f.storbinary("STOR " + remote, fh)
def get(remote, target):
    with open(target, "wb") as fh:
        f.retrbinary("RETR " + remote, fh.write)
put("hello.txt", "hello.txt")
put("odd.bin", odd)
out["listing"] = "\n".join(f.nlst())
out["size"] = f.size("hello.txt")
out["mdtm"] = f.sendcmd("MDTM hello.txt")
f.rename("hello.txt", "renamed.txt")
f.mkd("sub dir")
put("inner.txt", "sub dir/inner.txt")
f.rename("sub dir", "moved dir")
get("renamed.txt", os.path.join(local, "got-renamed"))
get(odd, os.path.join(local, "got-odd"))
f.delete("renamed.txt")
f.mkd("empty")
f.rmd("empty")
try:
    f.rmd("moved dir")
    out["rmdirRefusal"] = "accepted"
except ftplib.error_perm as e:
    out["rmdirRefusal"] = str(e)
for _ in range(3):
    f.cwd("..")
out["pwdAfterClimb"] = f.pwd()
out["rootListing"] = "\n".join(f.nlst())
f.quit()
print(json.dumps(out))
`;

async function scenarioPython(files: Files): Promise<ScenarioResult> {
  const script = path.join(files.dir, 'scenario.py');
  writeFileSync(script, PYTHON_SCENARIO);
  const r = await client('python3', [script, '127.0.0.1', String(stack.ftpPort), 'python', pass('python'), files.dir, ODD], files);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Omit<ScenarioResult, 'mdtm'> & { mdtm: string };
  return { ...out, mdtm: mdtmOf(out.mdtm) };
}

const SCENARIOS: Record<ClientName, (files: Files) => Promise<ScenarioResult>> = {
  basic: scenarioBasicFtp,
  lftp: scenarioLftp,
  curl: scenarioCurl,
  tnftp: scenarioTnftp,
  python: scenarioPython,
};

for (const storage of ['cos', 's3'] as const) {
  describe(`the same scenario through five clients (storage = ${storage})`, () => {
    before(() => {
      stack = storage === 's3' ? s3Stack : cosStack;
    });
    after(() => {
      stack = cosStack;
    });
    for (const name of CLIENTS) {
      test(`${name}: mkdir, cd, put, ls, size, mdtm, rename, get, delete, rmdir, cd above the root, odd names`, async () => {
        const files = localFiles(name);
        const started = Date.now();
        const result = await SCENARIOS[name](files);
        await checkScenario(name, files, result, started);
      });
    }
  });
}

describe('tnftp: wildcards (mget, mdelete, ls *.log)', () => {
  // tnftp expands remote wildcards by sending `NLST pattern` (and `ls *.log` is `LIST *.log`); the server matches
  // the last segment, and NLST answers names with the directory part as typed so that `mget sub/*` fetches sub/….
  test('mget *.txt and sub/*.log download the matches, mdelete b* deletes one, a literal `*` name still works', async () => {
    const root = 'clients/tnftp/glob/';
    for (const name of ['a.txt', 'b.txt', 'c.log', 'star*.txt', 'sub/d.txt', 'sub/e.log']) {
      await putObject(cos(), BUCKET, root + name, `content of ${name}`);
    }
    const files = { dir: mkdtempSync(path.join(work, 'glob-')) };
    mkdirSync(path.join(files.dir, 'sub'));
    const script = [
      `user tnftp ${pass('tnftp')}`,
      'cd glob',
      'prompt off',
      'mget *.txt',
      'mget sub/*.log',
      'ls *.log',
      'mdelete b*',
      'nlist nomatch*',
      'ls star*.txt',
      'bye',
    ].join('\n');
    const r = await client('ftp', ['-n', '-p', '-v', '127.0.0.1', String(stack.ftpPort)], files, script);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['a.txt', 'b.txt', 'star*.txt', 'sub/e.log']) {
      assert.equal(readFileSync(path.join(files.dir, name), 'utf8'), `content of ${name}`, `${name}:\n${r.stdout}`);
    }
    assert.ok(!existsSync(path.join(files.dir, 'c.log')) && !existsSync(path.join(files.dir, 'sub/d.txt')), 'only matches');
    const lists = r.stdout.split(/^150 Here comes the directory listing\.$/m).slice(1);
    assert.match(lists[0], /^-\S+ .* c\.log$/m);
    assert.doesNotMatch(lists[0], /txt/);
    assert.match(r.stdout, /^550 \/glob\/nomatch\*: No such file or directory\.$/m);
    assert.match(lists[lists.length - 1], /star\*\.txt/);
    const keys = (await keysUnder(cos(), BUCKET, root)).map((k) => k.slice(root.length));
    assert.deepEqual(keys, ['a.txt', 'c.log', 'star*.txt', 'sub/d.txt', 'sub/e.log']);
  });
});

describe('tnftp: mget/mdelete of a path while a same-named file exists at the root', () => {
  // tnftp (like Windows ftp.exe) sends `NLST path` for mget/mdelete and then RETRs/DELEs each name it gets back.
  // When NLST answered a bare `same.txt`, mget fetched and mdelete deleted the root's file instead.
  test('the named file is fetched and deleted; the root file is untouched', async () => {
    const root = 'clients/mget/';
    const seed: Record<string, string> = {
      'same.txt': 'root file',
      'deep/sub/same.txt': 'deep file',
      'other.txt': 'root other',
      'folder/other.txt': 'folder other',
      'folder/keep/x': 'x',
    };
    for (const [name, body] of Object.entries(seed)) await putObject(cos(), BUCKET, root + name, body);
    const files = { dir: mkdtempSync(path.join(work, 'nlst-path-')) };
    mkdirSync(path.join(files.dir, 'deep/sub'), { recursive: true });
    const script = [
      `user mget ${pass('mget')}`,
      'prompt off',
      'mget deep/sub/same.txt',
      'mdelete deep/sub/same.txt',
      'mdelete folder',
      'bye',
    ].join('\n');
    const r = await client('ftp', ['-n', '-p', '-v', '127.0.0.1', String(stack.ftpPort)], files, script);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path.join(files.dir, 'deep/sub/same.txt'), 'utf8'), 'deep file', r.stdout);
    assert.ok(!existsSync(path.join(files.dir, 'same.txt')), 'nothing fetched from the root');
    assert.equal(String(await getObject(cos(), BUCKET, `${root}same.txt`)), 'root file', 'root file untouched');
    assert.equal(String(await getObject(cos(), BUCKET, `${root}other.txt`)), 'root other', 'root file untouched');
    assert.equal(await getObject(cos(), BUCKET, `${root}deep/sub/same.txt`), undefined, 'the named file is deleted');
    assert.equal(await getObject(cos(), BUCKET, `${root}folder/other.txt`), undefined, 'mdelete of a folder deletes its file');
    assert.equal(String(await getObject(cos(), BUCKET, `${root}folder/keep/x`)), 'x');
  });
});

describe('lftp: a large directory, isolation, permissions', () => {
  test(`a directory of ${MANY} entries is listed completely (cls -1 over MLSD, ls over LIST)`, async () => {
    await seedMany(cos(), BUCKET, 'clients/lftp/many/', MANY);
    const files = { dir: mkdtempSync(path.join(work, 'many-')) };
    const r = await lftp('lftp', files, ['echo @@cls', 'cls -1 many', 'echo @@ls', 'ls many', 'echo @@nlist', 'nlist many']);
    const s = sections(r.stdout);
    const expected = Array.from({ length: MANY }, (_, i) => `f${String(i).padStart(4, '0')}`);
    const cls = (s.get('cls') ?? '').split('\n').filter(Boolean);
    assert.deepEqual(cls, expected.map((n) => `many/${n}`), r.stderr);
    const ls = (s.get('ls') ?? '').split('\n').filter(Boolean);
    assert.equal(ls.length, MANY);
    assert.deepEqual(ls.map((l) => l.split(/\s+/).pop()), expected);
    assert.deepEqual((s.get('nlist') ?? '').split('\n').filter(Boolean), expected.map((n) => `many/${n}`));
  });

  test('per-user isolation: a prefixed user cannot see or reach another prefix or the bucket root', async () => {
    await putObject(cos(), BUCKET, 'tenants/a/mine.txt', 'mine');
    await putObject(cos(), BUCKET, 'tenants/b/secret.txt', 'secret');
    await putObject(cos(), BUCKET, 'tenants/b/dir/', '');
    await putObject(cos(), BUCKET, 'root-secret.txt', 'root');
    const files = { dir: mkdtempSync(path.join(work, 'iso-')) };
    writeFileSync(path.join(files.dir, 'up.txt'), 'escape attempt');
    const r = await lftp('tenant-a', files, [
      'echo @@root',
      'cls -1 /',
      'echo @@up',
      'cls -1 /../..',
      'echo @@refusals',
      'quote CWD ../b',
      'quote CWD /../../tenants/b',
      'quote SIZE ../b/secret.txt',
      'quote SIZE ../../root-secret.txt',
      'quote SIZE /tenants/b/secret.txt',
      'get ../b/secret.txt -o stolen.txt',
      'rm ../b/secret.txt',
      'mv ../b/secret.txt stolen.txt',
      'put up.txt -o ../../escape.txt',
      `put up.txt -o ${lq('..\\..\\b\\backslash.txt')}`,
    ]);
    const s = sections(r.stdout);
    // lftp prints each name after the path it was given.
    const names = (section: string): string[] => (s.get(section) ?? '').split('\n').filter(Boolean).map((l) => l.split('/').pop() ?? '');
    assert.deepEqual(names('root'), ['mine.txt']);
    assert.deepEqual(names('up'), ['mine.txt'], 'the root of a prefixed user is its ceiling');
    assert.match(r.stdout + r.stderr, /550 \/b: No such directory\./);
    assert.match(r.stdout + r.stderr, /550 \/tenants\/b: No such directory\./);
    assert.match(r.stdout + r.stderr, /550 \/b\/secret\.txt: No such file\./);
    assert.match(r.stdout + r.stderr, /550 \/root-secret\.txt: No such file\./);
    assert.doesNotMatch(r.stdout, /213 \d/, 'no SIZE answered outside the prefix');
    // The upload "above the root" lands inside the prefix; `\` is part of a name, so that one too.
    assert.deepEqual(await keysUnder(cos(), BUCKET, 'tenants/'), [
      'tenants/a/..\\..\\b\\backslash.txt',
      'tenants/a/escape.txt',
      'tenants/a/mine.txt',
      'tenants/b/dir/',
      'tenants/b/secret.txt',
    ]);
    assert.equal(String(await getObject(cos(), BUCKET, 'tenants/b/secret.txt')), 'secret');

    // And the other way round, with another client: tenant-b sees only its own keys.
    const b = await stack.ftp('tenant-b');
    try {
      assert.deepEqual((await b.list('/')).map((e) => e.name).sort(), ['dir', 'secret.txt']);
    } finally {
      b.close();
    }
  });

  test('permission refusals for R, W, RW and delete_enable=false: 550 with the reason, shown by lftp', async () => {
    await putObject(cos(), BUCKET, 'perm/seed.txt', 'seed');
    await putObject(cos(), BUCKET, 'perm/dir/', '');
    await putObject(cos(), BUCKET, 'perm/dir/x', 'x');
    const files = { dir: mkdtempSync(path.join(work, 'perm-')) };
    writeFileSync(path.join(files.dir, 'up.txt'), 'upload');
    const notWrite = 'Permission denied: this account may not write (authority R).';
    const notRead = 'Permission denied: this account may not read (authority W).';
    const noDelete = 'Permission denied: deleting is disabled for this account.';

    // R: reads work, every write is refused.
    const ro = await lftp('ro', files, [
      'echo @@ls',
      'cls -1',
      'get seed.txt -o ro-got.txt',
      'put up.txt -o ro.txt',
      'mkdir ro-dir',
      'rm seed.txt',
      'rmdir dir',
      'mv seed.txt ro-moved.txt',
    ]);
    assert.deepEqual((sections(ro.stdout).get('ls') ?? '').split('\n').filter(Boolean), ['dir/', 'seed.txt']);
    assert.equal(readFileSync(path.join(files.dir, 'ro-got.txt'), 'utf8'), 'seed');
    for (const cmd of ['put', 'mkdir', 'rm', 'rmdir', 'mv']) {
      assert.ok(lftpRefused(ro.stderr, cmd, notWrite), `R ${cmd}:\n${ro.stderr}`);
    }

    // W: writes and deletes work, every read is refused.
    const wo = await lftp('wo', files, [
      'cls -1',
      'get seed.txt -o wo-got.txt',
      'quote SIZE seed.txt',
      'put up.txt -o wo.txt',
      'mkdir wo-dir',
      'mv wo.txt wo2.txt',
      'rm wo2.txt',
      'rmdir wo-dir',
    ]);
    assert.ok(lftpRefused(wo.stderr, undefined, notRead), `W cls:\n${wo.stderr}`);
    assert.ok(lftpRefused(wo.stderr, 'get', notRead), `W get:\n${wo.stderr}`);
    assert.match(wo.stdout, new RegExp(`550 ${notRead.replace(/[.()]/g, '\\$&')}`), 'W SIZE');
    assert.doesNotMatch(wo.stderr, /^(put|mkdir|mv|rm|rmdir): /m, wo.stderr);

    // delete_enable = false: uploads work, DELE, RMD and rename are refused.
    const nodel = await lftp('nodel', files, ['put up.txt -o nodel.txt', 'rm seed.txt', 'rmdir dir', 'mv seed.txt nodel-moved.txt']);
    for (const cmd of ['rm', 'rmdir', 'mv']) {
      assert.ok(lftpRefused(nodel.stderr, cmd, noDelete), `nodel ${cmd}:\n${nodel.stderr}`);
    }
    assert.doesNotMatch(nodel.stderr, /put: /, nodel.stderr);

    // RW: everything.
    const rw = await lftp('rw', files, [
      'put up.txt -o rw.txt',
      'mkdir rw-dir',
      'mv rw.txt rw-dir/rw2.txt',
      'get rw-dir/rw2.txt -o rw-got.txt',
      'rm rw-dir/rw2.txt',
      'rmdir rw-dir',
    ]);
    assert.equal(rw.stderr, '', rw.stderr);
    assert.equal(readFileSync(path.join(files.dir, 'rw-got.txt'), 'utf8'), 'upload');

    assert.deepEqual(await keysUnder(cos(), BUCKET, 'perm/'), ['perm/dir/', 'perm/dir/x', 'perm/nodel.txt', 'perm/seed.txt']);
  });

  test('nothing escaped: every key in the bucket is one the tests expect', async () => {
    const keys = await keysUnder(cos(), BUCKET, '');
    const strays = keys.filter(
      (k) => !/^(clients\/(basic|lftp|curl|tnftp|python|mget)\/|tenants\/[ab]\/|perm\/)/.test(k) && k !== 'root-secret.txt',
    );
    assert.deepEqual(strays, []);
    assert.equal(keys.filter((k) => k.startsWith('clients/lftp/many/')).length, MANY);
  });
});
