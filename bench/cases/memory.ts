// Issue 5's memory bound: the gateway's peak RSS uploading different sizes with the same settings. A fresh gateway
// per upload, so each peak is that upload's alone.
import type { CaseResult } from '../lib/results';
import { newRow, peakOf, ratio } from '../lib/results';
import { fmtBytes, MIB } from '../lib/stats';
import type { Stack } from '../lib/stack';
import type { BenchOptions } from './common';
import { curlPipeUpload, measureInto } from './common';

/** (upload_thread_num + 2) x part size + 100 MB: the bound the issue sets for the gateway's RSS during an upload. */
export function memoryBound(stack: Stack): number {
  return (stack.transfer.threads + 2) * stack.transfer.partSize + 100 * MIB;
}

export async function memoryCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const file = stack.dataFile(opts.size);
  const rows = opts.memorySizes.map((size) => newRow(`gateway: upload of ${fmtBytes(size)} from a pipe (curl -T -)`, 'gateway'));
  for (let i = 0; i < opts.repeats; i++) {
    process.stderr.write(`memory, repeat ${i + 1}/${opts.repeats}\n`);
    for (const [index, size] of opts.memorySizes.entries()) {
      const gateway = await stack.startGateway();
      try {
        const copies = Array.from({ length: Math.ceil(size / opts.size) }, () => file);
        await measureInto(rows[index], stack, gateway.party, () => curlPipeUpload(gateway.url(`bench-mem-${size}.bin`), size, copies));
      } finally {
        await stack.stopServer(gateway);
      }
    }
  }
  const bound = memoryBound(stack);
  const t = stack.transfer;
  return {
    id: 'memory',
    title: 'Memory (issue 5): gateway peak RSS by upload size, same settings',
    lines: [
      `part size ${fmtBytes(t.partSize)} (min_part_size = ${t.partSizeDefault ? 'default' : t.partSize}), upload_thread_num = ${t.threads}${t.threadsDefault ? ' (default)' : ''}; bound (upload_thread_num + 2) × part size + 100 MiB = ${(bound / MIB).toFixed(0)} MiB. The data comes from a pipe, so the gateway does not know the size in advance. A fresh gateway process for each upload.`,
    ],
    kind: 'memory',
    rows,
    ratios: [
      ...rows.map((row, i) => ratio(`peak RSS / bound, ${fmtBytes(opts.memorySizes[i])}`, peakOf(row).median, bound, '<=', 1)),
      ratio(
        `peak RSS ${fmtBytes(opts.memorySizes[opts.memorySizes.length - 1])} / ${fmtBytes(opts.memorySizes[0])}`,
        peakOf(rows[rows.length - 1]).median,
        peakOf(rows[0]).median,
      ),
    ],
  };
}
