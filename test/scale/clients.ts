// Real FTP clients through the balancer, each uploading and downloading its own files and checking the bytes.
// A client may have to reconnect (a drained gateway answers 421 and closes); any other error is a failure.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Client, enterPassiveModeIPv4 } from 'basic-ftp';
import { BALANCER, PASSWORD, USER } from './harness';
import type { Cluster } from './harness';

export type Kind =
  | { tool: 'basic-ftp'; pasv: boolean }
  | { tool: 'curl'; mode: 'epsv' | 'pasv' | 'active'; from?: string; limitRate?: string }
  | { tool: 'lftp'; mode: 'pasv' | 'active'; from?: string };

export interface ClientReport {
  name: string;
  kind: Kind;
  /** Files uploaded and read back identical. */
  verified: string[];
  /** Reconnects after a 421 or a closed connection (the drain). */
  reconnects: string[];
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** An error a client meets when its gateway drains: answer it by connecting again. */
export class ReconnectNeeded extends Error {}

interface ToolRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function runTool(cmd: string, args: string[], timeoutMs = 30_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

// curl: 7 could not connect, 52 empty reply, 55/56 send/receive failure; a 421 is named in its message.
const CURL_RECONNECT_CODES = new Set([7, 52, 55, 56]);

function curlArgs(kind: Extract<Kind, { tool: 'curl' }>): string[] {
  // -v: the server's replies are on stderr, so a 421 is seen even when curl reports something else (in active
  // mode, the data connection the server closed with its 421).
  const args = ['-sS', '-v', '--max-time', '30'];
  if (kind.from) args.push('--interface', kind.from);
  // PASV, and to the address in the reply: curl's default (since 7.74) is the control connection's address, which
  // is the balancer's and reaches the data port only when the balancer forwards the passive ranges.
  if (kind.mode === 'pasv') args.push('--disable-epsv', '--no-ftp-skip-pasv-ip');
  // Active mode: PORT with the control connection's own address, which the gateway checks against the header's.
  if (kind.mode === 'active') args.push('-P', '-');
  if (kind.limitRate) args.push('--limit-rate', kind.limitRate);
  return args;
}

async function curlRound(cluster: Cluster, kind: Extract<Kind, { tool: 'curl' }>, dir: string, remote: string, data: Buffer): Promise<Buffer> {
  const local = path.join(dir, path.basename(remote));
  fs.writeFileSync(local, data);
  const check = (run: ToolRun, what: string): void => {
    if (run.code === 0) return;
    const replies = run.stderr.split('\n').filter((l) => /^< \d{3}/.test(l));
    const message = `curl ${what} exit ${run.code}: ${run.stderr.trim().split('\n').pop()} (last replies: ${replies.slice(-3).join(' | ')})`;
    if (CURL_RECONNECT_CODES.has(run.code ?? -1) || replies.some((l) => l.startsWith('< 421'))) throw new ReconnectNeeded(message);
    throw new Error(message);
  };
  check(await runTool('curl', [...curlArgs(kind), '--ftp-create-dirs', '-T', local, cluster.url(remote)]), 'upload');
  const got = await runTool('curl', [...curlArgs({ ...kind, limitRate: undefined }), cluster.url(remote)]);
  check(got, 'download');
  return got.stdout;
}

async function lftpRound(cluster: Cluster, kind: Extract<Kind, { tool: 'lftp' }>, dir: string, remote: string, data: Buffer): Promise<Buffer> {
  const local = path.join(dir, path.basename(remote));
  const back = `${local}.back`;
  fs.writeFileSync(local, data);
  const script = [
    // lftp reconnects by itself after a 421 or a closed connection: quickly, and a few times at most.
    'set net:max-retries 4',
    'set net:reconnect-interval-base 1',
    'set net:reconnect-interval-max 1',
    'set net:timeout 20',
    'set cmd:fail-exit yes',
    `set ftp:passive-mode ${kind.mode === 'pasv' ? 'yes' : 'no'}`,
    'set ftp:prefer-epsv no',
    ...(kind.from ? [`set net:socket-bind-ipv4 ${kind.from}`] : []),
    `open -u ${USER},${PASSWORD} ftp://${BALANCER}:${cluster.port}`,
    `mkdir -p -f ${path.posix.dirname(remote)}`,
    `put ${local} -o ${remote}`,
    `get ${remote} -o ${back}`,
  ].join('; ');
  const run = await runTool('lftp', ['-c', script]);
  if (run.code !== 0) throw new Error(`lftp exit ${run.code}: ${run.stderr.trim()}`);
  return fs.readFileSync(back);
}

/** basic-ftp's errors when the gateway has closed the session (421, FIN, reset). */
function basicFtpReconnect(err: unknown): boolean {
  const e = err as { code?: number | string; message?: string };
  return e.code === 421 || /\b421\b|closed|FIN packet|ECONNRESET|EPIPE|ECONNREFUSED|socket hang up/i.test(e.message ?? '');
}

class BasicFtpSession {
  private client: Client | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly pasv: boolean,
  ) {}

  async round(remote: string, data: Buffer): Promise<Buffer> {
    try {
      const client = await this.connected();
      await client.ensureDir(path.posix.dirname(`/${remote}`));
      await client.cd('/');
      await client.uploadFrom(Readable.from([data]), remote);
      const chunks: Buffer[] = [];
      await client.downloadTo(new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) }), remote);
      return Buffer.concat(chunks);
    } catch (err) {
      this.close();
      if (basicFtpReconnect(err)) throw new ReconnectNeeded(`basic-ftp: ${(err as Error).message}`);
      throw err;
    }
  }

  private async connected(): Promise<Client> {
    if (this.client && !this.client.closed) return this.client;
    const client = new Client(20_000);
    // PASV: the address in the reply is where the data port is. EPSV: the balancer's address, with the port.
    if (this.pasv) client.prepareTransfer = enterPassiveModeIPv4;
    this.client = client;
    await client.access({ host: BALANCER, port: this.cluster.port, user: USER, password: PASSWORD });
    return client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/**
 * One client: while `more(round)` (a number: that many rounds), upload fresh random bytes (size from `size`) and
 * read them back; each round is retried after a reconnect-class error (at most 5 times), any other error fails it.
 */
export async function runClient(
  cluster: Cluster,
  name: string,
  kind: Kind,
  rounds: number | ((round: number) => boolean),
  size: () => number,
  workDir: string,
): Promise<ClientReport> {
  const more = typeof rounds === 'number' ? (round: number) => round < rounds : rounds;
  const report: ClientReport = { name, kind, verified: [], reconnects: [] };
  const dir = fs.mkdtempSync(path.join(workDir, `${name}-`));
  const session = kind.tool === 'basic-ftp' ? new BasicFtpSession(cluster, kind.pasv) : undefined;
  try {
    for (let r = 0; more(r); r++) {
      const remote = `${name}/round-${r}.bin`;
      const data = randomBytes(size());
      for (let attempt = 0; ; attempt++) {
        try {
          const back =
            kind.tool === 'basic-ftp'
              ? await (session as BasicFtpSession).round(remote, data)
              : kind.tool === 'curl'
                ? await curlRound(cluster, kind, dir, remote, data)
                : await lftpRound(cluster, kind, dir, remote, data);
          if (back.length !== data.length || sha256(back) !== sha256(data)) {
            throw new Error(`${remote}: read back ${back.length} bytes, differing from the ${data.length} uploaded`);
          }
          report.verified.push(remote);
          break;
        } catch (err) {
          if (!(err instanceof ReconnectNeeded) || attempt >= 5) throw new Error(`${name} (${JSON.stringify(kind)}): ${(err as Error).message}`, { cause: err });
          report.reconnects.push(err.message);
        }
      }
    }
  } finally {
    session?.close();
  }
  return report;
}
