// Issue 6 case 3: N concurrent sessions, each uploading then downloading its own file (one curl pair per session).
import fs from 'node:fs';
import path from 'node:path';
import { runTool } from '../lib/processes';
import type { CaseResult, Row } from '../lib/results';
import { newRow, ratio, throughputOf } from '../lib/results';
import { fmtBytes } from '../lib/stats';
import type { ServerHandle, Stack } from '../lib/stack';
import type { Attempt, BenchOptions } from './common';
import { measureInto, originalNote, originalRatios, rotated, RssHeld, runRounds } from './common';

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
    original: stack.hasOriginal ? newRow('original (Python cos-ftp-server-V5, FTP → COS)', 'original') : undefined,
    rclone: newRow('rclone serve webdav (HTTP → S3)', 'rclone'),
    pyftpd: newRow('pyftpdlib, local disk', 'pyftpdlib'),
  };
  const gateway = await stack.startGateway();
  const original = stack.hasOriginal ? await stack.startOriginal() : undefined;
  const rclone = await stack.startRclone();
  const pyftpd = await stack.startPyftpd(pyRoot);
  const held = new RssHeld({ gateway, original });
  try {
    await held.idle();
    const originalRow = rows.original;
    const steps: (() => Promise<void>)[] = [
      () => measureInto(rows.gateway, stack, gateway.party, () => sessions(gateway, 'conc-gateway', file, opts)),
      ...(original && originalRow ? [() => measureInto(originalRow, stack, original.party, () => sessions(original, 'conc-original', file, opts))] : []),
      () => measureInto(rows.rclone, stack, rclone.party, () => sessions(rclone, 'conc-rclone', file, opts)),
      () => measureInto(rows.pyftpd, stack, pyftpd.party, () => sessions(pyftpd, 'conc', file, opts)),
    ];
    await runRounds('sessions', Object.values(rows).filter((r): r is Row => r !== undefined), steps, opts, () => {
      for (const name of fs.readdirSync(pyRoot)) if (name.startsWith('conc-')) fs.rmSync(path.join(pyRoot, name));
    });
    await held.after(opts.heldAfterSeconds);
  } finally {
    for (const s of [gateway, original, rclone, pyftpd]) if (s) await stack.stopServer(s);
  }
  const m = (row: Row): number => throughputOf(row).median;
  return {
    id: 'sessions',
    title: `Case 3: ${opts.sessions} concurrent sessions, each uploading then downloading ${fmtBytes(opts.sessionSize)}`,
    lines: [
      `One \`curl -T\` then one \`curl -o /dev/null\` per session, all sessions started at once; MiB/s is all bytes up and down over the wall time of the whole batch. Errors: sessions that failed or moved the wrong byte count. Upload settings as case 1 (part size ${fmtBytes(stack.transfer.partSize)}, ${stack.transfer.threads} parts in flight server-wide).`,
      ...originalNote(stack),
    ],
    kind: 'throughput',
    rows: Object.values(rows).filter((r): r is Row => r !== undefined),
    ratios: [
      ratio('gateway / rclone', m(rows.gateway), m(rows.rclone), '>=', 1),
      ...(rows.original?.runs.length ? [ratio('gateway / original', m(rows.gateway), m(rows.original))] : []),
      ratio('gateway / pyftpdlib', m(rows.gateway), m(rows.pyftpd)),
      ...held.ratios(opts.heldAfterSeconds),
    ],
  };
}

const ONE_WAY = {
  up: 'curl -sS --fail -T "$1" -o /dev/null -w "%{size_upload}\\n" "$2"',
  down: 'curl -sS --fail -o /dev/null -w "%{size_download}\\n" "$2"',
};

/** N sessions at once, each moving one object one way; MiB/s over the wall time of the batch. */
async function oneWay(direction: 'up' | 'down', server: ServerHandle, prefix: string, file: string, count: number, size: number): Promise<Attempt> {
  const start = process.hrtime.bigint();
  const runs = await Promise.all(
    Array.from({ length: count }, (_, i) => runTool('sh', ['-c', ONE_WAY[direction], 'sh', file, server.url(`${prefix}-s${i}.bin`)])),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let errors = 0;
  let bytes = 0;
  for (const run of runs) {
    const moved = Number(run.stdout.trim());
    if (run.code === 0 && moved === size) bytes += moved;
    else errors++;
  }
  return { seconds, bytes, errors };
}

/**
 * The original's own comparison (its anchor's bench.sh): N sessions each uploading 32 MiB at once, then the same N
 * objects downloaded by N sessions at once, measured separately.
 */
export async function fewSessionsCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const count = opts.fewSessions;
  const size = opts.sessionSize;
  const file = stack.dataFile(size);
  const pyRoot = path.join(stack.dir, 'pyftpd-root');
  const names = ['gateway', 'original', 'rclone', 'pyftpd'] as const;
  const labels: Record<(typeof names)[number], [string, string]> = {
    gateway: ['gateway (FTP → COS)', 'gateway'],
    original: ['original (Python cos-ftp-server-V5, FTP → COS)', 'original'],
    rclone: ['rclone serve webdav (HTTP → S3)', 'rclone'],
    pyftpd: ['pyftpdlib, local disk', 'pyftpdlib'],
  };
  const servers: Partial<Record<(typeof names)[number], ServerHandle>> = {
    gateway: await stack.startGateway(),
    original: stack.hasOriginal ? await stack.startOriginal() : undefined,
    rclone: await stack.startRclone(),
    pyftpd: await stack.startPyftpd(pyRoot),
  };
  const rows: Record<string, Row> = {};
  for (const dir of ['up', 'down'] as const) {
    for (const n of names) if (servers[n]) rows[`${dir}-${n}`] = newRow(`${dir === 'up' ? 'upload' : 'download'}: ${labels[n][0]}`, labels[n][1]);
  }
  try {
    for (let i = 0; i < opts.repeats; i++) {
      process.stderr.write(`few sessions, repeat ${i + 1}/${opts.repeats}\n`);
      for (const dir of ['up', 'down'] as const) {
        for (const n of rotated(names, i)) {
          const server = servers[n];
          if (!server) continue;
          const prefix = n === 'pyftpd' ? 'few' : `few-${n}`;
          await measureInto(rows[`${dir}-${n}`], stack, server.party, () => oneWay(dir, server, prefix, file, count, size));
        }
      }
      for (const name of fs.readdirSync(pyRoot)) if (name.startsWith('few-')) fs.rmSync(path.join(pyRoot, name));
    }
  } finally {
    for (const s of Object.values(servers)) if (s) await stack.stopServer(s);
  }
  const ratios = (['up', 'down'] as const).flatMap((dir) => {
    const gateway = rows[`${dir}-gateway`];
    const named = (r: ReturnType<typeof ratio>): ReturnType<typeof ratio> => ({ ...r, name: `${dir === 'up' ? 'upload' : 'download'}: ${r.name}` });
    return [...originalRatios(gateway, rows[`${dir}-original`]), ratio('gateway / rclone', throughputOf(gateway).median, throughputOf(rows[`${dir}-rclone`]).median)].map(named);
  });
  return {
    id: 'few',
    title: `Case 5: ${count} sessions × ${fmtBytes(size)} up, then ${count} down`,
    lines: [
      `${count} \`curl -T\` at once, then (measured separately) ${count} \`curl -o /dev/null\` of the same objects at once: the original's own comparison. MiB/s is the batch's bytes over its wall time.`,
      ...originalNote(stack),
    ],
    kind: 'throughput',
    rows: Object.values(rows),
    ratios,
  };
}
