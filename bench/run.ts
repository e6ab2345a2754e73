// `npm run bench [-- options]`: runs the selected cases and writes BENCHMARKS.md (`--help` lists the options).
import path from 'node:path';
import type { BenchOptions } from './cases/common';
import { listCase } from './cases/list';
import { budgetCase } from './cases/budget';
import { memoryCase } from './cases/memory';
import { fewSessionsCase, sessionsCase } from './cases/sessions';
import { downloadCase, storeCase, uploadCase } from './cases/transfer';
import { releaseMonitors } from './lib/measure';
import { writeReport } from './lib/report';
import type { CaseResult } from './lib/results';
import { fmtBytes, MIB } from './lib/stats';
import { REPO, Stack } from './lib/stack';

type CaseFn = (stack: Stack, opts: BenchOptions) => Promise<CaseResult>;
const CASES: Record<string, CaseFn> = {
  store: storeCase,
  upload: uploadCase,
  download: downloadCase,
  sessions: sessionsCase,
  list: listCase,
  few: fewSessionsCase,
  memory: memoryCase,
  budget: budgetCase,
};
const ALIASES: Record<string, string> = { 1: 'upload', 2: 'download', 3: 'sessions', 4: 'list', 5: 'few' };

const USAGE = `npm run bench -- [options]
  --cases LIST        comma-separated: store,upload(1),download(2),sessions(3),list(4),few(5),memory,budget
                      (default: all)
  --size-mib N        big transfer size for store/upload/download (default 1024)
  --repeats N         repeats of every measurement (default 3)
  --warmup N          unmeasured rounds before them in the cases that compare paths (default 1; 0 for none)
  --sessions N        concurrent sessions in case 3 (default 32)
  --session-mib N     bytes per session in cases 3 and 5 (default 32)
  --few-sessions N    sessions of case 5, each direction on its own (default 8)
  --original DIR      the runnable original (Tencent's Python server): the anchor folder with run.sh; measured
                      beside the gateway in cases 1, 2, 3 and 5 (without it those rows are skipped with a note)
  --budget-mib N      the budget case's upload_buffer_size (default 256)
  --budget-sessions N concurrent pipe uploads of the budget case (default 64)
  --budget-session-mib N  bytes of each of them (default 64)
  --held-after-s N    seconds after a case's last transfer at which the servers' RSS is read (default 30)
  --list-count N      objects in the listed folder of case 4 (default 10000)
  --memory-mib A,B    upload sizes of the memory case (default 256,2048)
  --part-size BYTES   gateway min_part_size (default: the configuration's "default")
  --threads N         gateway upload_thread_num (default: the configuration's "default")
  --gateway-cpu-prof DIR  write a V8 CPU profile of every gateway process into DIR
  --work DIR          work folder, kept and reused (data files, seeded objects); default: a temp folder, removed
  --out FILE          report file (default BENCHMARKS.md in the repository)`;

interface Args extends BenchOptions {
  cases: string[];
  partSize?: number;
  threads?: number;
  workDir?: string;
  gatewayProfileDir?: string;
  originalDir?: string;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    cases: Object.keys(CASES),
    size: 1024 * MIB,
    repeats: 3,
    warmup: 1,
    sessions: 32,
    sessionSize: 32 * MIB,
    fewSessions: 8,
    heldAfterSeconds: 30,
    budgetSessions: 64,
    budgetSessionSize: 64 * MIB,
    budgetMib: 256,
    listCount: 10_000,
    memorySizes: [256 * MIB, 2048 * MIB],
    out: path.join(REPO, 'BENCHMARKS.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`);
      return n;
    };
    switch (flag) {
      case '--cases':
        args.cases = value().split(',').map((c) => ALIASES[c.trim()] ?? c.trim());
        for (const c of args.cases) if (!CASES[c]) throw new Error(`unknown case ${c}`);
        break;
      case '--size-mib': args.size = int() * MIB; break;
      case '--repeats': args.repeats = int(); break;
      case '--warmup': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
        args.warmup = n;
        break;
      }
      case '--sessions': args.sessions = int(); break;
      case '--session-mib': args.sessionSize = int() * MIB; break;
      case '--few-sessions': args.fewSessions = int(); break;
      case '--held-after-s': args.heldAfterSeconds = int(); break;
      case '--budget-mib': args.budgetMib = int(); break;
      case '--budget-sessions': args.budgetSessions = int(); break;
      case '--budget-session-mib': args.budgetSessionSize = int() * MIB; break;
      case '--original': args.originalDir = path.resolve(value()); break;
      case '--list-count': args.listCount = int(); break;
      case '--memory-mib': args.memorySizes = value().split(',').map((v) => Number(v) * MIB); break;
      case '--part-size': args.partSize = int(); break;
      case '--threads': args.threads = int(); break;
      case '--work': args.workDir = value(); break;
      case '--gateway-cpu-prof': args.gatewayProfileDir = path.resolve(value()); break;
      case '--out': args.out = path.resolve(value()); break;
      case '--help': case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stack = await Stack.start({ workDir: args.workDir, partSize: args.partSize, threads: args.threads, maxListFile: args.listCount,
    originalDir: args.originalDir,
    gatewayNodeArgs: args.gatewayProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${args.gatewayProfileDir}`] : [],
  });
  const results: CaseResult[] = [];
  try {
    process.stderr.write(`work folder ${stack.dir}; store ${stack.storeUrl}\n`);
    for (const id of args.cases) results.push(await CASES[id](stack, args));
  } finally {
    await stack.close();
    releaseMonitors();
  }
  const t = stack.transfer;
  const argv = process.argv.slice(2).join(' ');
  writeReport({
    repo: REPO,
    file: args.out,
    command: `npm run bench${argv ? ` -- ${argv}` : ''}`,
    settings: [
      `- Repeats: ${args.repeats}. Big transfer: ${fmtBytes(args.size)}. Sessions: ${args.sessions} × ${fmtBytes(args.sessionSize)} (case 3), ${args.fewSessions} × ${fmtBytes(args.sessionSize)} each way (case 5). Listing: ${args.listCount.toLocaleString('en-US')} objects. Memory case: ${args.memorySizes.map(fmtBytes).join(', ')}.`,
      `- Gateway (\`bin/ftp-server.js\`, own process): min_part_size = ${t.partSizeDefault ? 'default' : t.partSize} → part size ${fmtBytes(t.partSize)}; upload_thread_num = ${t.threadsDefault ? 'default' : t.threads} → ${t.threads}; single_file_max_size default (200 GiB); log_level = ERROR; the account's cos_endpoint is the store's http://127.0.0.1 URL.`,
      '- Store: `bin/cos-local.js --data DIR` (objects on disk in a temp folder, so GiB objects do not sit in the store\'s memory), own process, shared by every path. The "store over HTTPS" rows: a second store process with `--tls-cert/--tls-key` (a self-signed P-256 certificate for `*.cos.ap-guangzhou.myqcloud.com`, as COS serves HTTPS by default), its own data folder, and a second gateway with an `https://` cos_endpoint trusting it through NODE_EXTRA_CA_CERTS; its store CPU column is that store\'s.',
      `- SDK direct: cos-nodejs-sdk-v5 in its own node process, \`Ip\` + \`Protocol: 'http:'\` as the gateway's client; multipart by sliceUploadFile with ChunkSize = ${fmtBytes(t.partSize)}, ChunkParallelLimit = ${t.threads}.`,
      `- rclone: Debian's rclone 1.60 has no \`serve ftp\` (built without it), so \`rclone serve webdav\` (same VFS layer and S3 backend, plain HTTP) stands in, driven by curl; S3 backend, provider Other, path-style, Signature V4, \`--s3-chunk-size ${t.partSize}B --s3-upload-concurrency ${t.threads}\`, VFS cache off (streaming).`,
      stack.hasOriginal
        ? '- Original: Tencent\'s cos-ftp-server-V5 (Python 3 port of its anchor: pyftpdlib + cos-python-sdk-v5, unmodified apart from the port), started by the anchor\'s `run.sh` on the same store and bucket; its defaults (part size 20.48 MiB, 8 upload threads), log_level = ERROR. It does no CRC-64 check.'
        : `- Original: not measured (${args.originalDir ? `no run.sh in ${args.originalDir}` : 'no --original DIR given'}).`,
      '- pyftpdlib: Debian\'s python3-pyftpdlib serving a local folder (`python3 -m pyftpdlib -w`): the FTP ceiling on this machine. Raw TCP: a node process piping the file into a loopback socket, a node process reading and discarding.',
      '- FTP client: curl (passive mode, binary); LIST client: basic-ftp in its own node process.',
      `- Order: a case that compares paths (upload, download, sessions, list) first runs ${args.warmup} unmeasured round${args.warmup === 1 ? '' : 's'} (a server's first transfers measure its start-up, e.g. JIT compilation, not its steady state), then its repeats; each round runs every path once, in an order rotated by one each round (no path always first, after the seeding or the case before); dirty pages are written back (\`sync\`) before every measurement.`,
    ],
    cases: results,
  });
  process.stderr.write(`wrote ${args.out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
