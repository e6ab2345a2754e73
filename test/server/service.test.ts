// The service side as an operator meets it: conf/cos-ftp-server.service passes `systemd-analyze verify` (no
// running systemd needed) with the hardening and signals README describes, and SIGUSR1 makes the server reopen its
// log file after an external logrotate moved it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { REPO_ROOT, runTool, startServerProcess, tempDir } from '../helpers/server-process';
import { accountSection, serverSections } from '../helpers/conf-file';

const UNIT = path.join(REPO_ROOT, 'conf', 'cos-ftp-server.service');

describe('systemd unit', () => {
  it('passes systemd-analyze verify without a single warning', async () => {
    const r = await runTool('systemd-analyze', ['verify', UNIT], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warnings');
  });

  it('runs as its own user, restarts on failure, reloads with SIGHUP, drains within TimeoutStopSec, is hardened', () => {
    const text = fs.readFileSync(UNIT, 'utf8');
    const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1].trim();
    assert.equal(value('User'), 'cosftp');
    assert.equal(value('Restart'), 'on-failure');
    assert.equal(value('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(value('KillSignal'), 'SIGTERM');
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome']) assert.equal(value(key), 'yes', key);
    assert.equal(value('ProtectSystem'), 'strict');
    const logDir = value('ReadWritePaths') ?? '';
    assert.match(logDir, /\/log$/);
    // The drain (--grace) plus the 10 s the server gives aborted uploads to clean up fits in TimeoutStopSec.
    const grace = Number(/--grace (\d+)/.exec(value('ExecStart') ?? '')?.[1]);
    assert.ok(grace + 10 < Number(value('TimeoutStopSec')), `--grace ${grace} + 10 s < TimeoutStopSec`);
    // The server's working directory holds the log folder it may write.
    assert.equal(path.join(value('WorkingDirectory') ?? '', 'log'), logDir);
  });
});

describe('SIGUSR1 reopens the log file', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  before(async () => {
    dir = tempDir('usr1');
    store = await startLocalCos({ memory: true, credentials: [{ id: 'AKIDusr1', key: 'usr1SecretKey' }], buckets: ['usr1bucket-1250000000'] });
    conf = path.join(dir, 'vsftpd.conf');
    const account = accountSection({
      index: 0,
      secretId: 'AKIDusr1',
      secretKey: 'usr1SecretKey',
      bucket: 'usr1bucket-1250000000',
      endpoint: store.url,
      user: 'usr1',
      password: 'usr1-pass',
    });
    fs.writeFileSync(conf, `${account}${serverSections('log')}`, { mode: 0o600 });
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after logrotate moves cos_v5.log, SIGUSR1 starts a new one and later lines go there', async () => {
    const server = await startServerProcess(['--config', conf], dir);
    const live = path.join(dir, 'log', 'cos_v5.log');
    const moved = `${live}.1`;
    try {
      fs.renameSync(live, moved); // what logrotate does (without copytruncate)
      server.child.kill('SIGUSR1');
      await waitFor(() => fs.existsSync(live) && fs.readFileSync(live, 'utf8').includes('log file reopened'));
      const login = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', `ftp://usr1:usr1-pass@127.0.0.1:${server.port}/`]);
      assert.equal(login.code, 0, login.stderr);
      await waitFor(() => fs.readFileSync(live, 'utf8').includes('"msg":"login"'));
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
    const old = fs.readFileSync(moved, 'utf8');
    assert.match(old, /"msg":"ready/);
    assert.ok(!old.includes('"msg":"login"'), 'nothing written to the moved file after SIGUSR1');
    assert.match(fs.readFileSync(live, 'utf8'), /"msg":"stopped"/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
