// Issue 6 case 3: N concurrent sessions, each uploading then downloading its own file (one curl pair per session).
import fs from 'node:fs';
import path from 'node:path';
import { runTool } from '../lib/processes';
import type { CaseResult, Row } from '../lib/results';
import { newRow, ratio, throughputOf } from '../lib/results';
import { fmtBytes } from '../lib/stats';
import type { ServerHandle, Stack } from '../lib/stack';
import type { Attempt, BenchOptions } from './common';
import { measureInto } from './common';

const SESSION = [
  'curl -sS --fail -T "$1" -o /dev/null -w "%{size_upload}\\n" "$2" &&',
  'curl -sS --fail -o /dev/null -w "%{size_download}\\n" "$2"',
].join(' ');

async function sessions(server: ServerHandle, prefix: string, file: string, opts: BenchOptions): Promise<Attempt> {
  const start = process.hrtime.bigint();
  const runs = await Promise.all(
    Array.from({ length: opts.sessions }, (_, i) => runTool('sh', ['-c', SESSION, 'sh', file, server.url(`${prefix}-s${i}.bin`)])),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let errors = 0;
  let bytes = 0;
  for (const run of runs) {
    const [up, down] = run.stdout.trim().split('\n').map(Number);
    if (run.code === 0 && up === opts.sessionSize && down === opts.sessionSize) bytes += up + down;
    else errors++;
  }
  return { seconds, bytes, errors };
}

export async function sessionsCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const file = stack.dataFile(opts.sessionSize);
  const pyRoot = path.join(stack.dir, 'pyftpd-root');
  const rows = {
    gateway: newRow('gateway (FTP → COS)', 'gateway'),
    rclone: newRow('rclone serve webdav (HTTP → S3)', 'rclone'),
    pyftpd: newRow('pyftpdlib, local disk', 'pyftpdlib'),
  };
  const gateway = await stack.startGateway();
  const rclone = await stack.startRclone();
  const pyftpd = await stack.startPyftpd(pyRoot);
  try {
    for (let i = 0; i < opts.repeats; i++) {
      process.stderr.write(`sessions, repeat ${i + 1}/${opts.repeats}\n`);
      await measureInto(rows.gateway, stack, gateway.party, () => sessions(gateway, 'conc-gateway', file, opts));
      await measureInto(rows.rclone, stack, rclone.party, () => sessions(rclone, 'conc-rclone', file, opts));
      await measureInto(rows.pyftpd, stack, pyftpd.party, () => sessions(pyftpd, 'conc', file, opts));
      for (const name of fs.readdirSync(pyRoot)) if (name.startsWith('conc-')) fs.rmSync(path.join(pyRoot, name));
    }
  } finally {
    for (const s of [gateway, rclone, pyftpd]) await stack.stopServer(s);
  }
  const m = (row: Row): number => throughputOf(row).median;
  return {
    id: 'sessions',
    title: `Case 3: ${opts.sessions} concurrent sessions, each uploading then downloading ${fmtBytes(opts.sessionSize)}`,
    lines: [
      `One \`curl -T\` then one \`curl -o /dev/null\` per session, all sessions started at once; MiB/s is all bytes up and down over the wall time of the whole batch. Errors: sessions that failed or moved the wrong byte count. Upload settings as case 1 (part size ${fmtBytes(stack.transfer.partSize)}, ${stack.transfer.threads} parts in flight server-wide).`,
    ],
    kind: 'throughput',
    rows: Object.values(rows),
    ratios: [ratio('gateway / rclone', m(rows.gateway), m(rows.rclone), '>=', 1), ratio('gateway / pyftpdlib', m(rows.gateway), m(rows.pyftpd))],
  };
}
