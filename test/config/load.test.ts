// The configuration loader: the seed's example loads; every bad configuration gives a message naming its key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { describeConfig } from '../../src/cli/describe';
import { ConfigError, parseConfig } from '../../src/config/load';
import type { LoadedConfig } from '../../src/config/load';
import { checkResources, requiredMemory } from '../../src/config/memory-check';
import { GIB, MIB } from '../../src/config/defaults';
import { availableMemory, defaultUploadBufferSize } from '../../src/config/memory';

// Compiled to dist/test/config/; the fixture stays in the source tree.
const SEED_EXAMPLE = path.resolve(__dirname, '../../../test/config/fixtures/seed-example.conf');

/** The example configuration of the user's document, copied verbatim (Korean trailing comments included). */
function seedExample(): string {
  return fs.readFileSync(SEED_EXAMPLE, 'utf8');
}

const ACCOUNT = `[COS_ACCOUNT_0]
cos_secretid = AKIDEXAMPLE
cos_secretkey = secret
cos_bucket = examplebucket-1250000000
cos_region = ap-guangzhou
home_dir = /home/user0
ftp_login_user_name = user0
ftp_login_user_password = pass0
authority = RW
`;

function load(text: string): LoadedConfig {
  return parseConfig(text, 'test.conf', { baseDir: '/srv/ftp', cpuCount: 2 });
}

function problemsOf(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  return [];
}

/** Replace one `key = value` line of the account (or append the line when the key is absent). */
function withAccount(key: string, value: string | null, base = ACCOUNT): string {
  const re = new RegExp(`^${key}\\s*=.*$`, 'm');
  if (value === null) return base.replace(re, '');
  return re.test(base) ? base.replace(re, `${key} = ${value}`) : `${base}${key} = ${value}\n`;
}

describe('the seed example', () => {
  it('loads with its trailing comments and placeholder masquerade_address', () => {
    const { config, warnings } = load(seedExample());
    assert.equal(config.accounts.length, 2);
    const [a0, a1] = config.accounts;
    assert.equal(a0.secretId, 'COS_SECRETID');
    assert.equal(a0.secretKey, 'COS_SECRETKEY');
    assert.equal(a0.region, 'region');
    assert.equal(a0.homeDir, '/home/user0');
    assert.equal(a0.userName, 'user1');
    assert.equal(a0.password, 'pass1');
    assert.equal(a0.authority, 'RW');
    assert.equal(a0.deleteEnable, true);
    assert.equal(a0.endpoint, undefined, 'the commented-out cos_endpoint stays unset');
    assert.equal(a1.userName, 'user0');
    assert.equal(a1.deleteEnable, false);
    assert.equal(config.network.listenPort, 2121);
    assert.deepEqual([config.network.passivePortMin, config.network.passivePortMax], [60000, 65535]);
    assert.equal(config.network.masqueradeAddress, undefined);
    assert.ok(warnings.some((w) => w.includes('masquerade_address')));
    assert.equal(config.transfer.singleFileMaxSize, 21474836480);
    assert.equal(config.transfer.minPartSize, Math.ceil(21474836480 / 10000));
    assert.equal(config.transfer.uploadThreadNum, 8);
    assert.equal(config.maxConnectionNum, 512);
    assert.equal(config.maxListFile, 10000);
    assert.equal(config.log.level, 'info');
    assert.equal(config.log.dir, '/srv/ftp/log');
  });
});

describe('conf/vsftpd.conf.example', () => {
  it('loads without a single warning', () => {
    const file = path.resolve(__dirname, '../../../conf/vsftpd.conf.example');
    const { config, warnings } = load(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(warnings, []);
    assert.equal(config.accounts.length, 2);
    assert.equal(config.accounts[1].authority, 'R');
    assert.equal(config.log.rotateWhen, 'H');
  });
});

describe('bad configurations, each with its message', () => {
  const cases: Array<{ name: string; text: string; message: RegExp }> = [
    { name: 'missing secret key', text: withAccount('cos_secretkey', null), message: /\[COS_ACCOUNT_0\] cos_secretkey is required/ },
    { name: 'missing user name', text: withAccount('ftp_login_user_name', null), message: /\[COS_ACCOUNT_0\] ftp_login_user_name is required/ },
    { name: 'missing password', text: withAccount('ftp_login_user_password', null), message: /ftp_login_user_password is required/ },
    { name: 'missing home_dir', text: withAccount('home_dir', null), message: /\[COS_ACCOUNT_0\] home_dir is required/ },
    { name: 'missing authority', text: withAccount('authority', null), message: /\[COS_ACCOUNT_0\] authority is required/ },
    {
      name: 'duplicate user names',
      text: ACCOUNT + withAccount('home_dir', '/home/other').replace('COS_ACCOUNT_0', 'COS_ACCOUNT_1'),
      message: /\[COS_ACCOUNT_1\] ftp_login_user_name: user name "user0" is already used by \[COS_ACCOUNT_0\]/,
    },
    {
      name: 'duplicate home_dir',
      text: ACCOUNT + withAccount('ftp_login_user_name', 'other').replace('COS_ACCOUNT_0', 'COS_ACCOUNT_1'),
      message: /\[COS_ACCOUNT_1\] home_dir: home_dir "\/home\/user0" is already used by \[COS_ACCOUNT_0\]/,
    },
    { name: 'bucket without appid', text: withAccount('cos_bucket', 'examplebucket'), message: /\[COS_ACCOUNT_0\] cos_bucket must be <name>-<appid>/ },
    { name: 'bucket with non-numeric appid', text: withAccount('cos_bucket', 'example-bucket'), message: /cos_bucket must be <name>-<appid>/ },
    { name: 'authority not R/W/RW', text: withAccount('authority', 'X'), message: /\[COS_ACCOUNT_0\] authority must be R, W or RW; got "X"/ },
    { name: 'region and endpoint both missing', text: withAccount('cos_region', null), message: /\[COS_ACCOUNT_0\] cos_region is required \(or cos_endpoint/ },
    { name: 'region with blanks', text: withAccount('cos_region', '"ap guangzhou"'), message: /\[COS_ACCOUNT_0\] cos_region must look like ap-guangzhou/ },
    { name: 'bad protocol', text: withAccount('cos_protocol', 'ftp'), message: /\[COS_ACCOUNT_0\] cos_protocol must be one of https, http/ },
    { name: 'bad delete_enable', text: withAccount('delete_enable', 'maybe'), message: /\[COS_ACCOUNT_0\] delete_enable must be true or false/ },
    { name: 'listen port out of range', text: `${ACCOUNT}[NETWORK]\nlisten_port = 70000\n`, message: /\[NETWORK\] listen_port must be between 0 and 65535, got 70000/ },
    { name: 'listen port not a number', text: `${ACCOUNT}[NETWORK]\nlisten_port = ftp\n`, message: /\[NETWORK\] listen_port must be a whole number/ },
    { name: 'passive range reversed', text: `${ACCOUNT}[NETWORK]\npassive_port = 65000,60000\n`, message: /\[NETWORK\] passive_port range is reversed: 65000 is above 60000/ },
    { name: 'passive port out of range', text: `${ACCOUNT}[NETWORK]\npassive_port = 60000,70000\n`, message: /\[NETWORK\] passive_port last port must be between 1 and 65535/ },
    { name: 'single_file_max_size not numeric', text: `${ACCOUNT}[FILE_OPTION]\nsingle_file_max_size = 20G\n`, message: /\[FILE_OPTION\] single_file_max_size must be a number of bytes, got "20G"/ },
    { name: 'min_part_size not numeric', text: `${ACCOUNT}[OPTIONAL]\nmin_part_size = big\n`, message: /\[OPTIONAL\] min_part_size must be a number of bytes, got "big"/ },
    { name: 'min_part_size below 1 MiB', text: `${ACCOUNT}[OPTIONAL]\nmin_part_size = 1000\n`, message: /\[OPTIONAL\] min_part_size must be between 1048576 and 5368709120/ },
    { name: 'upload_thread_num not numeric', text: `${ACCOUNT}[OPTIONAL]\nupload_thread_num = many\n`, message: /\[OPTIONAL\] upload_thread_num must be a whole number/ },
    { name: 'negative max_connection_num', text: `${ACCOUNT}[OPTIONAL]\nmax_connection_num = -1\n`, message: /\[OPTIONAL\] max_connection_num must be between 0 and/ },
    { name: 'max_list_file zero', text: `${ACCOUNT}[OPTIONAL]\nmax_list_file = 0\n`, message: /\[OPTIONAL\] max_list_file must be between 1 and/ },
    { name: 'unknown log level', text: `${ACCOUNT}[OPTIONAL]\nlog_level = VERBOSE\n`, message: /\[OPTIONAL\] log_level must be one of INFO, DEBUG, ERROR/ },
    { name: 'unknown rotation unit', text: `${ACCOUNT}[OPTIONAL]\nlog_rotate_when = W\n`, message: /\[OPTIONAL\] log_rotate_when must be one of S, M, H, D/ },
    { name: 'no account section', text: '[NETWORK]\nlisten_port = 2121\n', message: /no \[COS_ACCOUNT_x\] section/ },
    { name: 'a line that is not key = value', text: `${ACCOUNT}just some words\n`, message: /line 10: expected "key = value"/ },
    { name: 'unterminated quote', text: withAccount('ftp_login_user_password', '"abc'), message: /ftp_login_user_password: unterminated quote/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = problemsOf(c.text);
      assert.ok(problems.some((p) => c.message.test(p)), `expected ${c.message} in:\n${problems.join('\n')}`);
    });
  }

  it('reports every problem at once', () => {
    const text = `${withAccount('authority', 'X', withAccount('cos_bucket', 'nobucket'))}[NETWORK]\nlisten_port = 99999\npassive_port = 2,1\n`;
    const problems = problemsOf(text);
    assert.equal(problems.length, 4, problems.join('\n'));
  });

  it('the error message lists the file and each problem on its own line', () => {
    assert.throws(() => load(withAccount('authority', 'X')), (err: Error) => {
      assert.match(err.message, /^test\.conf: 1 problem\(s\) in the configuration:\n {2}- \[COS_ACCOUNT_0\] authority/);
      return true;
    });
  });
});

describe('values', () => {
  it('keeps # and ; inside a password, quoted or not, and removes trailing comments', () => {
    const text = `${ACCOUNT}[COS_ACCOUNT_1]
cos_secretid = id   # comment
cos_secretkey = k;ey#1   ; comment
cos_bucket = b-1250000000
cos_region = ap-guangzhou
home_dir = /home/u1/
ftp_login_user_name = u1
ftp_login_user_password = "p #w;d "   # quoted: "blanks" and comment marks kept
authority = rw
[COS_ACCOUNT_2]
cos_secretid = id
cos_secretkey = k
cos_bucket = c-1250000000
cos_endpoint = http://127.0.0.1:9000
home_dir = /home/u2
ftp_login_user_name = u2
ftp_login_user_password = pa#ss;word
authority = R
cos_secretkey = 'it"s' # quotes inside quotes
delete_enable = no
cos_prefix = /team//a/
`;
    const { config } = load(text);
    const [, a1, a2] = config.accounts;
    assert.equal(a1.secretId, 'id');
    assert.equal(a1.secretKey, 'k;ey#1');
    assert.equal(a1.password, 'p #w;d ');
    assert.equal(a1.homeDir, '/home/u1');
    assert.equal(a1.authority, 'RW');
    assert.equal(a2.password, 'pa#ss;word');
    assert.equal(a2.secretKey, 'it"s');
    assert.equal(a2.endpoint, 'http://127.0.0.1:9000');
    assert.equal(a2.region, '');
    assert.equal(a2.authority, 'R');
    assert.equal(a2.deleteEnable, false);
    assert.equal(a2.prefix, 'team/a/');
    assert.equal(config.accounts[0].prefix, '');
  });

  it('warns about unknown keys and sections without failing', () => {
    const { warnings } = load(`${ACCOUNT}colour = blue\nlisten_port = 21\n[EXTRA]\nx = 1\n`);
    assert.ok(warnings.some((w) => /\[COS_ACCOUNT_0\] unknown key colour/.test(w)));
    assert.ok(warnings.some((w) => /unknown key listen_port .*belongs in \[NETWORK\]/.test(w)));
    assert.ok(warnings.some((w) => /unknown section \[EXTRA\]/.test(w)));
  });

  it('a misspelt key is named next to the problem it causes; duplicates are reported beside other problems', () => {
    const typo = ACCOUNT.replace('cos_secretkey', 'cos_secretkye');
    try {
      load(`${typo}[COS_ACCOUNT_1]\ncos_secretid = id\ncos_secretkey = key\ncos_bucket = Bad_Bucket\n` +
        'home_dir = /home/user0/\nftp_login_user_name = user0\nftp_login_user_password = p\nauthority = RW\n');
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const all = err.problems.join('\n');
      assert.match(all, /\[COS_ACCOUNT_0\] cos_secretkey is required/);
      assert.match(all, /\[COS_ACCOUNT_1\] cos_bucket must be/);
      assert.match(all, /\[COS_ACCOUNT_1\] ftp_login_user_name: user name "user0" is already used by \[COS_ACCOUNT_0\]/);
      assert.match(all, /\[COS_ACCOUNT_1\] home_dir: home_dir "\/home\/user0" is already used by \[COS_ACCOUNT_0\]/);
      assert.ok(err.warnings.some((w) => /\[COS_ACCOUNT_0\] unknown key cos_secretkye/.test(w)), err.warnings.join('; '));
    }
  });

  it('resolves default tokens like the original', () => {
    const { config } = load(`${ACCOUNT}[OPTIONAL]\nmin_part_size = default\nupload_thread_num = default\n`);
    assert.equal(config.transfer.singleFileMaxSize, 200 * GIB);
    assert.equal(config.transfer.minPartSize, Math.ceil((200 * GIB) / 10000));
    assert.equal(config.transfer.uploadThreadNum, 8, '4 per CPU on 2 CPUs');
    const small = load(`${ACCOUNT}[FILE_OPTION]\nsingle_file_max_size = 1073741824\n`).config;
    assert.equal(small.transfer.minPartSize, 2 * MIB, '2 MiB when that fits 10000 parts');
    const explicit = load(
      `${ACCOUNT}[FILE_OPTION]\nsingle_file_max_size = 1073741824\n[OPTIONAL]\nmin_part_size = 8388608\nupload_thread_num = 3\n`,
    ).config;
    assert.equal(explicit.transfer.minPartSize, 8 * MIB);
    assert.equal(explicit.transfer.uploadThreadNum, 3);
  });

  it('reads upload_buffer_size: bytes, or default from the available memory; at least one part', () => {
    const part = '[FILE_OPTION]\nsingle_file_max_size = 1073741824\n[OPTIONAL]\nmin_part_size = 8388608\nupload_thread_num = 3\n';
    const explicit = load(`${ACCOUNT}${part}upload_buffer_size = 104857600\n`);
    assert.equal(explicit.config.transfer.uploadBufferSize, 100 * MIB);
    assert.deepEqual(explicit.warnings, []);
    const sizing = { maxConnectionNum: 512, maxListFile: 1000, transfer: { minPartSize: 8 * MIB, uploadThreadNum: 3 } };
    const byDefault = load(`${ACCOUNT}${part}upload_buffer_size = default\n`).config.transfer.uploadBufferSize;
    // 60 % of the available memory less the rest of the original's estimate (the figure moves with the machine).
    const expected = defaultUploadBufferSize(sizing, availableMemory());
    assert.ok(Math.abs(byDefault - expected) < 64 * MIB, `${byDefault} vs ${expected}`);
    assert.equal(defaultUploadBufferSize(sizing, 10 * GIB), Math.floor(6 * GIB - (20 * MIB + 511 * 2 * MIB + 255.5 * 1000 * 1024)));
    assert.equal(defaultUploadBufferSize(sizing, 100 * MIB), 5 * 8 * MIB, 'at least upload_thread_num + 2 parts');
    const few = load(`${ACCOUNT}${part}upload_buffer_size = 16777216\n`);
    assert.equal(few.config.transfer.uploadBufferSize, 16 * MIB);
    assert.ok(few.warnings.some((w) => /upload_buffer_size 16777216 holds fewer than upload_thread_num \+ 2 parts/.test(w)), few.warnings.join('; '));
    assert.throws(
      () => load(`${ACCOUNT}${part}upload_buffer_size = 1000\n`),
      (err: ConfigError) => err.problems.some((p) => /\[OPTIONAL\] upload_buffer_size 1000 is less than one upload part \(min_part_size in effect: 8388608 bytes\)/.test(p)),
    );
    assert.throws(
      () => load(`${ACCOUNT}[OPTIONAL]\nupload_buffer_size = lots\n`),
      (err: ConfigError) => err.problems.some((p) => /\[OPTIONAL\] upload_buffer_size must be a number of bytes/.test(p)),
    );
  });

  it('caps upload_thread_num at 8 per CPU with a warning', () => {
    const { config, warnings } = load(`${ACCOUNT}[OPTIONAL]\nupload_thread_num = 100\n`);
    assert.equal(config.transfer.uploadThreadNum, 16);
    assert.ok(warnings.some((w) => /upload_thread_num 100 is more than 8 per CPU/.test(w)));
  });

  it('reads the rotation and check options', () => {
    const { config } = load(
      `${ACCOUNT}[OPTIONAL]\nlog_rotate_enabled = yes\nlog_rotate_when = m\nlog_backup_count = 7\nconfig_check_enable = false\nlog_dir = /var/log/cosftp\nlog_level = debug\nmax_connection_num = 0\n`,
    );
    assert.deepEqual(config.log, { level: 'debug', dir: '/var/log/cosftp', rotateEnabled: true, rotateWhen: 'M', backupCount: 7 });
    assert.equal(config.configCheckEnable, false);
    assert.equal(config.maxConnectionNum, 0);
  });

  it('accepts a host name as masquerade_address', () => {
    const { config } = load(`${ACCOUNT}[NETWORK]\nmasquerade_address = ftp.example.com\n`);
    assert.equal(config.network.masqueradeAddress, 'ftp.example.com');
  });
});

describe('memory check (config_check_enable)', () => {
  it('counts upload buffers as at most upload_buffer_size', () => {
    const { config } = load(`${ACCOUNT}[OPTIONAL]\nmax_connection_num = 101\nmax_list_file = 1000\nupload_thread_num = 4\nmin_part_size = 2097152\nupload_buffer_size = 20971520\n[FILE_OPTION]\nsingle_file_max_size = 1073741824\n`);
    assert.equal(requiredMemory(config), 20 * MIB + 200 * MIB + 50 * 1000 * 1024 + 20 * MIB);
  });

  it('applies the original formula', () => {
    const { config } = load(`${ACCOUNT}[OPTIONAL]\nmax_connection_num = 101\nmax_list_file = 1000\nupload_thread_num = 4\nmin_part_size = 2097152\n[FILE_OPTION]\nsingle_file_max_size = 1073741824\n`);
    // 20 MB + 100 x 2 MB + 50 x 1000 KB + (50 + 4) x 2 MB
    assert.equal(requiredMemory(config), 20 * MIB + 200 * MIB + 50 * 1000 * 1024 + 54 * 2 * MIB);
  });

  it('refuses a configuration that needs more than 60% of the available memory, unless disabled', async () => {
    const huge = `${ACCOUNT}[OPTIONAL]\nmax_connection_num = 1000000\nmax_list_file = 10000000\n`;
    const problems = await checkResources(load(huge).config);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /60% of the available memory/);
    assert.deepEqual(await checkResources(load(`${huge}config_check_enable = false\n`).config), []);
    assert.deepEqual(await checkResources(load(seedExample()).config), [], 'the seed example fits this machine');
  });
});

describe('[NETWORK] proxy_protocol and proxy_trusted', () => {
  it('reads addresses and CIDR ranges of both families; off by default', () => {
    assert.equal(load(ACCOUNT).config.network.proxyProtocol, undefined);
    const { config } = load(`${ACCOUNT}[NETWORK]\nproxy_protocol = on\nproxy_trusted = 127.0.0.1, 10.0.0.0/8 fd00::/8,::1\n`);
    assert.deepEqual(config.network.proxyProtocol, {
      trusted: [
        { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ],
    });
  });

  it('names the key and what to fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['proxy_protocol = maybe', /\[NETWORK\] proxy_protocol must be true or false/],
      ['proxy_protocol = on', /\[NETWORK\] proxy_trusted is required when proxy_protocol = on/],
      ['proxy_protocol = on\nproxy_trusted = lb.example.com', /\[NETWORK\] proxy_trusted entries must be IP addresses or address\/prefix ranges; got "lb.example.com"/],
      ['proxy_protocol = on\nproxy_trusted = 10.0.0.0/33', /\[NETWORK\] proxy_trusted prefix length of "10.0.0.0\/33" must be 0-32/],
      ['proxy_protocol = on\nproxy_trusted = 0.0.0.0/0', /\[NETWORK\] proxy_trusted "0.0.0.0\/0" would trust every address/],
    ];
    for (const [lines, message] of cases) {
      const problems = problemsOf(`${ACCOUNT}[NETWORK]\n${lines}\n`);
      assert.ok(problems.some((p) => message.test(p)), `expected ${message} in:\n${problems.join('\n')}`);
    }
  });

  it('warns that proxy_trusted without proxy_protocol does nothing', () => {
    const { warnings } = load(`${ACCOUNT}[NETWORK]\nproxy_trusted = 10.0.0.5\n`);
    assert.ok(warnings.some((w) => /proxy_trusted .* is ignored: proxy_protocol is off/.test(w)), warnings.join('\n'));
  });

  it('--check-config shows both keys', () => {
    const on = describeConfig(load(`${ACCOUNT}[NETWORK]\nproxy_protocol = on\nproxy_trusted = 10.0.0.5, 10.0.1.0/24\n`).config);
    assert.match(on, /^proxy_protocol = on$/m);
    assert.match(on, /^proxy_trusted = 10\.0\.0\.5, 10\.0\.1\.0\/24$/m);
    const off = describeConfig(load(ACCOUNT).config);
    assert.match(off, /^proxy_protocol = off$/m);
    assert.match(off, /^proxy_trusted = \(none\)$/m);
  });
});

describe('storage = s3 accounts', () => {
  const S3_ACCOUNT = `[COS_ACCOUNT_0]
storage = s3
s3_endpoint = http://127.0.0.1:9000
s3_bucket = ftp-files
s3_access_key_id = minioadmin
s3_secret_access_key = minio-secret
home_dir = /home/user0
ftp_login_user_name = user0
ftp_login_user_password = pass0
authority = RW
`;

  it('loads with its defaults: region us-east-1, path style with an endpoint, virtual host without', () => {
    const [a] = load(S3_ACCOUNT).config.accounts;
    assert.equal(a.storage, 's3');
    assert.equal(a.bucket, 'ftp-files');
    assert.equal(a.secretId, 'minioadmin');
    assert.equal(a.secretKey, 'minio-secret');
    assert.deepEqual(a.s3, { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true });
    const [aws] = load(withAccount('s3_endpoint', null, withAccount('s3_region', 'eu-central-1', S3_ACCOUNT))).config.accounts;
    assert.deepEqual(aws.s3, { endpoint: undefined, region: 'eu-central-1', forcePathStyle: false });
    const [cos] = load(ACCOUNT).config.accounts;
    assert.equal(cos.storage, 'cos');
    assert.equal(cos.s3, undefined);
  });

  it('every wrong or misplaced key is reported with its section', () => {
    const cases: Array<[string, RegExp]> = [
      [withAccount('s3_bucket', null, S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_bucket is required \(storage = s3\)/],
      [withAccount('s3_secret_access_key', null, S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_secret_access_key is required/],
      [withAccount('s3_bucket', 'Has_Upper', S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_bucket must be 3-63 lower-case/],
      [withAccount('s3_endpoint', 'minio:9000', S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_endpoint must be an http\(s\):\/\/ URL/],
      [withAccount('s3_endpoint', 'http://minio:9000/bucket', S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_endpoint must be an http\(s\):\/\/ URL without a path/],
      [withAccount('s3_region', 'EU Central', S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_region must look like us-east-1/],
      [withAccount('s3_force_path_style', 'sometimes', S3_ACCOUNT), /\[COS_ACCOUNT_0\] s3_force_path_style must be true or false/],
      [withAccount('cos_bucket', 'examplebucket-1250000000', S3_ACCOUNT), /\[COS_ACCOUNT_0\] cos_bucket has no effect with storage = s3; use s3_bucket/],
      [withAccount('s3_region', 'us-east-1'), /\[COS_ACCOUNT_0\] s3_region needs storage = s3/],
      [withAccount('storage', 'gcs'), /\[COS_ACCOUNT_0\] storage must be one of cos, s3/],
    ];
    for (const [text, message] of cases) {
      const problems = problemsOf(text);
      assert.ok(problems.some((p) => message.test(p)), `expected ${message} in:\n${problems.join('\n')}`);
    }
  });
});
