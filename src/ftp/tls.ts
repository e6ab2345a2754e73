// Explicit FTPS (RFC 4217): AUTH TLS, PBSZ and PROT, replacing ftp-srv's.
// - ftp-srv's AUTH upgraded the socket a few ticks after queueing its 234 reply, by which time the client's
//   ClientHello may already have been read as a plain-text "command" (answered in clear, which breaks the
//   handshake: curl reports "wrong version number"). Here the 234 is written and the socket wrapped in the same tick.
// - Lines that arrived in clear behind AUTH TLS are dropped (STARTTLS command injection, CVE-2011-0411), and a login
//   made before AUTH is forgotten: RFC 4217 wants the user to log in again inside TLS.
// - A client that never completes a handshake is disconnected instead of holding its connection slot.
// - ftp-srv made every data connection TLS once the control connection was, whatever PROT said; here data is
//   encrypted after PROT P only (PROT C is clear, as RFC 4217 and vsftpd allow), unless force_local_data_ssl
//   demands PROT P. ftp-srv's connectors read `connection.secure`, so that flag now means "data protected"; the
//   control connection's own state is `controlEncrypted`.
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { commandsUsing } from './command-table';
import { discardPendingInput } from './control-lines';
import { once, setCommand, wrapCommand } from './registry';

/** A TLS handshake (control or data) not done within this time closes the connection. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

export interface TlsServerOptions {
  tls?: tls.SecureContextOptions | false;
  /** force_local_logins_ssl: USER only on an encrypted control connection. */
  tlsRequiredForLogin?: boolean;
  /** force_local_data_ssl: data connections only after PROT P. */
  tlsRequiredForData?: boolean;
}

interface TlsConnection {
  commandSocket: Socket;
  /** ftp-srv's flag, read by its connectors: data connections are TLS. */
  secure: boolean;
  controlEncrypted?: boolean;
  bufferSize?: number | false;
  authenticated?: boolean;
  username?: string;
  fs?: unknown;
  renameFrom?: unknown;
  server: { options: TlsServerOptions };
  log: { info(obj: object, msg: string): void };
  ip?: string;
  _handleData(data: Buffer): void;
  reply(code: number, message?: string): PromiseLike<unknown>;
}

const contexts = new WeakMap<tls.SecureContextOptions, tls.SecureContext>();

/** One secure context per server's TLS options: parsing the key and certificate for every connection is wasted work. */
export function secureContextFor(options: tls.SecureContextOptions): tls.SecureContext {
  let context = contexts.get(options);
  if (!context) {
    context = tls.createSecureContext(options);
    contexts.set(options, context);
  }
  return context;
}

/** Destroys `socket` unless its handshake completes within `ms`. */
export function handshakeDeadline(socket: tls.TLSSocket, ms: number = HANDSHAKE_TIMEOUT_MS): void {
  const timer = setTimeout(() => socket.destroy(new Error('TLS handshake timed out')), ms);
  timer.unref();
  socket.once('secure', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}

/** Node's own flag on a TLS socket whose handshake is done (set before its 'secure' event). */
const handshakeDone = (socket: tls.TLSSocket): boolean =>
  (socket as tls.TLSSocket & { _secureEstablished?: boolean })._secureEstablished === true;

/**
 * Makes `end()` of a TLS data socket wait for the handshake. An empty listing or file ends the socket at once; ended
 * before the handshake, the client (lftp, Python's ssl) sees its handshake cut off and reports an error instead of
 * an empty result.
 */
export function endAfterHandshake(socket: tls.TLSSocket): void {
  const end = socket.end.bind(socket) as (...args: unknown[]) => tls.TLSSocket;
  socket.end = ((...args: unknown[]) => {
    if (handshakeDone(socket) || socket.destroyed) return end(...args);
    socket.once('secure', () => end(...args));
    return socket;
  }) as tls.TLSSocket['end'];
}

/** Events ftp-srv listens for on the command socket; after the upgrade they come from the TLS socket. */
const FORWARDED = ['timeout', 'end', 'close', 'drain', 'error'] as const;

function upgrade(connection: TlsConnection, options: tls.SecureContextOptions): void {
  const raw = connection.commandSocket;
  discardPendingInput(connection);
  raw.write('234 AUTH TLS successful, start the handshake.\r\n');
  const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: secureContextFor(options) });
  // The TLS socket now reads the connection: ftp-srv's plain-text line handler moves to it.
  raw.removeAllListeners('data');
  secure.on('data', (chunk: Buffer) => connection._handleData(chunk));
  for (const event of FORWARDED) secure.on(event, (...args: unknown[]) => raw.emit(event, ...args));
  // The idle timer must watch the traffic that still flows (the raw socket sees none of it any more).
  const idle = raw.timeout ?? 0;
  raw.setTimeout(0);
  if (idle > 0) secure.setTimeout(idle);
  // ftp-srv's idle close writes a 421 first, which never completes on a socket whose handshake did not: destroy.
  handshakeDeadline(secure, idle > 0 ? Math.min(idle, HANDSHAKE_TIMEOUT_MS) : HANDSHAKE_TIMEOUT_MS);
  secure.once('secure', () => connection.log.info({ protocol: secure.getProtocol() }, 'control connection encrypted'));
  connection.commandSocket = secure;
  connection.controlEncrypted = true;
  connection.secure = false;
  connection.bufferSize = false;
  connection.authenticated = false;
  connection.username = undefined;
  connection.fs = undefined;
  connection.renameFrom = undefined;
}

/** A session on the implicit TLS port: encrypted from the start, data protected (PROT P) unless PROT C. */
export function startEncrypted(connection: Pick<TlsConnection, 'controlEncrypted' | 'secure' | 'bufferSize'>): void {
  connection.controlEncrypted = true;
  connection.bufferSize = 0;
  connection.secure = true;
}

/** Replaces ftp-srv's AUTH, PBSZ and PROT; with force_local_data_ssl, data set-up needs PROT P. */
export function installTlsUpgrade(): void {
  once('tls', installTlsCommands);
}

function installTlsCommands(): void {
  setCommand<TlsConnection>('AUTH', {
    handler({ command }) {
      const method = (command.arg ?? '').trim().toUpperCase();
      const options = this.server.options.tls;
      if (!options) return this.reply(502, 'TLS is not configured on this server.');
      // AUTH SSL is the older name clients (curl) try first; vsftpd treats it as TLS too.
      if (method !== 'TLS' && method !== 'SSL' && method !== 'TLS-C') return this.reply(504, 'Use AUTH TLS.');
      if (this.controlEncrypted) return this.reply(503, 'Already using TLS.');
      upgrade(this, options);
      return undefined;
    },
    syntax: '{{cmd}} TLS',
    description: 'Encrypt the control connection (explicit FTPS)',
    flags: { feat: 'AUTH TLS' },
  });
  setCommand<TlsConnection>('PBSZ', {
    handler() {
      if (!this.controlEncrypted) return this.reply(503, 'AUTH TLS first.');
      this.bufferSize = 0;
      return this.reply(200, 'PBSZ=0');
    },
    syntax: '{{cmd}} 0',
    description: 'Protection buffer size (always 0 with TLS)',
    flags: { feat: 'PBSZ' },
  });
  setCommand<TlsConnection>('PROT', {
    handler({ command }) {
      if (!this.controlEncrypted) return this.reply(503, 'AUTH TLS first.');
      if (this.bufferSize === false || this.bufferSize === undefined) return this.reply(503, 'PBSZ first.');
      const level = (command.arg ?? '').trim().toUpperCase();
      if (level === 'P') {
        this.secure = true;
        return this.reply(200, 'Data connections will be encrypted.');
      }
      if (level === 'C') {
        if (this.server.options.tlsRequiredForData) return this.reply(536, 'Data connections must be encrypted (PROT P).');
        this.secure = false;
        return this.reply(200, 'Data connections will be in clear text.');
      }
      if (level === 'S' || level === 'E') return this.reply(536, 'Only PROT P and PROT C are supported.');
      return this.reply(504, 'Unknown protection level.');
    },
    syntax: '{{cmd}} P|C',
    description: 'Data channel protection level',
    flags: { feat: 'PROT' },
  });
  // force_local_data_ssl: refuse to set up a data connection that would be clear text (vsftpd's reply). The
  // table's data set-up commands (PASV, EPSV, PORT, EPRT).
  for (const name of commandsUsing('setup')) {
    wrapCommand<TlsConnection>(name, (original) =>
      function (args) {
        if (this.server.options.tlsRequiredForData && !this.secure) {
          return this.reply(521, 'Data connections must be encrypted (AUTH TLS, PBSZ 0, PROT P).');
        }
        return original.call(this, args);
      },
    );
  }
}
