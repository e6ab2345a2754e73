// The client's real address on a connection that came through a load balancer. The PROXY header is read before
// anything else sees the socket, so the address is set on the raw socket itself (whatever reads its
// `remoteAddress` gets the client's), and a session's address, ftp-srv's `connection.ip`, is read through any TLS
// socket later wrapped around it: logs, limits, bans and the data-connection checks all use that one getter.
import type { Socket } from 'node:net';
import type { ProxyEndpoint } from './header';

interface ProxiedSocket extends Socket {
  /** Node's TLSSocket keeps the socket it wraps here (AUTH TLS, implicit TLS). */
  _parent?: Socket | null;
}

const proxied = new WeakMap<Socket, ProxyEndpoint>();

/** Records `client` as the peer of `socket` (the raw TCP socket, before any TLS wraps it). */
export function setProxiedClient(socket: Socket, client: ProxyEndpoint): void {
  proxied.set(socket, client);
  Object.defineProperties(socket, {
    remoteAddress: { value: client.address, configurable: true },
    remotePort: { value: client.port, configurable: true },
    remoteFamily: { value: client.family, configurable: true },
  });
}

/**
 * The client's address on `socket`: the one its PROXY header gave, also through a TLS socket wrapped around it
 * (whose own remoteAddress reads the TCP peer, the balancer), else the TCP peer's.
 */
export function clientAddressOf(socket: Socket | undefined): string | undefined {
  for (let s: ProxiedSocket | null | undefined = socket; s; s = s._parent) {
    const client = proxied.get(s);
    if (client) return client.address;
  }
  return socket?.remoteAddress;
}

interface FtpConnectionPrototype {
  commandSocket?: Socket;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const FtpConnection = require('ftp-srv/src/connection') as { prototype: FtpConnectionPrototype };

/**
 * ftp-srv's `connection.ip` read `commandSocket.remoteAddress`, which after AUTH TLS is the TLS socket's TCP peer:
 * the balancer's address for a proxied session. Now it is the client's, with or without TLS (once per process).
 */
export function installClientAddress(): void {
  Object.defineProperty(FtpConnection.prototype, 'ip', {
    configurable: true,
    get(this: FtpConnectionPrototype): string | undefined {
      return clientAddressOf(this.commandSocket);
    },
  });
}
