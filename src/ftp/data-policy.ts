// Where data connections may go and come from, in one place:
// - PORT/EPRT are parsed strictly (four decimal octets 0-255 without leading zeros, a port 1024-65535) and must
//   name the control connection's own peer (vsftpd's port_promiscuous=NO): no FTP bounce to other hosts or to
//   privileged ports. Anything else is vsftpd's "500 Illegal PORT command." (EPRT likewise).
// - The active connection to the client must connect within connect_timeout.
// - Passive connections (passive-connector.ts) must come from the control connection's peer too; the port is
//   picked at random in the range (randomPassivePort).
import net from 'node:net';
import tls from 'node:tls';
import { closePreviousConnector, plainIpv4 } from './passive-address';
import { pooledActiveSocket } from './pooled-reads';
import { gatewayOf, once, setCommand } from './registry';
import type { CommandArgs, FtpSession } from './registry';
import { endAfterHandshake, handshakeDeadline, secureContextFor } from './tls';

export interface ActiveTarget {
  host: string;
  port: number;
  family: 4 | 6;
}

/** A decimal number 0-255 without leading zeros. */
const OCTET = /^(0|[1-9]\d{0,2})$/;
/** 1-65535 without leading zeros. */
const PORT_NUMBER = /^[1-9]\d{0,4}$/;

function octet(text: string): number | undefined {
  if (!OCTET.test(text)) return undefined;
  const n = Number(text);
  return n <= 255 ? n : undefined;
}

/** `h1,h2,h3,h4,p1,p2` (RFC 959), strictly; undefined when malformed. */
export function parsePort(arg: string): ActiveTarget | undefined {
  const parts = arg.trim().split(',');
  if (parts.length !== 6) return undefined;
  const numbers = parts.map(octet);
  if (numbers.some((n) => n === undefined)) return undefined;
  const [a, b, c, d, p1, p2] = numbers as number[];
  return { host: `${a}.${b}.${c}.${d}`, port: p1 * 256 + p2, family: 4 };
}

/** A dotted IPv4 address, each part decimal 0-255 without leading zeros. */
export function isStrictIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => octet(p) !== undefined);
}

/** `<d>1<d>address<d>port<d>` (RFC 2428; the delimiter is the first character), strictly. */
export function parseEprt(arg: string): ActiveTarget | 'unsupported' | undefined {
  const text = arg.trim();
  const delimiter = text[0];
  if (!delimiter || delimiter.charCodeAt(0) < 33 || delimiter.charCodeAt(0) > 126) return undefined;
  const fields = text.split(delimiter);
  // '', protocol, address, port, ''
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '') return undefined;
  const [, protocol, address, port] = fields;
  if (protocol !== '1' && protocol !== '2') return /^\d+$/.test(protocol) ? 'unsupported' : undefined;
  if (!PORT_NUMBER.test(port) || Number(port) > 65535) return undefined;
  if (protocol === '1' ? !isStrictIpv4(address) : net.isIPv6(address) !== true) return undefined;
  return { host: address, port: Number(port), family: protocol === '1' ? 4 : 6 };
}

/** Canonical form of an address for comparison (IPv4-mapped IPv6 as IPv4, IPv6 expanded). */
export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  const norm = (x: string | undefined): string | undefined => {
    const plain = plainIpv4(x);
    if (!plain || !net.isIPv6(plain)) return plain;
    // Expand '::' so that equal IPv6 addresses written differently compare equal.
    const [head, tail = ''] = plain.toLowerCase().split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const zeros = plain.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
    return [...h, ...zeros, ...t].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}

/** Why an active target is refused, or undefined when it is allowed. */
export function activeRefusal(target: ActiveTarget, clientAddress: string | undefined): string | undefined {
  if (target.port < 1024) return `port ${target.port} is privileged`;
  if (!sameAddress(target.host, clientAddress)) return `address ${target.host} is not the client's (${clientAddress})`;
  return undefined;
}

/** How many random ports are tried before a passive set-up gives up (425). */
export const PASSIVE_PORT_TRIES = 20;

/** A port picked at random in [min, max]: the next passive port cannot be guessed from the last. */
export function randomPassivePort(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

interface DataSocket extends net.Socket {
  connected?: boolean;
}

/**
 * Resolves with the data socket once `ready()` gives one, polling every `delayMs`; rejects after `timeoutMs` or as
 * soon as `gone()` says it can no longer come. (ftp-srv's own wait kept polling forever after its timeout: every
 * transfer command without a data connection left a 50 ms timer running for the life of the process.)
 */
export function waitForDataSocket(
  ready: () => net.Socket | undefined,
  gone: () => boolean,
  timeoutMs: number,
  delayMs = 50,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      const socket = ready();
      if (socket) return resolve(socket);
      if (gone()) return reject(Object.assign(new Error('No data connection'), { code: 425 }));
      if (Date.now() >= deadline) return reject(Object.assign(new Error('Data connection timed out'), { code: 425 }));
      setTimeout(check, Math.min(delayMs, Math.max(1, deadline - Date.now())));
    };
    check();
  });
}

interface ActiveConnector {
  type: string;
  dataSocket: DataSocket | null;
  server: { emit(event: string, payload: unknown): boolean } | undefined;
  waitForConnection(options?: { timeout?: number; delay?: number }): PromiseLike<net.Socket>;
}

type DataSession = FtpSession & {
  secure: boolean;
  connector: unknown;
  server: { options: { tls?: tls.SecureContextOptions | false } };
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Active = require('ftp-srv/src/connector/active') as new (connection: object) => ActiveConnector;

/** Connects to the client's data port as ftp-srv's active connector does, within connect_timeout. */
function connectActive(session: DataSession, target: ActiveTarget, timeoutMs: number): void {
  const connector = new Active(session);
  // A passive listener left from an earlier PASV would reset the session's connector when it closes; a connection
  // left from an earlier PORT would stay open.
  closePreviousConnector(session as Parameters<typeof closePreviousConnector>[0]);
  session.connector = connector;
  // A plain connection reads into pooled buffers (pooled-reads.ts); under TLS the TLS layer reads this socket itself.
  const socket: DataSocket = session.secure && session.server.options.tls ? new net.Socket() : pooledActiveSocket();
  connector.dataSocket = socket;
  socket.on('error', (err) => connector.server?.emit('client-error', { connection: session, context: 'dataSocket', error: err }));
  socket.setTimeout(timeoutMs, () => {
    if (!socket.connected) socket.destroy(new Error('data connection timed out (connect_timeout)'));
  });
  socket.connect({ host: target.host, port: target.port, family: target.family }, () => {
    socket.setTimeout(0);
    // As for passive connections: the last segment leaves at once instead of waiting for a delayed ACK.
    socket.setNoDelay(true);
    socket.pause();
    const options = session.server.options.tls;
    if (session.secure && options) {
      const secure: tls.TLSSocket & DataSocket = new tls.TLSSocket(socket, { isServer: true, secureContext: secureContextFor(options) });
      // As on the passive path: a handshake that never completes ends the connection, and an empty listing or file
      // does not end the socket before the client's handshake is done.
      handshakeDeadline(secure);
      endAfterHandshake(secure);
      connector.dataSocket = secure;
      secure.connected = true;
    } else {
      socket.connected = true;
    }
  });
  // connect_timeout is the operator's setting (ftp-srv's own wait gave up after 5 s).
  const wait = connector.waitForConnection.bind(connector);
  connector.waitForConnection = (options) => wait({ ...options, timeout: timeoutMs + 1000 });
}

/** ftp-srv's active wait, without its endless polling (see waitForDataSocket). */
function activeWait(this: ActiveConnector, options: { timeout?: number; delay?: number } = {}): Promise<net.Socket> {
  return waitForDataSocket(
    () => (this.dataSocket?.connected ? this.dataSocket : undefined),
    () => !this.dataSocket || this.dataSocket.destroyed,
    options.timeout ?? 5000,
    options.delay ?? 50,
  );
}

function activeHandler(kind: 'PORT' | 'EPRT') {
  return function (this: DataSession, { log, command }: CommandArgs): PromiseLike<unknown> {
    const parsed = kind === 'PORT' ? parsePort(command.arg ?? '') : parseEprt(command.arg ?? '');
    if (parsed === 'unsupported') return this.reply(522, 'Network protocol not supported, use (1,2)');
    if (!parsed) return this.reply(500, `Illegal ${kind} command.`);
    const refusal = activeRefusal(parsed, this.ip);
    if (refusal) {
      log.warn({ ip: this.ip, target: `${parsed.host}:${parsed.port}`, reason: refusal }, `${kind} refused`);
      return this.reply(500, `Illegal ${kind} command.`);
    }
    const timeoutMs = gatewayOf(this)?.config.limits.connectTimeoutMs ?? 60_000;
    connectActive(this, parsed, timeoutMs);
    return this.reply(200, `${kind} command successful. Consider using PASV.`);
  };
}

/** Installs the strict PORT and EPRT (before the TLS and EPSV ALL guards wrap them). */
export function installActiveCommands(): void {
  once('data-policy', () => {
    (Active as unknown as { prototype: ActiveConnector }).prototype.waitForConnection = activeWait;
    setCommand('PORT', {
      handler: activeHandler('PORT'),
      syntax: '{{cmd}} <x>,<x>,<x>,<x>,<y>,<y>',
      description: 'Address and port the server connects to for the next transfer',
    });
    setCommand('EPRT', {
      handler: activeHandler('EPRT'),
      syntax: '{{cmd}} |<protocol>|<address>|<port>|',
      description: 'Address and port the server connects to for the next transfer (IPv4 or IPv6)',
    });
  });
}
