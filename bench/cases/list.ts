// Issue 6 case 4: LIST of a folder of N objects through the gateway vs the SDK paging the same prefix.
import type { CaseResult } from '../lib/results';
import { newRow, ratio, secondsOf } from '../lib/results';
import type { Stack } from '../lib/stack';
import type { BenchOptions } from './common';
import { fromClient, fromPlainClient, measureInto, runRounds } from './common';

export async function listCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const dir = `list-${opts.listCount}`;
  process.stderr.write(`list: seeding ${opts.listCount} objects under ${dir}/ (once per work folder)\n`);
  const seeded = await stack.sdk({ op: 'seed', prefix: `${dir}/`, count: opts.listCount });
  if (seeded.code !== 0) throw new Error(`seeding ${dir}/: ${seeded.stderr}`);
  const rows = {
    gateway: newRow('gateway: LIST (basic-ftp client, after login)', 'gateway'),
    sdk: newRow('SDK getBucket pages of 1,000 (prefix, delimiter /)', 'SDK client'),
  };
  const gateway = await stack.startGateway();
  try {
    const steps: (() => Promise<void>)[] = [
      () => measureInto(rows.gateway, stack, gateway.party, async () => {
        const outcome = fromPlainClient(await stack.ftpList(gateway, `/${dir}`));
        if (!('failure' in outcome) && outcome.count !== opts.listCount) return { failure: `listed ${outcome.count} entries, expected ${opts.listCount}` };
        return outcome;
      }),
      () => measureInto(rows.sdk, stack, undefined, async () => fromClient(await stack.sdk({ op: 'list', prefix: `${dir}/` }))),
    ];
    await runRounds('list', Object.values(rows), steps, opts);
  } finally {
    await stack.stopServer(gateway);
  }
  return {
    id: 'list',
    title: `Case 4: LIST of a folder of ${opts.listCount.toLocaleString('en-US')} objects`,
    lines: [
      'Seconds from sending LIST (or the first GET Bucket) to the last entry received; both read the same prefix of the local store, 1,000 keys per GET Bucket page.',
    ],
    kind: 'time',
    rows: Object.values(rows),
    ratios: [ratio('gateway time / SDK time', secondsOf(rows.gateway).median, secondsOf(rows.sdk).median, '<=', 1.25)],
  };
}
