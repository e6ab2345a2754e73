// proxy_protocol = on (design: docs/proxy-protocol.md): every connection to a listener must come from a trusted
// load balancer and start with a PROXY header; only then is it handed to the listener's own handlers (ftp-srv's,
// or TLS's for implicit FTPS), with the client's address set on the socket. Anything else is closed and logged,
// and nothing else notices.
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { setProxiedClient } from './client-address';
import { ProxyHeaderError, readProxyHeader } from './read';
import type { TrustCheck } from './trusted';

/** A balancer writes the header as soon as it has connected; this is ample even across a slow network. */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;

export interface ProxyGateOptions {
  isTrusted: TrustCheck;
  logger: Logger;
  headerTimeoutMs?: number;
}

/** The gate of each ftp-srv instance with proxy_protocol on, for its passive data listeners. */
const gates = new WeakMap<object, ProxyGateOptions>();

export function registerProxyGate(ftpServer: object, options: ProxyGateOptions): void {
  gates.set(ftpServer, options);
}

/**
 * For a passive data connection: the proxy settings when its peer is a trusted balancer (the balancer forwards the
 * passive ports and sends a header there too), else undefined (the client connected directly).
 */
export function proxyGateForPeer(ftpServer: object | undefined, peer: string | undefined): ProxyGateOptions | undefined {
  const gate = ftpServer ? gates.get(ftpServer) : undefined;
  return gate?.isTrusted(peer) ? gate : undefined;
}

/** Puts the gate in front of every 'connection' handler `server` has now (call after the server is created). */
export function installProxyGate(server: Server, options: ProxyGateOptions): void {
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    admitProxied(socket, options)
      .then((admitted) => {
        if (admitted) for (const handler of handlers) handler.call(server, socket);
      })
      // A handler that throws would otherwise be an unhandled rejection, which ends the process: end this connection.
      .catch((err: unknown) => {
        options.logger.error({ err, peer: socket.remoteAddress }, 'connection handler failed; connection closed');
        socket.destroy();
      });
  });
}

/**
 * Reads the PROXY header of a new connection and records the client's address on the socket; false (the socket
 * destroyed, the reason logged) for an untrusted peer or a bad, late or missing header.
 */
export async function admitProxied(socket: Socket, options: ProxyGateOptions): Promise<boolean> {
  const peer = socket.remoteAddress;
  const log = options.logger;
  // Destroyed sockets may still report an error (a reset); it has no other listener yet.
  socket.on('error', () => undefined);
  if (peer === undefined) {
    // Reset before it was looked at (a balancer's TCP health check connects and resets at once).
    log.debug('PROXY protocol: connection gone before it was read');
    socket.destroy();
    return false;
  }
  if (!options.isTrusted(peer)) {
    log.warn({ peer }, 'PROXY protocol: connection from an address not in proxy_trusted refused');
    socket.destroy();
    return false;
  }
  try {
    const header = await readProxyHeader(socket, options.headerTimeoutMs ?? PROXY_HEADER_TIMEOUT_MS);
    // LOCAL / UNKNOWN (e.g. the balancer's own health check): the connection is the balancer's.
    if (header.source) setProxiedClient(socket, header.source);
    return !socket.destroyed;
  } catch (err) {
    const received = err instanceof ProxyHeaderError ? err.received : 0;
    const fields = { peer, received, reason: (err as Error).message };
    // A balancer's plain TCP health check connects and closes without a byte: not worth a warning each time.
    const silentClose = err instanceof ProxyHeaderError && err.failure === 'closed' && received === 0;
    if (silentClose) log.debug(fields, 'PROXY protocol: closed before any header');
    else log.warn(fields, 'PROXY protocol: bad or missing header; connection closed');
    socket.destroy();
    return false;
  }
}
