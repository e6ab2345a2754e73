// The shared test stack: an in-memory local COS store and the gateway, in-process, on ephemeral ports.
// LOG_LEVEL=debug (or trace) shows the gateway's logs on stderr; silent by default.
import type COS from 'cos-nodejs-sdk-v5';
import { Client } from 'basic-ftp';
import pino from 'pino';
import type { Logger } from 'pino';
import { buildAccount, buildServerConfig } from '../../src/config/defaults';
import type { AccountConfig, NetworkConfig, ProtocolLimits, ServerConfig, TransferConfig } from '../../src/config/types';
import { startGateway } from '../../src/ftp/gateway';
import type { Gateway } from '../../src/ftp/gateway';
import { createCosClient } from '../../src/store/cos/client';
import { startLocalCos } from '../../src/store/localcos/index';
import type { LocalCos } from '../../src/store/localcos/index';
import { storeCertificate } from './store-tls';

export interface StackOptions {
  /** Each entry is completed from defaults (entry i: user{i+1}/pass{i+1}, RW, bucket{i+1}-1250000000). */
  accounts?: Array<Partial<AccountConfig>>;
  transfer?: Partial<TransferConfig>;
  network?: Partial<NetworkConfig>;
  maxListFile?: number;
  /** [OPTIONAL] listing_mtime. */
  listingMtime?: boolean;
  maxConnectionNum?: number;
  /** [SECURITY] limits; the stack lifts max_per_ip and the login ban unless given (tests open many sessions from
   *  127.0.0.1 and fail logins on purpose). */
  limits?: Partial<ProtocolLimits>;
  /** Idle timeout of control connections in ms (default: the gateway's 300 s). */
  idleTimeoutMs?: number;
  /** Deadline of a PROXY protocol header in ms (default: the gateway's). */
  proxyHeaderTimeoutMs?: number;
  /** Which ObjectStore the gateway uses to reach the local store: COS (default) or S3 (SigV4, path style). */
  storage?: 'cos' | 's3';
  /** Store data on disk under this folder instead of in memory. */
  storeDataDir?: string;
  logger?: Logger;
  /** The store speaks HTTPS (a certificate for the buckets' host names), as real COS does; the gateway trusts it. */
  storeTls?: boolean;
}

export interface Stack {
  store: LocalCos;
  gateway: Gateway;
  ftpPort: number;
  accounts: AccountConfig[];
  config: ServerConfig;
  logger: Logger;
  /** An SDK client for direct checks, with the credentials of `user`'s account (default: the first). */
  cos(user?: string): COS;
  /** `{ Bucket, Region }` of `user`'s account, for SDK calls. */
  bucket(user?: string): { Bucket: string; Region: string };
  /** The account of `user` (default: the first); throws when unknown. */
  account(user?: string): AccountConfig;
  /** A logged-in basic-ftp client for `user` (default: the first account); close it yourself. */
  ftp(user?: string): Promise<Client>;
  /** `ftp://user:pass@127.0.0.1:port/` for curl and friends. */
  url(user?: string, path?: string): string;
  close(): Promise<void>;
}

/** A logger for tests: silent unless LOG_LEVEL is set, then synchronous to stderr. */
export function testLogger(): Logger {
  const level = process.env.LOG_LEVEL ?? 'silent';
  return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
}

/** A random passive range of 400 ports inside 30000-59999, so parallel suites rarely collide. */
export function randomPassiveRange(): { passivePortMin: number; passivePortMax: number } {
  const min = 30000 + Math.floor(Math.random() * 29600);
  return { passivePortMin: min, passivePortMax: min + 399 };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const draft = (opts.accounts ?? [{}]).map((a, i) => buildAccount(a, i));
  const credentials = new Map<string, string>();
  for (const a of draft) credentials.set(a.secretId, a.secretKey);
  const buckets = [...new Set(draft.map((a) => a.bucket))];

  const tls = opts.storeTls ? storeCertificate() : undefined;
  const store = await startLocalCos({
    tls,
    host: '127.0.0.1',
    port: 0,
    memory: opts.storeDataDir === undefined,
    dataDir: opts.storeDataDir,
    credentials: [...credentials].map(([id, key]) => ({ id, key })),
    buckets,
  });
  const accounts = draft.map((a) =>
    opts.storage === 's3'
      ? { ...a, storage: 's3' as const, s3: { endpoint: store.url, region: 'us-east-1', forcePathStyle: true } }
      : { ...a, endpoint: a.endpoint ?? store.url },
  );
  const logger = opts.logger ?? testLogger();
  const config = buildServerConfig({
    accounts,
    network: { listenAddress: '127.0.0.1', listenPort: 0, ...randomPassiveRange(), ...opts.network },
    transfer: opts.transfer,
    maxListFile: opts.maxListFile,
    listingMtime: opts.listingMtime,
    maxConnectionNum: opts.maxConnectionNum ?? 0,
    limits: { maxPerIp: 0, banMaxLoginFails: 0, ...opts.limits },
    configCheckEnable: false,
    source: 'test-stack',
  });
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, logger, {
      idleTimeoutMs: opts.idleTimeoutMs,
      proxyHeaderTimeoutMs: opts.proxyHeaderTimeoutMs,
      storeCa: tls?.cert,
    });
  } catch (err) {
    await store.close();
    throw err;
  }

  const account = (user?: string): AccountConfig => {
    const found = user === undefined ? config.accounts[0] : config.accounts.find((a) => a.userName === user);
    if (!found) throw new Error(`no account for user ${String(user)}`);
    return found;
  };
  const clients = new Map<string, COS>();
  const stack: Stack = {
    store,
    gateway,
    ftpPort: gateway.port,
    accounts: config.accounts,
    config,
    logger,
    account,
    bucket(user?: string) {
      const a = account(user);
      return { Bucket: a.bucket, Region: a.region || 'ap-guangzhou' };
    },
    cos(user?: string) {
      const a = account(user);
      let client = clients.get(a.userName);
      if (!client) {
        // Checks go through the COS SDK whichever store the gateway uses (the local store speaks both).
        client = createCosClient({ ...a, endpoint: store.url }, { timeoutMs: 30_000, ca: tls?.cert });
        clients.set(a.userName, client);
      }
      return client;
    },
    async ftp(user?: string) {
      const a = account(user);
      const client = new Client(30_000);
      try {
        await client.access({ host: '127.0.0.1', port: gateway.port, user: a.userName, password: a.password });
      } catch (err) {
        client.close();
        throw err;
      }
      return client;
    },
    url(user?: string, path = '/') {
      const a = account(user);
      const enc = encodeURIComponent;
      return `ftp://${enc(a.userName)}:${enc(a.password)}@127.0.0.1:${gateway.port}${path.startsWith('/') ? path : `/${path}`}`;
    },
    async close() {
      try {
        await gateway.close(5_000);
      } finally {
        await store.close();
      }
    },
  };
  return stack;
}
