// The quick start: no configuration file, so run the bundled local object store in-process (data on disk) and
// the gateway with a demo account bound to it.
import crypto from 'node:crypto';
import path from 'node:path';
import { buildServerConfig } from '../config/defaults';
import type { ServerConfig } from '../config/types';
import { startLocalCos } from '../store/localcos/index';
import type { LocalCos } from '../store/localcos/index';

export const QUICK_START = {
  user: 'demo',
  password: 'demo',
  bucket: 'demo-1250000000',
  port: 2121,
  listen: '127.0.0.1',
  dataDir: 'data',
  logDir: 'log',
} as const;

export interface QuickStart {
  store: LocalCos;
  config: ServerConfig;
  dataDir: string;
}

export async function startQuickStart(opts: { port?: number; listen?: string; dataDir?: string; cwd?: string }): Promise<QuickStart> {
  const cwd = opts.cwd ?? process.cwd();
  const dataDir = path.resolve(cwd, opts.dataDir ?? QUICK_START.dataDir);
  // The store lives only inside this process, so its key can be new on every start.
  const secretId = 'AKIDquickstart';
  const secretKey = crypto.randomBytes(24).toString('base64url');
  const store = await startLocalCos({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    credentials: [{ id: secretId, key: secretKey }],
    buckets: [QUICK_START.bucket],
  });
  const config = buildServerConfig({
    accounts: [
      {
        section: 'QUICK_START',
        secretId,
        secretKey,
        bucket: QUICK_START.bucket,
        region: 'ap-guangzhou',
        endpoint: store.url,
        protocol: 'http',
        homeDir: '/home/demo',
        userName: QUICK_START.user,
        password: QUICK_START.password,
        authority: 'RW',
        deleteEnable: true,
      },
    ],
    network: { listenAddress: opts.listen ?? QUICK_START.listen, listenPort: opts.port ?? QUICK_START.port },
    transfer: { singleFileMaxSize: 200 * 1024 ** 3 },
    log: { dir: path.resolve(cwd, QUICK_START.logDir) },
    configCheckEnable: false,
    source: 'quick-start',
  });
  return { store, config, dataDir };
}

export function quickStartBanner(q: QuickStart, port: number): string {
  const host = q.config.network.listenAddress === '0.0.0.0' ? '127.0.0.1' : q.config.network.listenAddress;
  return [
    '',
    'cos-ftp-server quick start (no conf/vsftpd.conf found)',
    `  FTP server : ${host}:${port}`,
    `  login      : user "${QUICK_START.user}", password "${QUICK_START.password}"`,
    `  try        : curl -T FILE ftp://${QUICK_START.user}:${QUICK_START.password}@${host}:${port}/`,
    `               ftp ${host} ${port}`,
    `  storage    : a local COS-compatible store, objects kept under ${q.dataDir}`,
    '  For Tencent COS: cp conf/vsftpd.conf.example conf/vsftpd.conf, edit it, and start again.',
    '',
  ].join('\n');
}
