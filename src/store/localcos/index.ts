// A local COS-compatible object store, in-process: the backend for tests, benchmarks and the quick start.
import type { AddressInfo, Socket } from 'node:net';
import { Catalog } from './catalog';
import { FaultRegistry, type FaultSpec, RequestCounters } from './faults';
import { type TlsOptions, createStoreServer } from './server';

export type { TlsOptions } from './server';

export type { CosOperation, FaultAction, FaultSpec, StoreOperation } from './faults';
export { COS_OPERATIONS } from './faults';

export interface LocalCosOptions {
  host?: string;
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Persistent mode: keep objects in this folder. */
  dataDir?: string;
  /** Keep everything in memory (the default when no dataDir is given). */
  memory?: boolean;
  credentials: Array<{ id: string; key: string }>;
  /** `<name>-<appid>`, created when missing. */
  buckets: string[];
  /** Enables the `/-/admin/` HTTP endpoint, guarded by this token. */
  adminToken?: string;
  /** The region of every bucket; requests to another region's host name are refused as COS does. Default ap-guangzhou. */
  region?: string;
  /** Speak HTTPS with this certificate (valid for the buckets' host names) and key, PEM. */
  tls?: TlsOptions;
}

export interface LocalCos {
  port: number;
  /** e.g. `http://127.0.0.1:PORT` (`https://` with TLS) */
  url: string;
  region: string;
  close(): Promise<void>;
  faults: {
    add(spec: FaultSpec): void;
    clear(): void;
  };
  /** Requests received per operation since start or the last reset (rejected ones included). */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  /** TCP connections accepted since start (keep-alive reuse shows as fewer connections than requests). */
  connectionCount(): number;
  /** Connections open now. */
  openConnections(): number;
  /** Closes every keep-alive connection that is idle between requests, as a server does after its idle timeout. */
  closeIdleConnections(): void;
}

export const DEFAULT_REGION = 'ap-guangzhou';

export async function startLocalCos(opts: LocalCosOptions): Promise<LocalCos> {
  const host = opts.host ?? '127.0.0.1';
  const catalog = new Catalog(opts.memory || !opts.dataDir ? undefined : opts.dataDir);
  for (const name of opts.buckets) catalog.ensureBucket(name);
  const faults = new FaultRegistry();
  const counters = new RequestCounters();
  const region = opts.region ?? DEFAULT_REGION;
  const server = createStoreServer(
    {
      catalog,
      credentials: new Map(opts.credentials.map((c) => [c.id, c.key])),
      faults,
      counters,
      adminToken: opts.adminToken,
      region,
    },
    opts.tls,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let accepted = 0;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    open++;
    socket.once('close', () => open--);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    region,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    faults: { add: (spec) => faults.add(spec), clear: () => faults.clear() },
    requestCounts: () => counters.snapshot(),
    resetRequestCounts: () => counters.reset(),
    connectionCount: () => accepted,
    openConnections: () => open,
    closeIdleConnections: () => server.closeIdleConnections(),
  };
}
