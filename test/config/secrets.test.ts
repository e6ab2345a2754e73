// Secrets out of the configuration file: ${env:NAME} and ${file:PATH} for cos_secretid, cos_secretkey and
// ftp_login_user_password, as an operator uses them: --check-config shows where each came from (masked), a missing
// variable or unreadable file exits 2 naming section and key, and a server started with them serves curl.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/load';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { runCli, runTool, startServerProcess, tempDir } from '../helpers/server-process';
import { accountSection, serverSections } from '../helpers/conf-file';

const SECRET_KEY = 'envSecretKey0123456789';
const PASSWORD = 'file-password #1';

function account(secretId: string, secretKey: string, password: string): string {
  return `[COS_ACCOUNT_0]
cos_secretid = ${secretId}
cos_secretkey = ${secretKey}
cos_bucket = examplebucket-1250000000
cos_region = ap-guangzhou
home_dir = /home/user0
ftp_login_user_name = user0
ftp_login_user_password = ${password}
authority = RW
`;
}

function problemsOf(text: string, env: NodeJS.ProcessEnv, baseDir = '/nonexistent'): string[] {
  try {
    parseConfig(text, path.join(baseDir, 'test.conf'), { env, cpuCount: 2 });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe('secret references', () => {
  let dir: string;
  before(() => {
    dir = tempDir('secrets');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads ${env:NAME} and ${file:PATH} (relative to the configuration file, trailing newline dropped)', () => {
    fs.writeFileSync(path.join(dir, 'pw'), `${PASSWORD}\n`);
    const { config } = parseConfig(account('${env:ID}', '${env:KEY}', '${file:pw}'), path.join(dir, 'x.conf'), {
      env: { ID: 'AKIDfromenv', KEY: SECRET_KEY },
    });
    const [a] = config.accounts;
    assert.equal(a.secretId, 'AKIDfromenv');
    assert.equal(a.secretKey, SECRET_KEY);
    assert.equal(a.password, PASSWORD);
    assert.deepEqual(a.secretOrigins?.password, { kind: 'file', path: path.join(dir, 'pw') });
  });

  it('$${ escapes a literal value; other values containing ${ are taken as written', () => {
    const { config } = parseConfig(account('AKID1', 'k${env:X}', '$${env:NOT_A_REF}'), '/x/test.conf', { env: {} });
    assert.equal(config.accounts[0].secretKey, 'k${env:X}');
    assert.equal(config.accounts[0].password, '${env:NOT_A_REF}');
    assert.equal(config.accounts[0].secretOrigins?.password.kind, 'inline');
  });

  it('a missing or empty variable, or an unreadable file, is a problem naming section and key', () => {
    const problems = problemsOf(account('${env:MISSING_ID}', '${env:EMPTY}', '${file:no-such-file}'), { EMPTY: '' }, dir);
    assert.deepEqual(problems, [
      '[COS_ACCOUNT_0] cos_secretid: environment variable MISSING_ID is not set',
      '[COS_ACCOUNT_0] cos_secretkey: environment variable EMPTY is empty',
      `[COS_ACCOUNT_0] ftp_login_user_password: cannot read ${path.join(dir, 'no-such-file')}: no such file`,
    ]);
  });
});

describe('secrets from the environment and a file, in a server process', () => {
  let store: LocalCos;
  let dir: string;
  let conf: string;
  before(async () => {
    dir = tempDir('secrets-proc');
    store = await startLocalCos({
      memory: true,
      credentials: [{ id: 'AKIDenv', key: SECRET_KEY }],
      buckets: ['secretbucket-1250000000'],
    });
    fs.writeFileSync(path.join(dir, 'ftp-password'), `${PASSWORD}\n`, { mode: 0o600 });
    conf = path.join(dir, 'vsftpd.conf');
    const account = accountSection({
      index: 0,
      secretId: '${env:TEST_COS_SECRETID}',
      secretKey: '${env:TEST_COS_SECRETKEY}',
      bucket: 'secretbucket-1250000000',
      endpoint: store.url,
      user: 'envuser',
      password: '${file:ftp-password}',
    });
    fs.writeFileSync(
      conf,
      account + serverSections(path.join(dir, 'logs')),
      { mode: 0o644 },
    );
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, TEST_COS_SECRETID: 'AKIDenv', TEST_COS_SECRETKEY: SECRET_KEY };

  it('--check-config says where each secret came from, masked; a missing variable exits 2 naming section and key', async () => {
    const r = await runCli(['--config', conf, '--check-config'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cos_secretid = \*{8} \(from environment variable TEST_COS_SECRETID\)/);
    assert.match(r.stdout, /cos_secretkey = \*{8} \(from environment variable TEST_COS_SECRETKEY\)/);
    assert.match(r.stdout, new RegExp(`ftp_login_user_password = \\*{8} \\(from file ${path.join(dir, 'ftp-password')}\\)`));
    assert.ok(!r.stdout.includes(SECRET_KEY) && !r.stdout.includes(PASSWORD), 'secrets masked');
    // Every secret is outside the file, so a world-readable file is no longer worth a warning.
    assert.ok(!/readable by every user/.test(r.stderr), r.stderr);

    const missing = await runCli(['--config', conf, '--check-config'], dir, { ...env, TEST_COS_SECRETKEY: undefined });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /\[COS_ACCOUNT_0\] cos_secretkey: environment variable TEST_COS_SECRETKEY is not set/);
  });

  it('a server started with them serves curl with the password from the file', async () => {
    const server = await startServerProcess(['--config', conf], dir, { env });
    try {
      const url = `ftp://envuser:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/`;
      const file = path.join(dir, 'up.txt');
      fs.writeFileSync(file, 'from env\n');
      const put = await runTool('curl', ['-sS', '--max-time', '30', '-T', file, url]);
      assert.equal(put.code, 0, put.stderr);
      const get = await runTool('curl', ['-sS', '--max-time', '30', `${url}up.txt`]);
      assert.equal(get.stdout, 'from env\n');
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited(), 0);
    const log = fs.readFileSync(path.join(dir, 'logs', 'cos_v5.log'), 'utf8');
    assert.ok(!log.includes(SECRET_KEY) && !log.includes(PASSWORD), 'no secret logged');
  });
});
