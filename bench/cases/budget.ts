// Issue 13's upload buffer budget under load: many uploads at once from pipes (the gateway cannot know their size)
// against a small upload_buffer_size. Peak RSS against the budget, every object checked by its CRC-64, and the
// slowest upload against the median (no upload starves while others take turns for buffer space).
import { Crc64 } from '../../src/util/crc64';
import fs from 'node:fs';
import { runTool } from '../lib/processes';
import type { CaseResult } from '../lib/results';
import { newRow, peakOf, ratio } from '../lib/results';
import { fmtBytes, MIB, spread } from '../lib/stats';
import type { ServerHandle, Stack } from '../lib/stack';
import type { Attempt, BenchOptions } from './common';
import { measureInto } from './common';

/** CRC-64 of the first `bytes` of a file, as COS reports it (unsigned decimal). */
function crcOfPrefix(file: string, bytes: number): string {
  const crc = new Crc64();
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(8 * MIB);
  for (let at = 0; at < bytes; ) {
    const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, bytes - at), at);
    crc.update(chunk.subarray(0, n));
    at += n;
  }
  fs.closeSync(fd);
  return crc.digest();
}

const PIPE_UPLOAD = 'head -c "$1" "$2" | curl -sS --fail -T - -o /dev/null -w "%{time_total} %{size_upload}\\n" "$3"';

async function uploads(stack: Stack, gateway: ServerHandle, file: string, opts: BenchOptions, expectedCrc: string, slowness: number[]): Promise<Attempt> {
  const { budgetSessions: count, budgetSessionSize: size } = opts;
  const prefix = `budget-${Date.now()}`;
  const start = process.hrtime.bigint();
  const runs = await Promise.all(
    Array.from({ length: count }, (_, i) => runTool('sh', ['-c', PIPE_UPLOAD, 'sh', String(size), file, gateway.url(`${prefix}-${i}.bin`)])),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const times: number[] = [];
  let errors = 0;
  for (const run of runs) {
    const [time, sent] = run.stdout.trim().split(' ').map(Number);
    if (run.code === 0 && sent === size) times.push(time);
    else errors++;
  }
  const crcs = await stack.sdk({ op: 'crcs', prefix: `${prefix}-`, count });
  const stored = crcs.code === 0 ? (JSON.parse(crcs.stdout.trim().split('\n')[0]) as { crcs: Array<string | null> }).crcs : [];
  const wrong = Array.from({ length: count }, (_, i) => stored[i] !== expectedCrc).filter(Boolean).length;
  // Each repeat's objects have their own names (4 GiB at the defaults): checked, they go.
  await stack.sdk({ op: 'remove', prefix: `${prefix}-`, count });
  const median = spread(times).median;
  slowness.push(Math.max(...times) / median);
  return { seconds, bytes: times.length * size, errors: Math.max(errors, wrong) };
}

export async function budgetCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const size = opts.budgetSessionSize;
  const file = stack.dataFile(Math.max(size, opts.size));
  const expectedCrc = crcOfPrefix(file, size);
  const budget = opts.budgetMib * MIB;
  const row = newRow(`gateway: ${opts.budgetSessions} × curl -T - (pipe) at once`, 'gateway');
  const slowness: number[] = [];
  const gateway = await stack.startGateway('gateway-budget', { extraConf: [`upload_buffer_size = ${budget}`] });
  try {
    for (let i = 0; i < opts.repeats; i++) {
      process.stderr.write(`budget, repeat ${i + 1}/${opts.repeats}\n`);
      await measureInto(row, stack, gateway.party, () => uploads(stack, gateway, file, opts, expectedCrc, slowness));
    }
  } finally {
    await stack.stopServer(gateway);
  }
  const bound = budget + 150 * MIB;
  return {
    id: 'budget',
    title: `Upload buffer budget: ${opts.budgetSessions} uploads of ${fmtBytes(size)} from pipes at once, upload_buffer_size = ${fmtBytes(budget)}`,
    lines: [
      `Each session pipes the first ${fmtBytes(size)} of the data file into \`curl -T -\`, all started at once; part size ${fmtBytes(stack.transfer.partSize)}, ${stack.transfer.threads} parts in flight server-wide. Errors: sessions that failed or whose object's CRC-64 (HEAD) differs from the data's. Slowest / median: the slowest session's time over the median session's, per repeat.`,
    ],
    kind: 'throughput',
    rows: [row],
    ratios: [
      ratio('gateway peak RSS / (budget + 150 MiB)', peakOf(row).median, bound, '<=', 1, `budget ${opts.budgetMib} MiB`),
      ratio('slowest / median upload time', spread(slowness).median, 1, '<=', 3),
    ],
  };
}
