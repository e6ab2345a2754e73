// Which address PASV announces. ftp-srv calls a function `pasv_url(clientIp)` without the connection, so the
// PASV handler is wrapped to remember each client's control-connection local address just before it runs.
import { lookup } from 'node:dns/promises';
import type { Server, Socket } from 'node:net';
import { once, wrapCommand } from './registry';

interface PasvConnection {
  ip?: string;
  commandSocket?: Socket;
  connector?: { type?: string | false; dataServer?: Server | null; closeSocket?(): void };
}


/** Last control-connection local address seen per client address (multi-homed servers: PASV answers per route). */
const localAddressByClient = new Map<string, string>();
const MAX_REMEMBERED = 10_000;

/** `::ffff:1.2.3.4` -> `1.2.3.4`; other addresses unchanged. */
export function plainIpv4(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * ftp-srv's PASV, EPSV, PORT and EPRT replace the session's connector without closing the previous one: a passive
 * listener then holds its port for 30 s (a client that repeats PASV exhausts a small passive_port range), and an
 * active connection made for PORT/EPRT stays open for as long as the client keeps it (past the session's end too).
 * Close it first.
 */
export function closePreviousConnector(connection: PasvConnection): void {
  const previous = connection.connector;
  if (!previous) return;
  const server = previous.type === 'passive' ? previous.dataServer : undefined;
  if (server) {
    // Its 'close' listener is kept: it counts the port as free again, and it ends the old connector only while that
    // is still the session's (passive-connector.ts), not the one this command is about to set up.
    server.close();
    previous.dataServer = null;
  }
  previous.closeSocket?.();
}

/**
 * Wraps the registry's PASV and EPSV handlers (whoever installed them) once: the previous passive listener is
 * closed, and for PASV the control connection's local address is remembered for the announced address.
 */
export function installPassiveAddressTracking(): void {
  once('passive-address', () => {
    for (const directive of ['PASV', 'EPSV']) {
      wrapCommand(directive, (original) =>
        function (args) {
          const session = this as typeof this & PasvConnection;
          closePreviousConnector(session);
          const client = session.ip;
          const local = plainIpv4(session.commandSocket?.localAddress);
          if (directive === 'PASV' && client && local) {
            if (localAddressByClient.size >= MAX_REMEMBERED) localAddressByClient.clear();
            localAddressByClient.set(client, local);
          }
          return original.call(this, args);
        },
      );
    }
  });
}

/** The `pasv_url` option for ftp-srv: the masquerade address when set, else the control connection's address. */
export function passiveAddressResolver(
  masqueradeAddress: string | undefined,
): (clientIp: string) => string | Promise<string> {
  return (clientIp: string) => {
    if (masqueradeAddress) {
      if (isIpv4(masqueradeAddress)) return masqueradeAddress;
      // A host name (the original accepts one): resolved on every PASV so a dynamic DNS name stays right.
      return lookup(masqueradeAddress, { family: 4 }).then((r) => r.address);
    }
    const local = localAddressByClient.get(clientIp);
    if (!local || !isIpv4(local)) {
      const err = new Error('PASV needs an IPv4 control connection; use EPSV') as Error & { code: number };
      err.code = 425;
      throw err;
    }
    return local;
  };
}

function isIpv4(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address);
}
