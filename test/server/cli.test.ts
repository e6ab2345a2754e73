// bin/ftp-server.js as an operator runs it: options, exit status, messages without stack traces, and a
// configured server (conf file pointing at a local store) serving curl, stopping cleanly on SIGTERM.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { REPO_ROOT, runCli, runTool, startServerProcess, tempDir } from '../helpers/server-process';
import { randomPassiveRange } from '../helpers/stack';

const SEED_EXAMPLE = path.join(REPO_ROOT, 'test', 'config', 'fixtures', 'seed-example.conf');
const SECRET_KEY = 'sk-Very#Secret;Key-0123456789';
const PASSWORD = 'pw #with; marks';

describe('command line', () => {
  let dir: string;
  before(() => {
    dir = tempDir('cli');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help and --version exit 0', async () => {
    const help = await runCli(['--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--check-config/);
    const version = await runCli(['--version'], dir);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^cos-ftp-server \d+\.\d+\.\d+/);
  });

  it('an unknown option exits 2 with the usage', async () => {
    const r = await runCli(['--frobnicate'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --frobnicate/);
  });

  it('--check-config accepts the seed example and masks its secrets', async () => {
    const r = await runCli(['--config', SEED_EXAMPLE, '--check-config'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration OK \(2 account\(s\)\)/);
    assert.match(r.stdout, /ftp_login_user_password = \*{8}/);
    assert.ok(!r.stdout.includes('COS_SECRETKEY'), 'secret key masked');
    assert.ok(!/= pass1/.test(r.stdout), 'password masked');
    assert.match(r.stderr, /warning: \[NETWORK\] masquerade_address/);
  });

  it('a bad configuration exits 2 with every problem and no stack trace', async () => {
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(SEED_EXAMPLE, 'utf8')
        .replace('authority=RW ', 'authority=XW ')
        .replace('listen_port = 2121', 'listen_port = 99999'),
    );
    for (const args of [['--config', file], ['--config', file, '--check-config']]) {
      const r = await runCli(args, dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /2 problem\(s\)/);
      assert.match(r.stderr, /\[COS_ACCOUNT_0\] authority must be R, W or RW; got "XW"/);
      assert.match(r.stderr, /\[NETWORK\] listen_port must be between 0 and 65535/);
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);
    }
  });

  it('a configuration that would need too much memory exits 2 (config_check_enable)', async () => {
    const file = path.join(dir, 'huge.conf');
    fs.writeFileSync(
      file,
      fs.readFileSync(SEED_EXAMPLE, 'utf8').replace(/max_connection_num\s*=\s*512/, 'max_connection_num = 1000000'),
    );
    const r = await runCli(['--config', file, '--check-config'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /60% of the available memory/);
    fs.appendFileSync(file, 'config_check_enable = false\n');
    assert.equal((await runCli(['--config', file, '--check-config'], dir)).code, 0);
  });

  it('quick-start options with a configuration file exit 2 instead of being ignored', async () => {
    const r = await runCli(['--config', SEED_EXAMPLE, '--port', '3000'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port: quick start only.*\[NETWORK\] listen_port/);
  });

  it('a missing --config file exits 2', async () => {
    const r = await runCli(['--config', path.join(dir, 'nope.conf')], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the configuration file: no such file/);
  });
});

describe('configured server process', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  before(async () => {
    dir = tempDir('conf');
    store = await startLocalCos({
      memory: true,
      credentials: [{ id: 'AKIDcli', key: SECRET_KEY }],
      buckets: ['clibucket-1250000000'],
    });
    const { passivePortMin, passivePortMax } = randomPassiveRange();
    conf = path.join(dir, 'vsftpd.conf');
    fs.writeFileSync(
      conf,
      `[COS_ACCOUNT_0]
cos_secretid = AKIDcli
cos_secretkey = ${SECRET_KEY}      # trailing comment
cos_bucket = clibucket-1250000000
cos_endpoint = ${store.url}
home_dir = /home/cli
ftp_login_user_name = cli
ftp_login_user_password = "${PASSWORD}"   # quoted: it contains " #" and ";"
authority = RW

[NETWORK]
listen_address = 127.0.0.1
listen_port = 0
passive_port = ${passivePortMin},${passivePortMax}

[OPTIONAL]
log_level = DEBUG
log_dir = ${path.join(dir, 'logs')}
`,
    );
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a port in use: exit 1 with one line naming [NETWORK] listen_port, no stack trace on stderr or in the log', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const busy = path.join(dir, 'busy.conf');
      fs.writeFileSync(busy, fs.readFileSync(conf, 'utf8').replace('listen_port = 0', `listen_port = ${port}`));
      const r = await runCli(['--config', busy], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot start: \\[NETWORK\\] listen_port ${port}: the port is already in use`));
      const log = fs.readFileSync(path.join(dir, 'logs', 'cos_v5.log'), 'utf8');
      for (const text of [r.stdout, r.stderr, log]) assert.ok(!/\n\s+at |"stack"/.test(text), `no stack trace: ${text}`);
    } finally {
      blocker.close();
    }
  });

  it('serves curl with the configured login, stops on SIGTERM with status 0, logs no secret', async () => {
    const server = await startServerProcess(['--config', conf], dir);
    try {
      const url = `ftp://cli:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/`;
      const file = path.join(dir, 'up.txt');
      fs.writeFileSync(file, 'configured server\n');
      const put = await runTool('curl', ['-sS', '--max-time', '30', '-T', file, url]);
      assert.equal(put.code, 0, put.stderr);
      const list = await runTool('curl', ['-sS', '--max-time', '30', '--list-only', url]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split(/\r?\n/), ['up.txt']);
      const get = await runTool('curl', ['-sS', '--max-time', '30', `${url}up.txt`]);
      assert.equal(get.stdout, 'configured server\n');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
    const log = fs.readFileSync(path.join(dir, 'logs', 'cos_v5.log'), 'utf8');
    assert.match(log, /"msg":"ready/);
    assert.match(log, /"msg":"stopped"/);
    for (const secret of [SECRET_KEY, PASSWORD, 'Very#Secret', 'with; marks']) {
      assert.ok(!log.includes(secret) && !server.stdout().includes(secret), `"${secret}" must not be logged`);
    }
  });
});
