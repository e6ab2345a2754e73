// Several gateway processes behind a real HAProxy, on loopback addresses only: the balancer listens on 127.0.0.1
// and connects from 127.0.0.9 (its `source`), gateway i listens on 127.0.0.(i+2), one local store serves them all.
// HAProxy runs the configuration shipped in conf/, with its documentation addresses and ports replaced.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { accountSection } from '../helpers/conf-file';
import { REPO_ROOT, startServerProcess, tempDir } from '../helpers/server-process';
import type { ServerProcess } from '../helpers/server-process';

export const BALANCER = '127.0.0.1';
/** The address HAProxy connects to the gateways from: the only one in their proxy_trusted. */
export const BALANCER_SOURCE = '127.0.0.9';
export const USER = 'scale';
export const PASSWORD = 'scale-pass';
const BUCKET = 'scalebucket-1250000000';
const SECRET_ID = 'AKIDscale';
const SECRET_KEY = 'scale-secret-key';
/** Ports per gateway's passive range. */
const RANGE = 100;

export type Pattern = 'direct-passive' | 'forwarded-passive';

export interface GatewayProcess extends ServerProcess {
  address: string;
  /** Port of the [METRICS] listener (its /readyz is the forwarded pattern's health check). */
  metricsPort: number;
  passive: { min: number; max: number };
  /** The JSON log lines written so far. */
  logLines(): LogLine[];
}

export interface LogLine {
  msg: string;
  /** The metrics URL, on the ready line. */
  metrics?: string;
  level?: number;
  /** ms since the epoch (the daemon writes ISO time). */
  time: number;
  ip?: string;
  transfer?: string;
  result?: string;
  path?: string;
}

export interface Cluster {
  dir: string;
  store: LocalCos;
  gateways: GatewayProcess[];
  haproxy: ChildProcess;
  /** The balancer's control port on 127.0.0.1. */
  port: number;
  /** `ftp://scale:...@127.0.0.1:port/path` */
  url(remotePath: string): string;
  close(): Promise<void>;
}

/** A free TCP port on `host` (probed; HAProxy binds it a moment later). */
async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, host, resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function gatewayConfig(dir: string, store: LocalCos, address: string, passive: { min: number; max: number }, masquerade: string): string {
  const file = path.join(dir, `gateway-${address}.conf`);
  fs.writeFileSync(
    file,
    `${accountSection({ index: 0, secretId: SECRET_ID, secretKey: SECRET_KEY, bucket: BUCKET, endpoint: store.url, user: USER, password: PASSWORD })}
[NETWORK]
listen_address = ${address}
listen_port = 0
passive_port = ${passive.min},${passive.max}
masquerade_address = ${masquerade}
proxy_protocol = on
proxy_trusted = ${BALANCER_SOURCE}

[OPTIONAL]
log_level = INFO
log_dir = ${path.join(dir, `logs-${address}`)}
config_check_enable = false

[METRICS]
listen = ${address}:0
`,
    { mode: 0o600 },
  );
  return file;
}

/** The shipped HAProxy configuration with the test's addresses and ports in place of the documentation ones. */
function haproxyConfig(dir: string, pattern: Pattern, port: number, gateways: GatewayProcess[]): string {
  let text = fs.readFileSync(path.join(REPO_ROOT, 'conf', `haproxy-${pattern}.cfg`), 'utf8');
  const [gw1, gw2] = gateways;
  const replace = (from: string, to: string): void => {
    if (!text.includes(from)) throw new Error(`conf/haproxy-${pattern}.cfg no longer contains ${from}`);
    text = text.split(from).join(to);
  };
  replace('203.0.113.10:21\n', `${BALANCER}:${port}\n`);
  if (pattern === 'forwarded-passive') {
    replace('10.0.0.11:2121 send-proxy check port 9121', `${gw1.address}:${gw1.port} send-proxy check port ${gw1.metricsPort}`);
    replace('10.0.0.12:2121 send-proxy check port 9121', `${gw2.address}:${gw2.port} send-proxy check port ${gw2.metricsPort}`);
  } else {
    replace('10.0.0.11:2121', `${gw1.address}:${gw1.port}`);
    replace('10.0.0.12:2121', `${gw2.address}:${gw2.port}`);
  }
  replace('10.0.0.5', BALANCER_SOURCE);
  if (pattern === 'forwarded-passive') {
    replace('203.0.113.10:60000-60099', `${BALANCER}:${gw1.passive.min}-${gw1.passive.max}`);
    replace('203.0.113.10:60100-60199', `${BALANCER}:${gw2.passive.min}-${gw2.passive.max}`);
    replace('10.0.0.11 send-proxy', `${gw1.address} send-proxy`);
    replace('10.0.0.12 send-proxy', `${gw2.address} send-proxy`);
  }
  // Within any CI machine's descriptor limit.
  replace('maxconn 4096', 'maxconn 256');
  // Quicker health checks than in production, so a drained gateway is marked down within the test's time.
  replace('inter 2s fall 2 rise 2', 'inter 300ms fall 1 rise 1');
  const file = path.join(dir, `haproxy-${pattern}.cfg`);
  fs.writeFileSync(file, text);
  return file;
}

function parseLogLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Omit<LogLine, 'time'> & { time: string };
      lines.push({ ...entry, time: Date.parse(entry.time) });
    } catch {
      // the last line, still being written
    }
  }
  return lines;
}

/**
 * Starts the store, two gateways and HAProxy. Direct passive: each gateway announces its own address. Forwarded
 * passive: each announces the balancer's, and HAProxy forwards each gateway's range to it.
 */
export async function startCluster(pattern: Pattern): Promise<Cluster> {
  // HAProxy binds whole passive ranges (forwarded pattern): one port of the range taken by anything else on the
  // machine makes it exit. Another random range is tried then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(pattern);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startClusterOnce(pattern: Pattern): Promise<Cluster> {
  const dir = tempDir(`scale-${pattern}`);
  const store = await startLocalCos({
    host: '127.0.0.1',
    port: 0,
    memory: true,
    credentials: [{ id: SECRET_ID, key: SECRET_KEY }],
    buckets: [BUCKET],
  });
  // Below Linux's ephemeral ports (32768 and up), where outgoing connections would take ports of the range, and
  // below the other tests' passive ranges (30000 and up).
  const base = 20000 + Math.floor(Math.random() * 98) * RANGE;
  const addresses = ['127.0.0.2', '127.0.0.3'];
  const gateways: GatewayProcess[] = [];
  let haproxy: ChildProcess | undefined;
  const close = async (): Promise<void> => {
    haproxy?.kill('SIGKILL');
    await Promise.all(
      gateways.map(async (g) => {
        if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
        await g.exited(5000).catch(() => undefined);
      }),
    );
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      addresses.map(async (address, i) => {
        const passive = { min: base + i * RANGE, max: base + i * RANGE + RANGE - 1 };
        const masquerade = pattern === 'direct-passive' ? address : BALANCER;
        const file = gatewayConfig(dir, store, address, passive, masquerade);
        // --status 0: no status lines; --grace: the drained gateway's transfers have long enough to finish.
        const server = await startServerProcess(['--config', file, '--status', '0', '--grace', '20'], dir);
        const ready = parseLogLines(server.stdout()).find((l) => l.msg.startsWith('ready'));
        const metricsPort = Number(new URL(String(ready?.metrics)).port);
        gateways[i] = { ...server, address, metricsPort, passive, logLines: () => parseLogLines(server.stdout()) };
      }),
    );
    const port = await freePort(BALANCER);
    const config = haproxyConfig(dir, pattern, port, gateways);
    const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy = child;
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForListener(BALANCER, port, child, () => output);
    return {
      dir,
      store,
      gateways,
      haproxy: child,
      port,
      url: (remotePath) => `ftp://${USER}:${PASSWORD}@${BALANCER}:${port}/${remotePath.replace(/^\//, '')}`,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Resolves once something accepts connections at host:port; rejects if `child` exits first or after 5 s. */
async function waitForListener(host: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`haproxy not listening on ${host}:${port}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
