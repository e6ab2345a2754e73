// The benchmark's world: a work folder with data files, the local COS store (its own process, --data on disk so
// GiB objects do not sit in its memory), and starters for the servers under test, each its own process.
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config/load';
import type { SdkJob } from '../clients/sdk';
import { parseReport } from '../clients/report';
import type { ClientReport } from '../clients/report';
import { freePort, freePortRange, runTool, startParty } from './processes';
import type { Party, ToolResult } from './processes';

export const REPO = path.resolve(__dirname, '../../..');
const CLIENTS = path.resolve(__dirname, '../clients');

/** The read-write account the anchor's run.sh writes into the original's configuration. */
const ORIGINAL_USER = { name: 'alice', password: 'alicepw' };

export const ACCOUNT = { secretId: 'AKIDbench', secretKey: 'bench-secret-key', bucket: 'bench-1250000000', user: 'bench', password: 'bench' };

export interface TransferSettings {
  partSize: number;
  threads: number;
  /** Whether each came from the `default` token of vsftpd.conf. */
  partSizeDefault: boolean;
  threadsDefault: boolean;
}

export interface ServerHandle {
  party: Party;
  port: number;
  /** ftp:// or http:// URL of `key` on this server, credentials included. */
  url(key: string): string;
}

export interface StackOptions {
  /** Work folder; kept (and reused: data files, seeded store) when given, a fresh temp folder removed otherwise. */
  workDir?: string;
  partSize?: number;
  threads?: number;
  /** Extra node options for the gateway process (e.g. --cpu-prof --cpu-prof-dir=DIR for profiling). */
  gatewayNodeArgs?: string[];
  /** max_list_file: at least the size of the listed folder, so a LIST returns every entry. */
  maxListFile?: number;
  /** The runnable original (Tencent's Python cos-ftp-server-V5): the folder with its run.sh, or undefined. */
  originalDir?: string;
  /** Extra [OPTIONAL] lines of the gateway's configuration (e.g. an upload buffer budget). */
  gatewayExtraConf?: string[];
}

/** The store a second time, speaking HTTPS as real COS does (its own data folder), for the HTTPS rows. */
interface HttpsStore {
  party: Party;
  url: string;
  /** The certificate (self-signed, for *.cos.ap-guangzhou.myqcloud.com) the gateway is told to trust. */
  caFile: string;
}

export class Stack {
  private servers: Party[] = [];
  private tlsStore: Promise<HttpsStore> | undefined;

  private constructor(
    readonly dir: string,
    private readonly keep: boolean,
    readonly store: Party,
    readonly storeUrl: string,
    readonly transfer: TransferSettings,
    private readonly options: StackOptions,
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    const keep = options.workDir !== undefined;
    const dir = options.workDir ? path.resolve(options.workDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'cosftp-bench-'));
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const store = await startParty(
      'store',
      process.execPath,
      [
        path.join(REPO, 'bin', 'cos-local.js'),
        '--data', path.join(dir, 'store-data'),
        '--port', '0',
        '--credentials', `${ACCOUNT.secretId}:${ACCOUNT.secretKey}`,
        '--bucket', ACCOUNT.bucket,
      ],
      { logFile: path.join(dir, 'logs', 'store.log'), readyOutput: /http:\/\/127\.0\.0\.1:\d+/ },
    );
    const storeUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(store.stdout())?.[0] ?? '';
    // Read the gateway's effective transfer settings from the same configuration it will run with.
    const probe = path.join(dir, 'probe.conf');
    fs.writeFileSync(probe, gatewayConf(storeUrl, 2121, [60000, 60199], path.join(dir, 'logs'), options));
    const { transfer } = loadConfigFile(probe).config;
    const settings: TransferSettings = {
      partSize: transfer.minPartSize,
      threads: transfer.uploadThreadNum,
      partSizeDefault: options.partSize === undefined,
      threadsDefault: options.threads === undefined,
    };
    return new Stack(dir, keep, store, storeUrl, settings, options);
  }

  get storePort(): number {
    return Number(new URL(this.storeUrl).port);
  }

  /** A data file of `bytes` random bytes, made once per work folder. */
  dataFile(bytes: number): string {
    const file = path.join(this.dir, `data-${bytes}.bin`);
    if (fs.existsSync(file) && fs.statSync(file).size === bytes) return file;
    const fd = fs.openSync(`${file}.tmp`, 'w');
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (let left = bytes; left > 0; left -= chunk.length) {
      randomFillSync(chunk);
      fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
    fs.closeSync(fd);
    fs.renameSync(`${file}.tmp`, file);
    return file;
  }

  /** The HTTPS store, started on first use: a certificate made with openssl, `cos-local --tls-cert/--tls-key`. */
  httpsStore(): Promise<HttpsStore> {
    this.tlsStore ??= (async () => {
      const tlsDir = path.join(this.dir, 'tls');
      fs.mkdirSync(tlsDir, { recursive: true });
      const cert = path.join(tlsDir, 'cert.pem');
      const key = path.join(tlsDir, 'key.pem');
      const made = await runTool('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
        '-days', '2', '-subj', '/CN=*.cos.ap-guangzhou.myqcloud.com',
        '-addext', 'subjectAltName=DNS:*.cos.ap-guangzhou.myqcloud.com,DNS:localhost,IP:127.0.0.1',
      ]);
      if (made.code !== 0) throw new Error(`openssl: ${made.stderr}`);
      const party = await startParty(
        'store (https)',
        process.execPath,
        [
          path.join(REPO, 'bin', 'cos-local.js'),
          '--data', path.join(this.dir, 'store-data-https'),
          '--port', '0',
          '--credentials', `${ACCOUNT.secretId}:${ACCOUNT.secretKey}`,
          '--bucket', ACCOUNT.bucket,
          '--tls-cert', cert,
          '--tls-key', key,
        ],
        { logFile: path.join(this.dir, 'logs', 'store-https.log'), readyOutput: /https:\/\/127\.0\.0\.1:\d+/ },
      );
      const url = /https:\/\/127\.0\.0\.1:\d+/.exec(party.stdout())?.[0] ?? '';
      return { party, url, caFile: cert };
    })();
    return this.tlsStore;
  }

  /**
   * The gateway; `https`: on the HTTPS store, trusting its certificate (NODE_EXTRA_CA_CERTS, as an operator would);
   * `extraConf`: further [OPTIONAL] lines for this one.
   */
  async startGateway(tag = 'gateway', opts: { https?: boolean; extraConf?: string[] } = {}): Promise<ServerHandle> {
    const port = await freePort();
    const passive = await freePortRange(200);
    const conf = path.join(this.dir, `${tag}.conf`);
    const tls = opts.https ? await this.httpsStore() : undefined;
    const options = { ...this.options, gatewayExtraConf: [...(this.options.gatewayExtraConf ?? []), ...(opts.extraConf ?? [])] };
    fs.writeFileSync(conf, gatewayConf(tls?.url ?? this.storeUrl, port, passive, path.join(this.dir, 'logs'), options));
    const nodeArgs = this.options.gatewayNodeArgs ?? [];
    const party = await startParty('gateway', process.execPath, [...nodeArgs, path.join(REPO, 'bin', 'ftp-server.js'), '--config', conf, '--status', '0'], {
      env: tls ? { ...process.env, NODE_EXTRA_CA_CERTS: tls.caFile } : undefined,
      cwd: this.dir,
      logFile: path.join(this.dir, 'logs', `${tag}.out`),
      readyPort: port,
    });
    return this.track(party, port, (key) => `ftp://${ACCOUNT.user}:${ACCOUNT.password}@127.0.0.1:${port}/${key}`);
  }

  /**
   * rclone's server on the same store (S3 backend, Signature V4, path-style), with the gateway's part size and
   * upload concurrency. Debian's rclone 1.60 is built without `serve ftp`, so its WebDAV server (plain HTTP, the
   * same VFS layer and S3 backend as its FTP server) stands in.
   */
  async startRclone(): Promise<ServerHandle> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RCLONE_CONFIG: path.join(this.dir, 'rclone.conf'),
      RCLONE_CONFIG_BENCHCOS_TYPE: 's3',
      RCLONE_CONFIG_BENCHCOS_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCHCOS_ENDPOINT: this.storeUrl,
      RCLONE_CONFIG_BENCHCOS_ACCESS_KEY_ID: ACCOUNT.secretId,
      RCLONE_CONFIG_BENCHCOS_SECRET_ACCESS_KEY: ACCOUNT.secretKey,
      RCLONE_CONFIG_BENCHCOS_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_BENCHCOS_REGION: 'ap-guangzhou',
    };
    // rclone refuses a custom CA bundle on a plain-HTTP transport.
    delete env.AWS_CA_BUNDLE;
    const args = [
      'serve', 'webdav', `benchcos:${ACCOUNT.bucket}`,
      '--addr', `127.0.0.1:${port}`,
      '--user', ACCOUNT.user, '--pass', ACCOUNT.password,
      '--s3-chunk-size', `${this.transfer.partSize}B`,
      '--s3-upload-concurrency', String(this.transfer.threads),
      '--s3-no-check-bucket',
    ];
    const party = await startParty('rclone', 'rclone', args, { env, logFile: path.join(this.dir, 'logs', 'rclone.log'), readyPort: port });
    return this.track(party, port, (key) => `http://${ACCOUNT.user}:${ACCOUNT.password}@127.0.0.1:${port}/${key}`);
  }

  /** Whether the original can be started (an anchor folder with run.sh was given and exists). */
  get hasOriginal(): boolean {
    return this.options.originalDir !== undefined && fs.existsSync(path.join(this.options.originalDir, 'run.sh'));
  }

  /**
   * Tencent's original (Python, pyftpdlib + the COS Python SDK) on the same store, through the anchor's run.sh: the
   * bench account's bucket and keys, its default part size and upload threads, log level ERROR like the gateway.
   * Built once per work folder (ORIG_WORK inside it), so it never touches another user's copy.
   */
  async startOriginal(): Promise<ServerHandle> {
    const dir = this.options.originalDir;
    if (!dir || !this.hasOriginal) throw new Error('no original anchor folder');
    const port = await freePort();
    const [low, high] = await freePortRange(100);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ORIG_WORK: path.join(this.dir, 'original'),
      RUN_DIR: path.join(this.dir, 'original-run'),
      BUCKET: ACCOUNT.bucket,
      SECRET_ID: ACCOUNT.secretId,
      SECRET_KEY: ACCOUNT.secretKey,
      PASV: `${low},${high}`,
      ALICE_PW: ORIGINAL_USER.password,
      MAX_CONNECTION_NUM: '512',
      LOG_LEVEL: 'ERROR',
    };
    const party = await startParty('original', 'bash', [path.join(dir, 'run.sh'), String(port), String(this.storePort)], {
      env,
      logFile: path.join(this.dir, 'logs', 'original.log'),
      readyPort: port,
      timeoutMs: 120_000,
    });
    return this.track(party, port, (key) => `ftp://${ORIGINAL_USER.name}:${ORIGINAL_USER.password}@127.0.0.1:${port}/${key}`);
  }

  /** Debian's pyftpdlib serving a local folder: the FTP ceiling on this machine. */
  async startPyftpd(root: string): Promise<ServerHandle> {
    fs.mkdirSync(root, { recursive: true });
    const port = await freePort();
    const [low, high] = await freePortRange(200);
    const args = ['-m', 'pyftpdlib', '-i', '127.0.0.1', '-p', String(port), '-w', '-d', root, '-u', ACCOUNT.user, '-P', ACCOUNT.password, '-r', `${low}-${high}`];
    const party = await startParty('pyftpdlib', '/usr/bin/python3', args, { logFile: path.join(this.dir, 'logs', 'pyftpdlib.log'), readyPort: port });
    return this.track(party, port, (key) => `ftp://${ACCOUNT.user}:${ACCOUNT.password}@127.0.0.1:${port}/${key}`);
  }

  /** A raw TCP sender of `file` (node net server piping the file to each connection). */
  async startRawSender(file: string): Promise<ServerHandle> {
    const party = await startParty('raw sender', process.execPath, [path.join(CLIENTS, 'raw-tcp.js'), 'serve', file], {
      logFile: path.join(this.dir, 'logs', 'raw.log'),
      readyOutput: /"port":\d+/,
    });
    const port = (JSON.parse(party.stdout().trim().split('\n')[0]) as { port: number }).port;
    return this.track(party, port, () => `tcp://127.0.0.1:${port}`);
  }

  /** Runs the SDK client with a job against this store. */
  async sdk(job: Omit<SdkJob, 'storeUrl' | 'secretId' | 'secretKey' | 'bucket'>): Promise<ClientRun> {
    const full: SdkJob = { ...job, storeUrl: this.storeUrl, secretId: ACCOUNT.secretId, secretKey: ACCOUNT.secretKey, bucket: ACCOUNT.bucket };
    return runClient(process.execPath, [path.join(CLIENTS, 'sdk.js'), JSON.stringify(full)]);
  }

  async ftpList(server: ServerHandle, dir: string): Promise<ClientRun> {
    return runClient(process.execPath, [path.join(CLIENTS, 'ftp-list.js'), '127.0.0.1', String(server.port), ACCOUNT.user, ACCOUNT.password, dir]);
  }

  async rawReceive(sender: ServerHandle): Promise<ClientRun> {
    return runClient(process.execPath, [path.join(CLIENTS, 'raw-tcp.js'), 'recv', String(sender.port)]);
  }

  private track(party: Party, port: number, url: (key: string) => string): ServerHandle {
    this.servers.push(party);
    return { party, port, url };
  }

  async stopServer(server: ServerHandle): Promise<void> {
    this.servers = this.servers.filter((p) => p !== server.party);
    await server.party.stop();
  }

  async close(): Promise<void> {
    for (const party of this.servers) await party.stop();
    await this.store.stop();
    if (this.tlsStore) await (await this.tlsStore.catch(() => undefined))?.party.stop();
    if (!this.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ClientRun extends ToolResult {
  report?: ClientReport;
}

export async function runClient(command: string, args: string[]): Promise<ClientRun> {
  const result = await runTool(command, args);
  if (result.code !== 0) return result;
  try {
    return { ...result, report: parseReport(result.stdout) };
  } catch {
    return { ...result, code: -1, stderr: `${result.stderr}\nno report line in: ${result.stdout.slice(-500)}` };
  }
}

function gatewayConf(storeUrl: string, port: number, passive: [number, number], logDir: string, options: StackOptions): string {
  return [
    '[COS_ACCOUNT_0]',
    `cos_secretid = ${ACCOUNT.secretId}`,
    `cos_secretkey = ${ACCOUNT.secretKey}`,
    `cos_bucket = ${ACCOUNT.bucket}`,
    'cos_region = ap-guangzhou',
    `cos_protocol = ${storeUrl.startsWith('https:') ? 'https' : 'http'}`,
    `cos_endpoint = ${storeUrl}`,
    `home_dir = /home/${ACCOUNT.user}`,
    `ftp_login_user_name = ${ACCOUNT.user}`,
    `ftp_login_user_password = ${ACCOUNT.password}`,
    'authority = RW',
    '',
    '[NETWORK]',
    'listen_address = 127.0.0.1',
    `listen_port = ${port}`,
    `passive_port = ${passive[0]},${passive[1]}`,
    '',
    '[FILE_OPTION]',
    '',
    '[OPTIONAL]',
    `min_part_size = ${options.partSize ?? 'default'}`,
    `upload_thread_num = ${options.threads ?? 'default'}`,
    'max_connection_num = 512',
    // A LIST of the benchmark's folder must return every entry.
    `max_list_file = ${Math.max(1000, options.maxListFile ?? 10_000)}`,
    ...(options.gatewayExtraConf ?? []),
    // Errors only: per-command info lines are not what is measured.
    'log_level = ERROR',
    `log_dir = ${logDir}`,
    '',
    '[SECURITY]',
    // Every benchmark client connects from 127.0.0.1, up to 64 at once (the budget case); the default of 32
    // sessions per address refused half of them with 421. The original has no such limit.
    'max_per_ip = 0',
    '',
  ].join('\n');
}
