// Hashed FTP passwords as an operator uses them: `--hash-password` (from stdin, and on a terminal without echo)
// prints a hash; a configuration with an argon2id hash, a bcrypt hash and a plain password serves lftp and curl
// with the right passwords only; one start-up warning per plain-text account; a cut hash is a configuration error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAccount } from '../../src/config/defaults';
import { findAccount } from '../../src/ftp/login';
import type { AccountContext } from '../../src/ftp/context';
import type { ObjectStore } from '../../src/store/index';
import { hashChecks, hashPassword } from '../../src/util/password-hash';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { BIN, runCli, runTool, startServerProcess, tempDir } from '../helpers/server-process';
import { accountSection, serverSections } from '../helpers/conf-file';

const KEY = 'hashTestSecretKey0123456789';
const ARGON_PASSWORD = 'argon pass #1';
const BCRYPT_PASSWORD = 'bcrypt;pass-2';

/** `--hash-password [scheme]` with the password on stdin. */
async function hashOf(password: string, scheme?: string): Promise<string> {
  const r = await runTool(process.execPath, [BIN, '--hash-password', ...(scheme ? [scheme] : [])], { input: `${password}\n` });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe('hashed passwords', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  let argonHash: string;
  let bcryptHash: string;
  before(async () => {
    dir = tempDir('passwords');
    store = await startLocalCos({ memory: true, credentials: [{ id: 'AKIDhash', key: KEY }], buckets: ['hashbucket-1250000000'] });
    [argonHash, bcryptHash] = await Promise.all([hashOf(ARGON_PASSWORD), hashOf(BCRYPT_PASSWORD, 'bcrypt')]);
    const account = (index: number, user: string, password: string): string =>
      accountSection({ index, user, password, secretId: 'AKIDhash', secretKey: KEY, bucket: 'hashbucket-1250000000', endpoint: store.url, ownPrefix: true });
    conf = path.join(dir, 'vsftpd.conf');
    fs.writeFileSync(
      conf,
      `${account(0, 'argon', argonHash)}
${account(1, 'bcrypt', bcryptHash)}
${account(2, 'plain', 'plain-pass')}${serverSections(path.join(dir, 'logs'))}`,
      { mode: 0o600 },
    );
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--hash-password prints an argon2id hash (default) or a bcrypt hash, never the password', () => {
    assert.match(argonHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.match(bcryptHash, /^\$2b\$10\$[./A-Za-z0-9]{53}$/);
  });

  it('--hash-password with an unknown scheme names the schemes it takes (exit 2)', async () => {
    for (const args of [['--hash-password', 'md5'], ['--hash-password=sha1']]) {
      const r = await runTool(process.execPath, [BIN, ...args], { input: 'pw\n' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--hash-password takes argon2id or bcrypt, not (md5|sha1)/);
      assert.equal(r.stdout, '');
    }
  });

  it('--hash-password on a terminal asks twice without echo', async () => {
    // A pseudo-terminal, as when an operator types it: the password must not appear in what the terminal shows.
    const script = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], '--hash-password'])
out = b''
def read_until(marker):
    global out
    while marker not in out:
        out += os.read(fd, 1024)
read_until(b'Password: ')
os.write(fd, b'typed secret\\r')
read_until(b'Again: ')
os.write(fd, b'typed secret\\r')
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk: break
        out += chunk
except OSError:
    pass
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
`;
    const r = await runTool('python3', ['-c', script, process.execPath, BIN], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('typed secret'), `no echo: ${r.stdout}`);
    const hash = /\$argon2id\$\S+/.exec(r.stdout)?.[0] ?? '';
    const { verify } = await import('@node-rs/argon2');
    assert.ok(await verify(hash, 'typed secret'), r.stdout);
  });

  it('--check-config names each password kind; a cut hash exits 2 naming section and key', async () => {
    const r = await runCli(['--config', conf, '--check-config'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ftp_login_user_password = \*{8} \(in the configuration file\) \(argon2 hash\)/);
    assert.match(r.stdout, /\(bcrypt hash\)/);
    assert.match(r.stdout, /\(plain text: consider --hash-password\)/);
    assert.ok(!r.stdout.includes(argonHash.slice(-20)), 'hash masked too');
    const cut = path.join(dir, 'cut.conf');
    fs.writeFileSync(cut, fs.readFileSync(conf, 'utf8').replace(bcryptHash, bcryptHash.slice(0, 30)));
    const bad = await runCli(['--config', cut, '--check-config'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\[COS_ACCOUNT_1\] ftp_login_user_password starts like a bcrypt hash but is not one/);
  });

  it('lftp and curl log in with the hashed passwords; wrong passwords and the hash itself are refused', async () => {
    const server = await startServerProcess(['--config', conf], dir);
    try {
      const file = path.join(dir, 'hello.txt');
      fs.writeFileSync(file, 'hashed login\n');
      const lftp = await runTool(
        'lftp',
        ['-c', `set cmd:fail-exit yes; set net:max-retries 1; open -u "argon","${ARGON_PASSWORD}" -p ${server.port} 127.0.0.1; put ${file} -o hello.txt; cls -1`],
        { timeoutMs: 60_000 },
      );
      assert.equal(lftp.code, 0, lftp.stderr);
      assert.equal(lftp.stdout.trim(), 'hello.txt');

      const url = (user: string, password: string): string => `ftp://${user}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/`;
      const curl = await runTool('curl', ['-sS', '--max-time', '30', '-T', file, url('bcrypt', BCRYPT_PASSWORD)]);
      assert.equal(curl.code, 0, curl.stderr);
      const get = await runTool('curl', ['-sS', '--max-time', '30', `${url('bcrypt', BCRYPT_PASSWORD)}hello.txt`]);
      assert.equal(get.stdout, 'hashed login\n');
      assert.equal((await runTool('curl', ['-sS', '--max-time', '30', '--list-only', url('plain', 'plain-pass')])).code, 0);

      // curl exits 67 when the server refuses the login.
      for (const [user, password] of [['bcrypt', 'wrong'], ['argon', argonHash], ['nobody', ARGON_PASSWORD]]) {
        const refused = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', url(user, password)]);
        assert.equal(refused.code, 67, `${user}: ${refused.stderr}`);
      }
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
    const log = fs.readFileSync(path.join(dir, 'logs', 'cos_v5.log'), 'utf8');
    const plainWarnings = log.split('\n').filter((l) => l.includes('plain-text password'));
    assert.equal(plainWarnings.length, 1, 'one warning, for the one plain account');
    assert.match(plainWarnings[0], /\[COS_ACCOUNT_2\]/);
  });
});

describe('the cost of a login', () => {
  it('an unknown user name costs one hash check, like a wrong password and a right one', async () => {
    // findAccount reads only the account; no store is used.
    const noStore = {} as ObjectStore;
    const accounts: AccountContext[] = await Promise.all(
      [
        ['ann', 'argon2id'],
        ['ben', 'bcrypt'],
        ['cat', 'argon2id'],
      ].map(async ([user, scheme], index) => ({
        account: buildAccount(
          {
            userName: user,
            password: await hashPassword(`${user}-pw`, scheme as 'argon2id' | 'bcrypt'),
            passwordScheme: scheme === 'bcrypt' ? 'bcrypt' : 'argon2',
          },
          index,
        ),
        store: noStore,
      })),
    );
    const cost = async (user: string, password: string): Promise<{ found?: string; checks: number }> => {
      const before = hashChecks.count;
      const found = await findAccount(accounts, user, password);
      return { found: found?.account.userName, checks: hashChecks.count - before };
    };
    assert.deepEqual(await cost('ben', 'ben-pw'), { found: 'ben', checks: 1 });
    assert.deepEqual(await cost('ben', 'wrong'), { found: undefined, checks: 1 });
    for (const stranger of ['nobody', 'root', 'admin', 'x'.repeat(300)]) {
      assert.deepEqual(await cost(stranger, 'ben-pw'), { found: undefined, checks: 1 }, stranger);
    }
  });
});
