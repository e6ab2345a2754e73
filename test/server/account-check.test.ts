// The start-up check of every account against COS (real SDK, local store): a good account passes quietly; wrong
// keys, a missing bucket and an unreachable endpoint each get a warning that names the section and what to fix.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { AccountConfig } from '../../src/config/types';
import { checkAccounts } from '../../src/server/account-check';
import { createStore } from '../../src/store/index';
import { type Stack, startStack } from '../helpers/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => stack?.close());

test('wrong key, unknown id, missing bucket and unreachable COS are each reported with the fix; a good account is not', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const good = stack.account();
  const variant = (section: string, change: Partial<AccountConfig>): AccountConfig => ({ ...good, section, ...change });
  const accounts = [
    variant('COS_ACCOUNT_0', {}),
    variant('COS_ACCOUNT_1', { secretKey: 'not-the-key' }),
    variant('COS_ACCOUNT_2', { secretId: 'AKIDunknown' }),
    variant('COS_ACCOUNT_3', { bucket: 'nosuch-1250000000' }),
    variant('COS_ACCOUNT_4', { endpoint: 'http://127.0.0.1:9' }),
  ].map((account) => ({ account, store: createStore(account, { logger: stack.logger, timeoutMs: 5000 }) }));
  await checkAccounts(accounts, pino({ level: 'info' }, sink));
  const warnings = lines.map((l) => JSON.parse(l) as { msg: string; section: string });
  const bySection = new Map(warnings.map((w) => [w.section, w.msg]));
  assert.equal(bySection.has('COS_ACCOUNT_0'), false, 'the good account is not warned about');
  assert.match(bySection.get('COS_ACCOUNT_1') ?? '', /\[COS_ACCOUNT_1\] wrong cos_secretkey/);
  assert.match(bySection.get('COS_ACCOUNT_2') ?? '', /\[COS_ACCOUNT_2\] unknown cos_secretid/);
  assert.match(bySection.get('COS_ACCOUNT_3') ?? '', /\[COS_ACCOUNT_3\] the bucket does not exist/);
  assert.match(bySection.get('COS_ACCOUNT_4') ?? '', /\[COS_ACCOUNT_4\] COS cannot be reached/);
});
