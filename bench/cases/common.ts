// Pieces every case uses: one measured attempt (monitoring the server and the store around it) and curl runs.
import type { Party } from '../lib/processes';
import { runTool } from '../lib/processes';
import type { Usage } from '../lib/measure';
import { currentRss, Monitor } from '../lib/measure';
import { sleep } from '../lib/processes';
import type { Ratio, Row } from '../lib/results';
import { cpuPerGiBOf, ratio, throughputOf } from '../lib/results';
import { MIB } from '../lib/stats';
import type { ClientRun, ServerHandle, Stack } from '../lib/stack';

export interface BenchOptions {
  /** Size of the big transfer (cases upload, download, store), bytes. */
  size: number;
  repeats: number;
  /** Unmeasured rounds before the measured ones in the cases that compare paths. */
  warmup: number;
  sessions: number;
  sessionSize: number;
  /** Sessions of case 5 (each direction measured on its own, as the original's anchor does). */
  fewSessions: number;
  listCount: number;
  memorySizes: number[];
  /** The budget case: sessions, bytes each, and the gateway's upload_buffer_size in MiB. */
  budgetSessions: number;
  budgetSessionSize: number;
  budgetMib: number;
  /** Seconds after a case's last transfer at which the servers' RSS is read (memory given back). */
  heldAfterSeconds: number;
}

export interface Outcome {
  seconds: number;
  bytes: number;
  count?: number;
  errors?: number;
  /** Self-reported usage of a client that is the row's measured party (the SDK rows). */
  client?: Usage;
}
export type Attempt = Outcome | { failure: string };

/** Runs one attempt while monitoring the store (the HTTP one unless told) and the row's server; adds it to the row. */
export async function measureInto(
  row: Row,
  stack: Stack,
  server: Party | undefined,
  attempt: () => Promise<Attempt>,
  store: Party = stack.store,
): Promise<void> {
  await settleDisk();
  const parties: Record<string, number> = { store: store.pid };
  if (server) parties[row.party] = server.pid;
  const monitor = new Monitor(parties);
  monitor.start();
  const result = await attempt();
  const usage = await monitor.stop();
  if ('failure' in result) {
    row.failures.push(result.failure);
    process.stderr.write(`  ${row.label}: FAILED ${result.failure.slice(0, 400)}\n`);
    return;
  }
  if (result.client) usage[row.party] = result.client;
  const { client: _client, ...run } = result;
  row.runs.push({ ...run, usage });
  const mibs = run.bytes ? ` ${(run.bytes / 1048576 / run.seconds).toFixed(1)} MiB/s` : '';
  const rss = usage[row.party] ? ` rss ${(usage[row.party].peakRss / 1048576).toFixed(0)} MiB cpu ${usage[row.party].cpuSeconds.toFixed(2)} s` : '';
  process.stderr.write(`  ${row.label}: ${run.seconds.toFixed(3)} s${mibs}${rss}${run.errors ? ` errors ${run.errors}` : ''}\n`);
}

/**
 * Writes dirty pages back before a measurement, so that no path pays for the disk writes of the one before it (or of
 * seeding): the first download after the seeding upload ran with ~500 MiB dirty in the page cache, always the
 * gateway's, as it came first.
 */
async function settleDisk(): Promise<void> {
  await runTool('sync', []);
}

/**
 * The order of a case's paths in repeat `repeat`: rotated by one each repeat, so that no path always runs first (after
 * the seeding or the case before) or always after the same neighbour.
 */
export function rotated<T>(items: readonly T[], repeat: number): T[] {
  const by = repeat % Math.max(1, items.length);
  return [...items.slice(by), ...items.slice(0, by)];
}

/**
 * A case's rounds: `opts.warmup` unmeasured ones, then `opts.repeats` measured ones, each running every step once in
 * an order rotated by one each round. The warm-up's runs are dropped from the rows (its failures stay): a server's
 * first transfers after it started measure its start-up (JIT compilation for the node processes: a fresh gateway's
 * first 512 MiB downloads re-optimized 24, 26, 20, 8, 2, 1 functions, 0.18 → 0.11 CPU s), not its steady state.
 */
export async function runRounds(
  name: string,
  rows: readonly Row[],
  steps: readonly (() => Promise<void>)[],
  opts: BenchOptions,
  afterRound: () => void = () => undefined,
): Promise<void> {
  for (let i = 0; i < opts.warmup + opts.repeats; i++) {
    const warm = i < opts.warmup;
    process.stderr.write(warm ? `${name}, warm-up ${i + 1}/${opts.warmup}\n` : `${name}, repeat ${i - opts.warmup + 1}/${opts.repeats}\n`);
    for (const step of rotated(steps, i)) await step();
    afterRound();
    if (warm) for (const row of rows) row.runs.length = 0;
  }
}

/** An SDK (or other node) client's own report as an outcome; the client's usage is the row's party usage. */
export function fromClient(run: ClientRun, expectBytes?: number): Attempt {
  if (run.code !== 0 || !run.report) return { failure: `exit ${run.code}: ${run.stderr.trim().slice(-400)}` };
  const r = run.report;
  if (expectBytes !== undefined && r.bytes !== expectBytes) return { failure: `moved ${r.bytes} bytes, expected ${expectBytes}` };
  return { seconds: r.seconds, bytes: r.bytes, count: r.count, client: { peakRss: r.maxRss, cpuSeconds: r.cpuSeconds } };
}

/** A client whose usage is not the row's (e.g. the raw TCP receiver, the FTP LIST client). */
export function fromPlainClient(run: ClientRun, expectBytes?: number): Attempt {
  const outcome = fromClient(run, expectBytes);
  if ('failure' in outcome) return outcome;
  const { client: _client, ...rest } = outcome;
  return rest;
}

const CURL_OUT = '%{time_total} %{size_upload} %{size_download}\\n';

/** curl upload (-T FILE) or download (to /dev/null), timed by curl itself, checked for the byte count. */
export async function curl(direction: 'up' | 'down', url: string, expectBytes: number, file?: string): Promise<Attempt> {
  const io = direction === 'up' ? ['-T', file ?? ''] : [];
  const run = await runTool('curl', ['-sS', '--fail', ...io, '-o', '/dev/null', '-w', CURL_OUT, url]);
  return curlOutcome(run.code, run.stdout, run.stderr, direction, expectBytes);
}

/** curl upload from a pipe: `cat FILE...| head -c BYTES | curl -T -`, for sizes larger than the data file. */
export async function curlPipeUpload(url: string, bytes: number, files: string[]): Promise<Attempt> {
  const script = `cat "$@" | head -c ${bytes} | curl -sS --fail -T - -o /dev/null -w '${CURL_OUT}' '${url}'`;
  const run = await runTool('sh', ['-c', script, 'sh', ...files]);
  return curlOutcome(run.code, run.stdout, run.stderr, 'up', bytes);
}

function curlOutcome(code: number, stdout: string, stderr: string, direction: 'up' | 'down', expectBytes: number): Attempt {
  if (code !== 0) return { failure: `curl exit ${code}: ${stderr.trim().slice(-300)}` };
  const [time, up, down] = stdout.trim().split('\n').pop()?.split(' ').map(Number) ?? [];
  const moved = direction === 'up' ? up : down;
  if (moved !== expectBytes) return { failure: `curl moved ${moved} bytes, expected ${expectBytes}` };
  return { seconds: time, bytes: moved };
}

/** The issue's bound on what a server keeps after its transfers: idle RSS + 64 MiB. */
const HELD_LIMIT = 64 * MIB;

/**
 * Memory given back: each server's RSS when idle (just started) and `heldAfterSeconds` after the case's last
 * transfer. Call `idle()` before the first transfer and `after()` once the last one is done.
 */
export class RssHeld {
  private readonly idleRss = new Map<string, number>();
  private readonly afterRss = new Map<string, number>();

  constructor(private readonly servers: Record<string, ServerHandle | undefined>) {}

  async idle(): Promise<void> {
    await sleep(1000);
    for (const [name, s] of Object.entries(this.servers)) if (s) this.idleRss.set(name, currentRss(s.party.pid));
  }

  async after(seconds: number): Promise<void> {
    process.stderr.write(`  waiting ${seconds} s for the servers to give memory back\n`);
    await sleep(seconds * 1000);
    for (const [name, s] of Object.entries(this.servers)) if (s) this.afterRss.set(name, currentRss(s.party.pid));
  }

  /** `<name> RSS N s after the last transfer − idle RSS, MiB` per server; the gateway's against the 64 MiB bound. */
  ratios(seconds: number): Ratio[] {
    return [...this.afterRss.entries()].map(([name, after]) => {
      const idle = this.idleRss.get(name) ?? NaN;
      const held = (after - idle) / MIB;
      const detail = `idle ${(idle / MIB).toFixed(0)} MiB, after ${(after / MIB).toFixed(0)} MiB`;
      const r: Ratio = { name: `${name} RSS ${seconds} s after the last transfer − idle RSS, MiB`, value: held, detail };
      if (name !== 'gateway') return r;
      return { ...r, target: `<= ${HELD_LIMIT / MIB}`, met: Number.isFinite(held) ? held <= HELD_LIMIT / MIB : undefined };
    });
  }
}

/** gateway / original throughput (target >= 1) and CPU per GiB (target <= 1.5 x the original's), when it ran. */
export function originalRatios(gateway: Row, original: Row | undefined): Ratio[] {
  if (!original || original.runs.length === 0) return [];
  return [
    ratio('gateway / original', throughputOf(gateway).median, throughputOf(original).median, '>=', 1),
    ratio('gateway CPU s per GiB / original\'s', cpuPerGiBOf(gateway).median, cpuPerGiBOf(original).median, '<=', 1.5),
  ];
}

/** The line a case prints when the original was not given or its folder is missing. */
export function originalNote(stack: Stack): string[] {
  return stack.hasOriginal ? [] : ['The original (Python cos-ftp-server-V5) did not run: no `--original DIR` with its run.sh was given.'];
}
