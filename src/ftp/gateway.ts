// Hosts the FTP control and data channels (ftp-srv) over the configured accounts.
// Owner: foundation (lifecycle, limits, logging). Hooks owned by other layers are called from here.
import type { Server, Socket } from 'node:net';
import FtpSrv from 'ftp-srv';
import type { FtpConnection, FtpServerOptions } from 'ftp-srv';
import type { Logger } from 'pino';
import type { AccountConfig, ServerConfig, TlsConfig } from '../config/types';
import { scrubbingLogger } from '../log/scrub';
import { createStore } from '../store/index';
import { ReadYourWrites, WriteMemories } from '../store/read-your-writes';
import { readFileSync } from 'node:fs';
import { UploadBufferBudget } from '../transfer/buffer-budget';
import { Semaphore } from '../util/semaphore';
import type { AccountContext, GatewayContext, GatewayEvents } from './context';
import type { RequestObserver } from '../store/index';
import { createLoginHandler, installLoginCommands } from './login';
import { installControlLines } from './control-lines';
import { installListingCommands } from './commands/filesystem';
import { installTransferCommands } from './commands/transfer';
import { installDrainGuard } from './drain-guard';
import { registerGatewayServer } from './registry';
import { Admission, registerAdmission } from './admission';
import { installReplyDiscipline } from './dispatch';
import { ignoreInput } from './control-lines';
import { installActiveCommands } from './data-policy';
import { connectionHandlerOf, isImplicitTls, listenImplicitTls } from './implicit-tls';
import { installFeatureList } from './features';
import { type TlsServerOptions, installTlsUpgrade, startEncrypted } from './tls';
import { installPassiveAddressTracking, passiveAddressResolver } from './passive-address';
import { installPassiveConnector } from './passive-connector';
import { installClientAddress } from './proxy/client-address';
import { installClnt } from './clnt';
import { installType } from './type';
import { installRest } from './rest';
import { installUtf8Only } from './utf8';
import { quietClientGone } from './client-gone';
import { installEpsvAll } from './epsv-all';
import { installProxyGate, registerProxyGate } from './proxy/gate';
import { trustedPeers } from './proxy/trusted';

/** A refused connection (421) that the client keeps open is closed after this long. */
const REFUSED_LINGER_MS = 2_000;
/** After the grace period, how long aborted transfers get to clean up (abort their multipart uploads). */
const ABORT_WAIT_MS = 10_000;
/** How long close() lets running transfers finish by default. */
export const DEFAULT_GRACE_MS = 30_000;

export interface Gateway {
  context: GatewayContext;
  /** The control port actually bound (useful with listen_port 0 in tests). */
  port: number;
  /** The implicit FTPS port actually bound, when implicit_ssl is on. */
  implicitTlsPort?: number;
  /** Stop accepting, let transfers finish within graceMs, then close every session. */
  close(graceMs?: number): Promise<void>;
  /** An account with its own object store (at start, and for accounts a reload adds or changes). */
  openAccount(account: AccountConfig): AccountContext;
  /** Reads the certificate and key again and applies the force_* flags, for new TLS handshakes (reload). */
  applyTls(tls: TlsConfig): void;
}

export interface GatewayOptions {
  /** Idle timeout of a control connection in ms (0 = none). */
  idleTimeoutMs?: number;
  /** How long a PROXY protocol header may take to arrive (default PROXY_HEADER_TIMEOUT_MS). */
  proxyHeaderTimeoutMs?: number;
  /** Certificates to trust for HTTPS to the object store (tests: the local store's own). */
  storeCa?: string | Buffer;
  /** Hooks for metrics and readiness (logins, commands, transfers, account checks). */
  events?: GatewayEvents;
  /** Called once per COS request every account's store makes. */
  onStoreRequest?: RequestObserver;
}

/** ftp-srv's options as it really accepts them (its typings say `pasv_url` is a string only). */
type FtpSrvOptions = Omit<FtpServerOptions, 'pasv_url' | 'log'> & {
  pasv_url: (clientIp: string) => string | Promise<string>;
  log: unknown;
} & Required<Pick<TlsServerOptions, 'tlsRequiredForLogin' | 'tlsRequiredForData'>>;

export async function startGateway(config: ServerConfig, logger: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  installReplyDiscipline();
  installControlLines();
  installLoginCommands();
  installListingCommands();
  installTransferCommands();
  installActiveCommands();
  installType();
  installRest();
  installUtf8Only();
  // After the other layers' registry changes, so these wrap whichever handlers are in place.
  installPassiveAddressTracking();
  installPassiveConnector();
  installDrainGuard();
  installFeatureList();
  installTlsUpgrade();
  installClientAddress();
  installEpsvAll();
  installClnt();

  const storeLog = logger.child({ component: 'store' });
  const writeMemories = new WriteMemories();
  const openAccount = (account: AccountConfig): AccountContext => ({
    account,
    // Listings show this server's own recent writes even while COS's listing lags behind (read-your-writes.ts).
    store: new ReadYourWrites(
      createStore(account, { logger: storeLog, ca: options.storeCa, onRequest: options.onStoreRequest }),
      writeMemories.for(account.bucket),
    ),
  });
  const context: GatewayContext = {
    config,
    logger,
    accounts: config.accounts.map(openAccount),
    events: options.events,
    uploadSlots: new Semaphore(config.transfer.uploadThreadNum),
    uploadBuffers: new UploadBufferBudget(config.transfer.uploadBufferSize),
    stats: { sessions: 0, transfers: 0 },
    draining: false,
    // What the transfer engines see of all this; read live, so a reload's limits apply to the next transfer.
    transferServices: {
      get limits() {
        return context.config.transfer;
      },
      get uploadSlots() {
        return context.uploadSlots;
      },
      get uploadBuffers() {
        return context.uploadBuffers;
      },
      get stats() {
        return context.stats;
      },
      get draining() {
        return context.draining;
      },
      get onTransferEnded() {
        return context.events?.transferEnded;
      },
    },
  };

  const { network } = config;
  const host = network.listenAddress.includes(':') ? `[${network.listenAddress}]` : network.listenAddress;
  const listeners = {
    SIGTERM: process.listeners('SIGTERM'),
    SIGINT: process.listeners('SIGINT'),
    SIGQUIT: process.listeners('SIGQUIT'),
  };
  const ftpOptions: FtpSrvOptions = {
    url: `ftp://${host}:${network.listenPort}`,
    pasv_min: network.passivePortMin,
    pasv_max: network.passivePortMax,
    // A function so that PASV announces the control connection's local address unless masquerading.
    pasv_url: passiveAddressResolver(network.masqueradeAddress),
    greeting: 'Welcome to COS FTP Service',
    // Explicit FTPS: AUTH TLS on the control connection, then every data connection encrypted too (PROT P).
    tls: network.tls ? tlsOptions(network.tls) : false,
    tlsRequiredForLogin: network.tls?.forceLogins ?? false,
    tlsRequiredForData: network.tls?.forceData ?? false,
    anonymous: false,
    // ftp-srv sets it on each control socket and closes the session with 421 when it fires; the transfer layer
    // suspends it during a transfer and restores server.options.timeout afterwards.
    timeout: options.idleTimeoutMs ?? config.limits.idleSessionTimeoutMs,
    // Also the logger of every session and command handler (the transfer and file-system layers log through it).
    log: scrubbingLogger(logger.child({ component: 'ftp-srv' })),
  };
  const ftp = new FtpSrv(ftpOptions as unknown as FtpServerOptions);
  // ftp-srv logs every server error with its stack, a failed listen too, which the caller reports in one line.
  const netServer = (ftp as unknown as { server: Server }).server;
  netServer.removeAllListeners('error');
  netServer.on('error', (err: Error) => {
    if (netServer.listening) logger.error({ err }, 'FTP server error');
  });
  // Captured before a PROXY gate wraps it: implicit TLS connections are handed to it after their handshake.
  const ftpConnectionHandler = connectionHandlerOf(netServer);
  let proxyGate: Parameters<typeof installProxyGate>[1] | undefined;
  if (network.proxyProtocol) {
    // Before ftp-srv (or TLS) sees a connection, its PROXY header is read and the client's address set on it.
    const gate = {
      isTrusted: trustedPeers(network.proxyProtocol.trusted),
      logger: logger.child({ component: 'proxy' }),
      headerTimeoutMs: options.proxyHeaderTimeoutMs,
    };
    installProxyGate(netServer, gate);
    registerProxyGate(ftp, gate);
    proxyGate = gate;
  }
  replaceDisconnectClient(ftp);
  registerGatewayServer(ftp, context);
  // ftp-srv installs handlers that exit the process at once; the daemon drains transfers itself.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    for (const l of process.listeners(signal)) {
      if (!listeners[signal].includes(l)) process.removeListener(signal, l);
    }
  }

  const sessionLog = logger.child({ component: 'session' });
  const admission = new Admission(context, sessionLog);
  registerAdmission(ftp, admission);
  /** Admitted connections and the address their slot was counted under. */
  const accepted = new WeakMap<FtpConnection, string>();
  // 'connect' is emitted by ftp-srv 4.6.3 but missing from its typings.
  (ftp as unknown as NodeJS.EventEmitter).on('connect', ({ connection }: { connection: FtpConnection }) => {
    const socket = (connection as unknown as { commandSocket: Socket }).commandSocket;
    quietClientGone(connection as unknown as Parameters<typeof quietClientGone>[0]);
    const address = connection.ip ?? '';
    const refusal = admission.admit(address);
    if (refusal) {
      // Nothing it sends runs. Written directly: the socket is still paused and ftp-srv's 220 is about to follow;
      // end() makes it unwritable. A client that keeps its end open is cut off shortly after.
      ignoreInput(connection);
      socket.end(`${refusal.reply}\r\n`);
      setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
      sessionLog.warn({ ip: address, reason: refusal.reason, sessions: context.stats.sessions }, 'connection refused');
      return;
    }
    accepted.set(connection, address);
    // Replies are small writes that must leave at once: with Nagle's algorithm the 226 that follows a 150 waited
    // for the client's delayed ACK of the 150, ~40 ms per transfer (measured: a 1-byte RETR took 60 ms, 10 over HTTP).
    socket.setNoDelay(true);
    if (isImplicitTls(socket)) startEncrypted(connection as unknown as Parameters<typeof startEncrypted>[0]);
    sessionLog.debug({ id: connection.id, ip: address, sessions: context.stats.sessions }, 'connected');
  });
  ftp.on('disconnect', ({ connection }: { connection: FtpConnection }) => {
    const address = accepted.get(connection);
    if (address === undefined) return;
    accepted.delete(connection);
    admission.release(address);
    sessionLog.debug({ id: connection.id, sessions: context.stats.sessions }, 'disconnected');
  });

  // ftp-srv keeps whatever object the listener gives as the session's fs; its typings ask for its own local-disk
  // FileSystem class, which CosFileSystem no longer extends (no method of it may ever touch the local disk).
  (ftp as unknown as NodeJS.EventEmitter).on('login', createLoginHandler(context));
  await ftp.listen();
  const implicitPort = network.tls?.implicitPort;
  const implicit =
    network.tls && implicitPort !== undefined
      ? await listenImplicitTls({
          host: network.listenAddress,
          port: implicitPort,
          secure: tlsOptions(network.tls),
          handler: ftpConnectionHandler,
          log: logger.child({ component: 'implicit-tls' }),
        }).catch(async (err: unknown) => {
          await ftp.close();
          throw err;
        })
      : undefined;
  // Behind a balancer the PROXY header comes before the TLS handshake.
  if (implicit && proxyGate) installProxyGate(implicit, proxyGate);
  const server = (ftp as unknown as { server: Server }).server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : network.listenPort;

  // ftp-srv's close() calls server.close(cb) again after we stopped listening; Node then hands cb an
  // ERR_SERVER_NOT_RUNNING that ftp-srv logs as an error. Once not listening, "closed" is what the caller wants.
  const closeServer = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    if (server.listening) return closeServer(cb);
    if (cb) server.once('close', () => cb());
    return closeServer();
  }) as Server['close'];

  let closing: Promise<void> | undefined;
  const close = (graceMs: number = DEFAULT_GRACE_MS): Promise<void> => {
    closing ??= (async () => {
      context.draining = true;
      // Stop listening at once (existing sessions stay); ftp-srv's close() below waits for them to be gone.
      if (server.listening) server.close();
      if (implicit?.listening) implicit.close();
      await waitForTransfers(context, graceMs);
      if (context.stats.transfers > 0) {
        logger.warn({ transfers: context.stats.transfers, graceMs }, 'grace period over; aborting running transfers');
      }
      await ftp.close();
      // Closing the sessions makes the transfer layer abort what still runs (AbortMultipartUpload); give those
      // requests a moment, or the process may exit before they are sent and leave billed parts behind.
      if (context.stats.transfers > 0) {
        await waitForTransfers(context, ABORT_WAIT_MS);
        if (context.stats.transfers > 0) logger.error({ transfers: context.stats.transfers }, 'transfers still not ended');
      }
    })();
    return closing;
  };

  const applyTls = (tls: TlsConfig): void => {
    // ftp-srv and the TLS layer read these per connection / command; a new options object gets a new context.
    const live = (ftp as unknown as { options: FtpSrvOptions }).options;
    live.tls = tlsOptions(tls);
    live.tlsRequiredForLogin = tls.forceLogins;
    live.tlsRequiredForData = tls.forceData;
    implicit?.setSecureContext(live.tls);
  };

  const implicitAddress = implicit?.address();
  const tlsPort = typeof implicitAddress === 'object' && implicitAddress ? implicitAddress.port : undefined;
  return { context, port, implicitTlsPort: tlsPort, close, openAccount, applyTls };
}

/**
 * ftp-srv's TLS options. At most TLS 1.2: TLS 1.3 sends session tickets after the handshake, which a client that
 * only writes to a data connection (lftp's put) never reads; closing with them unread resets the connection and
 * loses its last bytes.
 */
function tlsOptions(tls: TlsConfig): { cert: Buffer; key: Buffer; maxVersion: 'TLSv1.2' } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), maxVersion: 'TLSv1.2' };
}

/** Resolves when no transfer runs any more, or after graceMs. */
async function waitForTransfers(context: GatewayContext, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (context.stats.transfers > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
  }
}

interface FtpSrvInternals {
  connections: Record<string, { close(code?: number): unknown }>;
  log: { error(...args: unknown[]): void };
  disconnectClient(id: string): Promise<unknown>;
}

/**
 * ftp-srv's disconnectClient arms a timer of `timeout` ms (the idle timeout, 5 minutes) on every disconnect that
 * only rejects an already-settled promise; it keeps the process alive that long after the last client left. This is
 * the same method without that timer.
 */
function replaceDisconnectClient(ftp: FtpSrv): void {
  const server = ftp as unknown as FtpSrvInternals;
  server.disconnectClient = async (id: string) => {
    const client = server.connections[id];
    if (!client) return undefined;
    delete server.connections[id];
    try {
      await client.close(0);
    } catch (err) {
      server.log.error(err, 'Error closing connection', { id });
    }
    return 'Disconnected';
  };
}
