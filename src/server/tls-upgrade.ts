// AUTH TLS (explicit FTPS, RFC 4217). ftp-srv's own handler upgrades the socket a few ticks after queueing its 234
// reply, by which time the client's ClientHello may already have been read as a plain-text "command" (answered in
// clear, which breaks the handshake: curl reports "wrong version number"). Here the 234 is written and the socket
// wrapped in the same tick, before any byte of the handshake can arrive.
import type { Socket } from 'node:net';
import tls from 'node:tls';

interface TlsConnection {
  commandSocket: Socket;
  secure: boolean;
  server: { options: { tls?: tls.SecureContextOptions | false } };
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  ip?: string;
  _handleData(data: Buffer): void;
  reply(code: number, message?: string): PromiseLike<unknown>;
}

interface RegistryEntry {
  directive: string;
  handler: (this: TlsConnection, args: { command: { arg: string | null } }) => unknown;
  syntax: string;
  description: string;
  flags?: { no_auth?: boolean; feat?: string };
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

/** Events ftp-srv listens for on the command socket; after the upgrade they come from the TLS socket. */
const FORWARDED = ['timeout', 'end', 'close', 'drain', 'error'] as const;

function upgrade(connection: TlsConnection, options: tls.SecureContextOptions): void {
  const raw = connection.commandSocket;
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
  secure.once('secure', () => connection.log.info({ ip: connection.ip, protocol: secure.getProtocol() }, 'control connection encrypted'));
  connection.commandSocket = secure;
  connection.secure = true;
}

/** Replaces ftp-srv's AUTH. */
export function installTlsUpgrade(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('ftp-srv/src/commands/registry') as Record<string, RegistryEntry>;
  registry.AUTH = {
    directive: 'AUTH',
    handler({ command }) {
      const method = (command.arg ?? '').trim().toUpperCase();
      const options = this.server.options.tls;
      if (!options) return this.reply(502, 'TLS is not configured on this server.');
      // AUTH SSL is the older name clients (curl) try first; vsftpd treats it as TLS too.
      if (method !== 'TLS' && method !== 'SSL' && method !== 'TLS-C') return this.reply(504, 'Use AUTH TLS.');
      if (this.secure) return this.reply(503, 'Already using TLS.');
      upgrade(this, options);
      return undefined;
    },
    syntax: '{{cmd}} TLS',
    description: 'Encrypt the control connection (explicit FTPS)',
    flags: { no_auth: true, feat: 'AUTH TLS' },
  };
}
