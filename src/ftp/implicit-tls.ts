// Implicit FTPS (vsftpd's implicit_ssl): a second control port where the connection is TLS from its first byte, as
// FileZilla's "Require implicit FTP over TLS" and curl's ftps:// expect. Each connection, once its handshake is done,
// is handed to the same ftp-srv connection handler as a plain one (so admission, limits and every command are the
// same); it starts with its control connection encrypted and data protected (PROT P).
import type { Server, Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { HANDSHAKE_TIMEOUT_MS } from './tls';

const implicitSockets = new WeakSet<Socket>();

/** True for a control socket that came in on the implicit TLS port. */
export function isImplicitTls(socket: Socket | undefined): boolean {
  return socket !== undefined && implicitSockets.has(socket);
}

export interface ImplicitTlsOptions {
  host: string;
  port: number;
  /** The certificate and key now (a reload may replace them: see ImplicitTlsServer.setSecureContext). */
  secure: tls.SecureContextOptions;
  /** ftp-srv's connection handler, called with each TLS socket. */
  handler: (socket: Socket) => void;
  log: Logger;
}

export async function listenImplicitTls(options: ImplicitTlsOptions): Promise<tls.Server> {
  const server = tls.createServer({ ...options.secure, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, (socket) => {
    implicitSockets.add(socket);
    // ftp-srv resumes the socket after its greeting, as with its own (pauseOnConnect) sockets.
    socket.pause();
    options.handler(socket);
  });
  // A failed or timed-out handshake closes only that connection.
  server.on('tlsClientError', (err: Error) => options.log.debug({ err: err.message }, 'implicit TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err: Error) => options.log.error({ err: err.message }, 'implicit TLS server error'));
  return server;
}

/** The ftp-srv connection handler of its net server (before any gate wraps it). */
export function connectionHandlerOf(server: Server): (socket: Socket) => void {
  const handlers = server.listeners('connection') as Array<(socket: Socket) => void>;
  return (socket) => {
    for (const handler of handlers) handler.call(server, socket);
  };
}
