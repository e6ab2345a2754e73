// ftp-srv 4.6.3's passive listener (connector/passive.js setupServer), with these faults fixed:
// - its 30 s "no data connection" timer is never cleared when the listener closes, so every PASV/EPSV that was
//   not followed by a data connection keeps the process alive (and a reference to the session) for 30 s;
// - a listen error (the port taken between probe and listen) was only forwarded as 'client-error' and the
//   PASV/EPSV reply never came; now it rejects, and the command answers 425;
// - the data connection's address check uses plain string comparison after unmapping IPv4-mapped IPv6,
//   instead of the `ip` package (advisory GHSA-2p57-rm9w-gvfp).
// - on a TLS session (PROT P) the data connection counted only after its handshake, which clients start after 150;
//   now it counts at once, and a handshake that never completes closes it.
// - a connection from another address than the control connection's is dropped and the listener keeps waiting for
//   the session's own client (ftp-srv answered 550 and closed the victim's whole session);
// - the port is picked at random in the range and bound at once (ftp-srv handed them out in sequence, after a
//   probe that another process could race), and the listener waits accept_timeout for its client.
// Everything else is as in ftp-srv, which is pinned to 4.6.3 for this reason.
import net from 'node:net';
import tls from 'node:tls';
import { admitProxied, proxyGateForPeer } from './proxy/gate';
import { PASSIVE_PORT_TRIES, randomPassivePort, sameAddress, waitForDataSocket } from './data-policy';
import { pooledAcceptedSocket } from './pooled-reads';
import { gatewayOf, once } from './registry';
import { endAfterHandshake, handshakeDeadline, secureContextFor } from './tls';

/** accept_timeout when the gateway is unknown (vsftpd's default). */
const ACCEPT_TIMEOUT_MS = 60_000;

interface DataSocket extends net.Socket {
  connected?: boolean;
}

interface PassiveConnection {
  connector?: unknown;
  /** The client's address (through a load balancer too). */
  ip?: string;
  commandSocket: net.Socket;
  secure: boolean;
  reply(code: number, message: string): PromiseLike<unknown>;
  close(code?: number): PromiseLike<unknown>;
}

interface FtpSrvServer {
  options: { tls?: tls.TlsOptions | false; pasv_min?: number; pasv_max?: number };
  url: { hostname: string };
  getNextPasvPort(): PromiseLike<number>;
  emit(event: string, payload: unknown): boolean;
}

interface PassiveInternals {
  connection: PassiveConnection;
  server: FtpSrvServer | undefined;
  log: { error(...args: unknown[]): void; warn(...args: unknown[]): void; trace(...args: unknown[]): void; debug(...args: unknown[]): void };
  dataSocket: DataSocket | null;
  dataServer: net.Server | null;
  closeServer(): void;
  end(): void;
  setupServer(): Promise<net.Server>;
  waitForConnection(options?: { timeout?: number; delay?: number }): Promise<net.Socket>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Passive = require('ftp-srv/src/connector/passive') as { prototype: PassiveInternals };

/** Passive data ports listening now, across the process (a metrics gauge). */
export const passivePorts = { inUse: 0 };

function acceptTimeoutOf(connection: PassiveConnection): number {
  return gatewayOf(connection as unknown as { server?: object })?.config.limits.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS;
}

function setupServer(this: PassiveInternals): Promise<net.Server> {
  this.closeServer();
  const server = this.server;
  if (!server) return Promise.reject(new Error('session is closing'));
  const min = server.options.pasv_min ?? 1024;
  const max = server.options.pasv_max ?? 65535;
  const attempt = (tries: number): Promise<net.Server> =>
    listenPassive.call(this, server, randomPassivePort(min, max)).catch((err: Error & { code?: string | number }) => {
      if (err.code === 'EADDRINUSE' && tries < PASSIVE_PORT_TRIES && this.server) return attempt(tries + 1);
      throw Object.assign(new Error(`Cannot open a passive data port: ${err.message}`), { code: 425 });
    });
  return attempt(1);
}

function listenPassive(this: PassiveInternals, server: FtpSrvServer, port: number): Promise<net.Server> {
  return new Promise<net.Server>((resolve, reject) => {
    const connection = this.connection;
    this.dataSocket = null;
    let idleTimer: NodeJS.Timeout | undefined;

    // Through a balancer that forwards the passive ports, the connection starts with a PROXY header naming
    // the client; then the client's address is checked like a direct connection's.
    const onConnection = (plain: net.Socket): void => {
      const gate = proxyGateForPeer(server, plain.remoteAddress);
      if (!gate) return acceptData(plain, true);
      void admitProxied(plain, gate).then((admitted) => {
        if (admitted && this.dataServer === dataServer) acceptData(plain);
        else plain.destroy();
      });
    };

    /** `pooled`: a plain connection whose handle may move into a socket reading into pooled buffers. */
    const acceptData = (plain: net.Socket, pooled = false): void => {
      if (!sameAddress(connection.ip, plain.remoteAddress)) {
        // Someone else found the port: only that connection goes; the session keeps waiting for its client.
        this.log.warn({ port, from: plain.remoteAddress, client: connection.ip }, 'passive connection from another address dropped');
        plain.destroy();
        return;
      }
      if (this.dataSocket) {
        plain.destroy();
        return;
      }
      clearTimeout(idleTimer);
      this.log.trace({ port, remoteAddress: plain.remoteAddress }, 'Passive connection fulfilled.');
      // On an encrypted session the data connection is TLS too. It counts as connected at once, as ftp-srv's
      // active mode does: clients such as Python's ftplib and lftp start the handshake only after the 150
      // reply, which is sent once the connection is there (ftp-srv waited for the handshake: a deadlock).
      // The last segment of a transfer (or a short listing) leaves at once instead of waiting for a delayed ACK.
      plain.setNoDelay(true);
      let socket: DataSocket = plain;
      if (connection.secure && server.options.tls) {
        const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: secureContextFor(server.options.tls) });
        handshakeDeadline(secure);
        endAfterHandshake(secure);
        socket = secure;
      } else if (pooled) {
        socket = pooledAcceptedSocket(plain);
      }
      this.dataSocket = socket;
      socket.on('error', (err) => this.server?.emit('client-error', { connection, context: 'dataSocket', error: err }));
      socket.once('close', () => this.closeServer());
      socket.connected = true;
    };

    const dataServer = net.createServer({ pauseOnConnect: true }, onConnection);
    this.dataServer = dataServer;
    dataServer.on('error', (err) => this.server?.emit('client-error', { connection, context: 'dataServer', error: err }));
    let listening = false;
    dataServer.once('close', () => {
      if (listening) passivePorts.inUse--;
      clearTimeout(idleTimer);
      this.log.trace('Passive server closed');
      // Only while this connector is still the session's: closed late, it would reset the connector a later
      // PASV/EPSV/PORT has set up.
      if (connection.connector === this) this.end();
    });
    const onListenError = (err: Error & { code?: string | number }): void => {
      if (this.dataServer === dataServer) this.dataServer = null;
      dataServer.removeAllListeners('close');
      reject(err);
    };
    dataServer.once('error', onListenError);
    dataServer.listen(port, server.url.hostname, () => {
      dataServer.off('error', onListenError);
      listening = true;
      passivePorts.inUse++;
      // accept_timeout: the client must connect within it, or the listener closes (the transfer gets 425).
      idleTimer = setTimeout(() => this.closeServer(), acceptTimeoutOf(connection));
      // A daemon exits by itself; the timer must not keep a finished test process alive.
      idleTimer.unref();
      this.log.debug({ port }, 'Passive connection listening');
      resolve(dataServer);
    });
  });
}

/** Replaces ftp-srv's passive listener set-up (once per process). */
export function installPassiveConnector(): void {
  once('passive-connector', patchPassive);
}

function patchPassive(): void {
  const proto = Passive.prototype;
  proto.setupServer = setupServer;
  // ftp-srv waited 5 s for the client's connection after a transfer command, then kept polling forever;
  // accept_timeout is the setting, and the wait ends as soon as the listener is gone.
  proto.waitForConnection = function (this: PassiveInternals, options?: { delay?: number }) {
    if (!this.dataServer) return Promise.reject(Object.assign(new Error('Passive server not setup'), { code: 425 }));
    return waitForDataSocket(
      () => (this.dataServer?.listening && this.dataSocket?.connected ? this.dataSocket : undefined),
      () => !this.dataServer,
      acceptTimeoutOf(this.connection),
      options?.delay ?? 50,
    );
  };
}
