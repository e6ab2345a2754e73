// Issue 6 cases 1 and 2 (one big upload / download through each path) and issue 2's store case (SDK single PUT
// and GET of the same bytes next to the raw loopback TCP copy).
import fs from 'node:fs';
import path from 'node:path';
import type { CaseResult, Row } from '../lib/results';
import { newRow, peakOf, ratio, throughputOf } from '../lib/results';
import { fmtBytes, MIB } from '../lib/stats';
import type { ServerHandle, Stack } from '../lib/stack';
import type { BenchOptions } from './common';
import { curl, fromClient, fromPlainClient, measureInto, originalNote, originalRatios, RssHeld, runRounds } from './common';
import { memoryBound } from './memory';

const WIRE = 'raw loopback TCP (node: file → socket → discard)';

function settingsLine(stack: Stack, size: number): string {
  const t = stack.transfer;
  return `${fmtBytes(size)} of random bytes from a file. Gateway, SDK and rclone use the same part size (${fmtBytes(t.partSize)}) and parts in flight (${t.threads}).`;
}

interface Servers {
  gateway: ServerHandle;
  /** The gateway on the store over HTTPS, as it runs against real COS. */
  gatewayTls: ServerHandle;
  rclone: ServerHandle;
  pyftpd: ServerHandle;
  raw: ServerHandle;
  original?: ServerHandle;
}

/** Starts every server of a transfer case, runs `body`, then reads the RSS they keep after the last transfer. */
async function withServers(stack: Stack, opts: BenchOptions, pyRoot: string, rawFile: string, body: (s: Servers) => Promise<void>): Promise<RssHeld> {
  const gateway = await stack.startGateway();
  const gatewayTls = await stack.startGateway('gateway-https', { https: true });
  const original = stack.hasOriginal ? await stack.startOriginal() : undefined;
  const rclone = await stack.startRclone();
  const pyftpd = await stack.startPyftpd(pyRoot);
  const raw = await stack.startRawSender(rawFile);
  const held = new RssHeld({ gateway, original });
  try {
    await held.idle();
    await body({ gateway, gatewayTls, rclone, pyftpd, raw, original });
    await held.after(opts.heldAfterSeconds);
    return held;
  } finally {
    for (const s of [gateway, gatewayTls, original, rclone, pyftpd, raw]) if (s) await stack.stopServer(s);
  }
}

type TransferRows = Record<'gateway' | 'gatewayTls' | 'sdk' | 'rclone' | 'pyftpd' | 'raw', Row> & { original?: Row };

export async function uploadCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const file = stack.dataFile(opts.size);
  const pyRoot = path.join(stack.dir, 'pyftpd-root');
  const rows: TransferRows = {
    gateway: newRow('gateway: curl -T → FTP → COS multipart', 'gateway'),
    gatewayTls: newRow('gateway, store over HTTPS: curl -T → FTP → COS multipart (TLS)', 'gateway'),
    original: stack.hasOriginal ? newRow('original (Python cos-ftp-server-V5): curl -T → FTP → COS multipart', 'original') : undefined,
    sdk: newRow('SDK sliceUploadFile direct to COS', 'SDK client'),
    rclone: newRow('rclone serve webdav: curl -T (PUT) → S3 multipart', 'rclone'),
    pyftpd: newRow('pyftpdlib, local disk: curl -T', 'pyftpdlib'),
    raw: newRow(WIRE, 'raw sender'),
  };
  const tlsStore = (await stack.httpsStore()).party;
  const held = await withServers(stack, opts, pyRoot, file, async ({ gateway, gatewayTls, rclone, pyftpd, raw, original }) => {
    const originalRow = rows.original;
    const steps: (() => Promise<void>)[] = [
      () => measureInto(rows.gateway, stack, gateway.party, () => curl('up', gateway.url('bench-up-gateway.bin'), opts.size, file)),
      () => measureInto(rows.gatewayTls, stack, gatewayTls.party, () => curl('up', gatewayTls.url('bench-up-gateway.bin'), opts.size, file), tlsStore),
      ...(original && originalRow ? [() => measureInto(originalRow, stack, original.party, () => curl('up', original.url('bench-up-original.bin'), opts.size, file))] : []),
      () => measureInto(rows.sdk, stack, undefined, async () =>
        fromClient(await stack.sdk({ op: 'multipart', key: 'bench-up-sdk.bin', file, partSize: stack.transfer.partSize, threads: stack.transfer.threads }), opts.size),
      ),
      () => measureInto(rows.rclone, stack, rclone.party, () => curl('up', rclone.url('bench-up-rclone.bin'), opts.size, file)),
      async () => {
        await measureInto(rows.pyftpd, stack, pyftpd.party, () => curl('up', pyftpd.url('up.bin'), opts.size, file));
        fs.rmSync(path.join(pyRoot, 'up.bin'), { force: true });
      },
      () => measureInto(rows.raw, stack, raw.party, async () => fromPlainClient(await stack.rawReceive(raw), opts.size)),
    ];
    await runRounds('upload', Object.values(rows).filter((r): r is Row => r !== undefined), steps, opts);
  });
  const result = transferResult(stack, 'upload', 'Case 1: upload', settingsLine(stack, opts.size), rows);
  const bound = memoryBound(stack);
  result.ratios.push(ratio('gateway peak RSS / bound', peakOf(rows.gateway).median, bound, '<=', 1, `bound ${(bound / MIB).toFixed(0)} MiB`));
  result.ratios.push(...held.ratios(opts.heldAfterSeconds));
  return result;
}

export async function downloadCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const file = stack.dataFile(opts.size);
  const key = `bench-dl-${opts.size}.bin`;
  const seeded = await stack.sdk({ op: 'ensure', key, file, partSize: stack.transfer.partSize, threads: stack.transfer.threads });
  if (seeded.code !== 0) throw new Error(`seeding ${key}: ${seeded.stderr}`);
  const pyRoot = path.join(stack.dir, 'pyftpd-root');
  fs.mkdirSync(pyRoot, { recursive: true });
  const pyFile = path.join(pyRoot, 'dl.bin');
  fs.rmSync(pyFile, { force: true });
  fs.linkSync(file, pyFile);
  const rows: TransferRows = {
    gateway: newRow('gateway: COS GetObject → FTP → curl', 'gateway'),
    gatewayTls: newRow('gateway, store over HTTPS: COS GetObject (TLS) → FTP → curl', 'gateway'),
    original: stack.hasOriginal ? newRow('original (Python cos-ftp-server-V5): COS GetObject → FTP → curl', 'original') : undefined,
    sdk: newRow('SDK getObject direct, streamed to a discarding sink', 'SDK client'),
    rclone: newRow('rclone serve webdav: S3 GET → curl (GET)', 'rclone'),
    pyftpd: newRow('pyftpdlib, local disk: curl', 'pyftpdlib'),
    raw: newRow(WIRE, 'raw sender'),
  };
  const tlsStore = (await stack.httpsStore()).party;
  const held = await withServers(stack, opts, pyRoot, file, async ({ gateway, gatewayTls, rclone, pyftpd, raw, original }) => {
    // The HTTPS store has its own data folder: the object goes there once, through the gateway (not measured).
    const seededTls = await curl('up', gatewayTls.url(key), opts.size, file);
    if ('failure' in seededTls) throw new Error(`seeding ${key} on the HTTPS store: ${seededTls.failure}`);
    const originalRow = rows.original;
    const steps: (() => Promise<void>)[] = [
      () => measureInto(rows.gateway, stack, gateway.party, () => curl('down', gateway.url(key), opts.size)),
      () => measureInto(rows.gatewayTls, stack, gatewayTls.party, () => curl('down', gatewayTls.url(key), opts.size), tlsStore),
      ...(original && originalRow ? [() => measureInto(originalRow, stack, original.party, () => curl('down', original.url(key), opts.size))] : []),
      () => measureInto(rows.sdk, stack, undefined, async () => fromClient(await stack.sdk({ op: 'get', key }), opts.size)),
      () => measureInto(rows.rclone, stack, rclone.party, () => curl('down', rclone.url(key), opts.size)),
      () => measureInto(rows.pyftpd, stack, pyftpd.party, () => curl('down', pyftpd.url('dl.bin'), opts.size)),
      () => measureInto(rows.raw, stack, raw.party, async () => fromPlainClient(await stack.rawReceive(raw), opts.size)),
    ];
    await runRounds('download', Object.values(rows).filter((r): r is Row => r !== undefined), steps, opts);
  });
  fs.rmSync(pyFile, { force: true });
  const result = transferResult(stack, 'download', 'Case 2: download', `${settingsLine(stack, opts.size)} The object was uploaded once by the SDK (multipart).`, rows);
  result.ratios.push(...held.ratios(opts.heldAfterSeconds));
  return result;
}

function transferResult(stack: Stack, id: string, title: string, line: string, rows: TransferRows): CaseResult {
  const m = (row: Row): number => throughputOf(row).median;
  return {
    id,
    title,
    lines: [line, ...originalNote(stack)],
    kind: 'throughput',
    rows: Object.values(rows).filter((r): r is Row => r !== undefined),
    ratios: [
      ...originalRatios(rows.gateway, rows.original),
      ratio('gateway / SDK direct', m(rows.gateway), m(rows.sdk), '>=', 0.9),
      ratio('gateway / rclone', m(rows.gateway), m(rows.rclone), '>=', 1),
      ratio('gateway, store over HTTPS / over HTTP (what TLS to COS costs)', m(rows.gatewayTls), m(rows.gateway)),
      ratio('gateway / pyftpdlib (FTP ceiling)', m(rows.gateway), m(rows.pyftpd)),
      ratio('gateway / raw TCP (wire)', m(rows.gateway), m(rows.raw)),
    ],
  };
}

export async function storeCase(stack: Stack, opts: BenchOptions): Promise<CaseResult> {
  const file = stack.dataFile(opts.size);
  const key = 'bench-store-put.bin';
  const rows = {
    put: newRow('SDK putObject (one PUT, streamed from the file)', 'SDK client'),
    get: newRow('SDK getObject (streamed to a discarding sink)', 'SDK client'),
    raw: newRow(WIRE, 'raw sender'),
  };
  const raw = await stack.startRawSender(file);
  try {
    for (let i = 0; i < opts.repeats; i++) {
      process.stderr.write(`store, repeat ${i + 1}/${opts.repeats}\n`);
      await measureInto(rows.put, stack, undefined, async () => fromClient(await stack.sdk({ op: 'put', key, file }), opts.size));
      await measureInto(rows.get, stack, undefined, async () => fromClient(await stack.sdk({ op: 'get', key }), opts.size));
      await measureInto(rows.raw, stack, raw.party, async () => fromPlainClient(await stack.rawReceive(raw), opts.size));
    }
  } finally {
    await stack.stopServer(raw);
  }
  const m = (row: Row): number => throughputOf(row).median;
  return {
    id: 'store',
    title: 'Store (issue 2): SDK PUT and GET on loopback vs raw TCP',
    lines: [
      `${fmtBytes(opts.size)} through the local store (\`bin/cos-local.js --data DIR\`: objects on disk, not in the store's memory; its own process). The store must not be what limits the gateway: compare with cases 1 and 2.`,
    ],
    kind: 'throughput',
    rows: Object.values(rows),
    ratios: [ratio('SDK PUT / raw TCP', m(rows.put), m(rows.raw)), ratio('SDK GET / raw TCP', m(rows.get), m(rows.raw))],
  };
}
