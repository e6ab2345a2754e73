// The log file: cos_v5.log under log_dir, secrets redacted, time-based rotation keeping log_backup_count files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDaemonLogger } from '../../src/log/logger';
import { openLogFile, rotationSuffix } from '../../src/log/rotating-file';
import { scrubText } from '../../src/log/scrub';
import { tempDir } from '../helpers/server-process';

describe('daemon log', () => {
  let dir: string;
  before(() => {
    dir = tempDir('log');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes JSON lines to log_dir/cos_v5.log at log_level, without secrets', () => {
    const logDir = path.join(dir, 'nested', 'log');
    const log = createDaemonLogger(
      { level: 'info', dir: logDir, rotateEnabled: false, rotateWhen: 'H', backupCount: 3 },
      { console: false },
    );
    log.logger.debug('not at info level');
    log.logger.info({ account: { userName: 'u', password: 'hunter2', secretKey: 'sk-abc' } }, 'account');
    log.logger.info({ config: { accounts: [{ password: 'pw-in-array', secretKey: 'sk-in-array' }] } }, 'config');
    log.logger.error({ password: 'top-level-pw' }, 'oops');
    log.close();
    const text = fs.readFileSync(path.join(logDir, 'cos_v5.log'), 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    assert.deepEqual(lines.map((l) => l.msg), ['account', 'config', 'oops']);
    for (const secret of ['hunter2', 'sk-abc', 'pw-in-array', 'sk-in-array', 'top-level-pw']) {
      assert.ok(!text.includes(secret), `${secret} redacted`);
    }
  });

  it('masks the argument of PASS lines in raw protocol text', () => {
    assert.equal(scrubText('PASS secret word'), 'PASS ********');
    assert.equal(scrubText('USER a\r\npass s3cr3t\r\nPWD'), 'USER a\r\npass ********\r\nPWD');
    assert.equal(scrubText('PASSIVE mode'), 'PASSIVE mode');
  });

  it('rotates by time: renames the live file with the original suffix and keeps log_backup_count files', () => {
    const file = path.join(dir, 'rot', 'cos_v5.log');
    const rotating = openLogFile(file, { unit: 'S', backupCount: 2 });
    try {
      for (let i = 0; i < 4; i++) {
        rotating.stream.write(`line ${i}\n`);
        rotating.rotate();
      }
      rotating.stream.write('live\n');
    } finally {
      rotating.close();
    }
    const names = fs.readdirSync(path.dirname(file)).sort();
    assert.ok(names.includes('cos_v5.log'));
    const rotated = names.filter((n) => n.startsWith('cos_v5.log.'));
    assert.equal(rotated.length, 2, names.join(', '));
    for (const n of rotated) assert.match(n, /^cos_v5\.log\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(\.\d+)?$/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'live\n');
  });

  it('uses the suffixes of the original for each unit', () => {
    const d = new Date(2024, 0, 2, 3, 4, 5);
    assert.equal(rotationSuffix(d, 'D'), '2024-01-02');
    assert.equal(rotationSuffix(d, 'H'), '2024-01-02_03');
    assert.equal(rotationSuffix(d, 'M'), '2024-01-02_03-04');
    assert.equal(rotationSuffix(d, 'S'), '2024-01-02_03-04-05');
  });
});
