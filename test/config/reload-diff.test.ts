// What a reload reports: account changes by key name (S3 accounts under their S3 names), live limits, and the keys
// that need a restart; a `default` upload_buffer_size recomputed from free memory is no change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServerConfig } from '../../src/config/defaults';
import { describeDiff, diffConfig } from '../../src/config/reload-diff';

describe('reload diff', () => {
  it('names changed account keys, live limits and restart-only keys', () => {
    const transfer = { uploadBufferSize: 1 << 30 };
    const before = buildServerConfig({ accounts: [{ userName: 'a' }, { userName: 'b' }], maxListFile: 1000, transfer });
    const after = buildServerConfig({
      accounts: [
        { userName: 'a', password: 'new', storage: 's3', secretKey: 'other', s3: { region: 'us-east-1', forcePathStyle: true } },
        {},
        { userName: 'c' },
      ],
      maxListFile: 50,
      network: { listenPort: 2122 },
      transfer,
    });
    after.accounts[1] = { ...after.accounts[1], section: 'COS_ACCOUNT_9' };
    const diff = describeDiff(diffConfig(before, after));
    assert.deepEqual(diff.changed, ['[COS_ACCOUNT_0] a: s3_secret_access_key, ftp_login_user_password, storage, s3_region, s3_force_path_style']);
    assert.deepEqual(diff.added, ['[COS_ACCOUNT_9] user2', '[COS_ACCOUNT_2] c']);
    assert.deepEqual(diff.removed, ['[COS_ACCOUNT_1] b']);
    assert.deepEqual(diff.applied, ['[OPTIONAL] max_list_file 1000 -> 50']);
    assert.deepEqual(diff.restartRequired, ['[NETWORK] listen_port 2121 -> 2122']);
  });

  it('durations are shown in the seconds their keys are written in', () => {
    const transfer = { uploadBufferSize: 1 << 30 };
    const before = buildServerConfig({ transfer });
    const after = buildServerConfig({
      transfer,
      limits: { ...before.limits, idleSessionTimeoutMs: 60_000, maxPerIp: 5 },
    });
    after.metrics = { host: '127.0.0.1', port: 9121, checkIntervalMs: 2000 };
    before.metrics = { host: '127.0.0.1', port: 9121, checkIntervalMs: 60_000 };
    const diff = diffConfig(before, after);
    assert.deepEqual(diff.applied, ['[SECURITY] max_per_ip 32 -> 5', '[SECURITY] idle_session_timeout 300 -> 60']);
    assert.deepEqual(diff.restartRequired, ['[METRICS] check_interval 60 -> 2']);
  });

  it('a default upload_buffer_size worked out again is not a change; a written one is', () => {
    const at = (size: number, defaulted: boolean) =>
      buildServerConfig({ transfer: { uploadBufferSize: size, uploadBufferSizeDefaulted: defaulted } });
    assert.deepEqual(diffConfig(at(100, true), at(200, true)).restartRequired, []);
    assert.deepEqual(diffConfig(at(100, true), at(200, false)).restartRequired, ['[OPTIONAL] upload_buffer_size default -> 200']);
  });
});
