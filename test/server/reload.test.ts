// Reload as an operator does it: edit conf/vsftpd.conf, `kill -HUP` the server process. A good file: added,
// removed and changed accounts apply to new logins, a session already logged in and its running upload carry on,
// restart-only keys are reported as such, the log says what changed; a renewed TLS certificate is read again.
// A bad file: refused, the problems logged as --check-config prints them, the running configuration stays.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client } from 'basic-ftp';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { runTool, startServerProcess, tempDir } from '../helpers/server-process';
import type { ServerProcess } from '../helpers/server-process';
import { accountSection, serverSections } from '../helpers/conf-file';
import { randomPassiveRange } from '../helpers/stack';

const KEY = 'reloadSecretKey0123456789';
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

function logLines(server: ServerProcess): LogLine[] {
  return server
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

async function nextLine(server: ServerProcess, msg: RegExp, after: number, timeoutMs = 10_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logLines(server).slice(after).find((l) => msg.test(l.msg));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no log line ${msg} in: ${server.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('reload on SIGHUP', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  let passive: { passivePortMin: number; passivePortMax: number };
  before(async () => {
    dir = tempDir('reload');
    store = await startLocalCos({ memory: true, credentials: [{ id: 'AKIDreload', key: KEY }], buckets: ['reloadbucket-1250000000'] });
    passive = randomPassiveRange();
    conf = path.join(dir, 'vsftpd.conf');
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const account = (index: number, user: string, password: string): string =>
    accountSection({ index, user, password, secretId: 'AKIDreload', secretKey: KEY, bucket: 'reloadbucket-1250000000', endpoint: store.url, ownPrefix: true });
  const settings = (listenPort: number, optional = ''): string =>
    serverSections(path.join(dir, 'logs'), { listenPort, passive, optional });

  const url = (server: ServerProcess, user: string, password: string): string => `ftp://${user}:${password}@127.0.0.1:${server.port}/`;
  /** curl's exit code for a listing: 0 logged in, 67 login refused. */
  const login = async (server: ServerProcess, user: string, password: string): Promise<number> =>
    (await runTool('curl', ['-sS', '--max-time', '30', '--list-only', url(server, user, password)])).code;

  it('a good file applies to new logins; a running session and upload carry on; a bad file is refused', async () => {
    fs.writeFileSync(conf, `${account(0, 'alice', 'alice-1')}\n${account(1, 'bob', 'bob-1')}${settings(0)}`, { mode: 0o600 });
    const server = await startServerProcess(['--config', conf], dir);
    const bob = new Client(30_000);
    try {
      await bob.access({ host: '127.0.0.1', port: server.port, user: 'bob', password: 'bob-1' });
      // bob's upload runs across the reload: half is sent before, half after.
      const body = new PassThrough();
      const half = Buffer.alloc(3 * 1024 * 1024, 'a');
      const upload = bob.uploadFrom(body, 'during-reload.bin');
      body.write(half);

      fs.writeFileSync(
        conf,
        `${account(0, 'alice', 'alice-2')}\n${account(2, 'carol', 'carol-1')}${settings(2999, 'max_list_file = 5\n')}`,
      );
      const before = logLines(server).length;
      server.child.kill('SIGHUP');
      const reloaded = await nextLine(server, /^configuration reloaded/, before);
      assert.deepEqual(reloaded.added, ['[COS_ACCOUNT_2] carol']);
      assert.deepEqual(reloaded.removed, ['[COS_ACCOUNT_1] bob']);
      assert.deepEqual(reloaded.changed, ['[COS_ACCOUNT_0] alice: ftp_login_user_password']);
      assert.deepEqual(reloaded.applied, ['[OPTIONAL] max_list_file 1000 -> 5']);
      assert.deepEqual(reloaded.restartRequired, ['[NETWORK] listen_port 0 -> 2999']);
      assert.ok(!server.stdout().includes('alice-2'), 'passwords are never logged');

      body.end(half);
      const reply = await upload;
      assert.equal(reply.code, 226);
      // bob's session outlives the removal of his account: it lists and downloads what it uploaded, intact.
      assert.deepEqual((await bob.list()).map((f) => f.name), ['during-reload.bin']);
      const chunks: Buffer[] = [];
      const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => done(void chunks.push(chunk)) });
      await bob.downloadTo(sink, 'during-reload.bin');
      assert.equal(sha256(Buffer.concat(chunks)), sha256(Buffer.concat([half, half])));
      bob.close();

      assert.equal(await login(server, 'carol', 'carol-1'), 0, 'added account');
      assert.equal(await login(server, 'alice', 'alice-2'), 0, 'changed password');
      assert.equal(await login(server, 'alice', 'alice-1'), 67, 'old password');
      assert.equal(await login(server, 'bob', 'bob-1'), 67, 'removed account');

      // A bad file: every problem logged as --check-config prints it; nothing changes.
      fs.writeFileSync(conf, `${account(0, 'alice', 'alice-3').replace('authority = RW', 'authority = XW')}\n${account(2, 'carol', '${env:NOT_SET_ANYWHERE}')}${settings(0)}`);
      const beforeBad = logLines(server).length;
      server.child.kill('SIGHUP');
      const refused = await nextLine(server, /^configuration not reloaded/, beforeBad);
      assert.deepEqual(refused.problems, [
        '[COS_ACCOUNT_0] authority must be R, W or RW; got "XW"',
        '[COS_ACCOUNT_2] ftp_login_user_password: environment variable NOT_SET_ANYWHERE is not set',
      ]);
      assert.equal(await login(server, 'alice', 'alice-2'), 0, 'the running configuration stays');
      assert.equal(await login(server, 'carol', 'carol-1'), 0);
    } finally {
      bob.close();
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
  });

  it('with [TLS] on, a reload reads a renewed certificate at the same paths; new connections get it', async () => {
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    const makeCert = (cn: string): void =>
      void execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    makeCert('first.example');
    const tls = `\n[TLS]\nssl_enable = true\nrsa_cert_file = ${certFile}\nrsa_private_key_file = ${keyFile}\n`;
    fs.writeFileSync(conf, `${account(0, 'alice', 'alice-1')}${settings(0)}${tls}`, { mode: 0o600 });
    const server = await startServerProcess(['--config', conf], dir);
    /** The certificate subject curl sees on a new FTPS login. */
    const subject = async (): Promise<string> => {
      const r = await runTool('curl', ['-sS', '-v', '-k', '--ssl-reqd', '--max-time', '30', '--list-only', url(server, 'alice', 'alice-1')]);
      assert.equal(r.code, 0, r.stderr);
      return /subject: (.*)/.exec(r.stderr)?.[1].trim() ?? r.stderr;
    };
    try {
      assert.equal(await subject(), 'CN=first.example');
      makeCert('second.example');
      const before = logLines(server).length;
      server.child.kill('SIGHUP');
      const reloaded = await nextLine(server, /^configuration reloaded/, before);
      assert.equal(reloaded.tlsReread, true);
      assert.equal(await subject(), 'CN=second.example');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
  });
});
