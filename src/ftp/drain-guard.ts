// While the gateway drains (SIGINT/SIGTERM), sessions that are still open must not start new transfers: the
// data commands are answered 421 and the session is closed. Wraps whichever handlers the transfer layer installed.
import type { GatewayContext } from '../server/context';

interface GuardedConnection {
  server?: object;
  reply(code: number, message: string): PromiseLike<unknown>;
  close(code?: number): PromiseLike<unknown>;
}

interface RegistryEntry {
  handler: (this: GuardedConnection, args: unknown) => unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const registry = require('ftp-srv/src/commands/registry') as Record<string, RegistryEntry | undefined>;
const WRAPPED = Symbol.for('cos-ftp-server.drain-guard');
const DATA_COMMANDS = ['STOR', 'APPE', 'STOU', 'RETR'];

/** Gateway context per ftp-srv instance (several gateways may run in one process, e.g. in tests). */
const contexts = new WeakMap<object, GatewayContext>();

export function registerGatewayServer(server: object, context: GatewayContext): void {
  contexts.set(server, context);
}

/** The gateway context of an ftp-srv instance (a connection's `server`). */
export function gatewayOf(server: object | undefined): GatewayContext | undefined {
  return server ? contexts.get(server) : undefined;
}

export function installDrainGuard(): void {
  for (const directive of DATA_COMMANDS) {
    const entry = registry[directive];
    if (!entry || (entry.handler as unknown as Record<symbol, boolean>)[WRAPPED]) continue;
    const original = entry.handler;
    const guarded = function (this: GuardedConnection, args: unknown): unknown {
      const context = this.server ? contexts.get(this.server) : undefined;
      if (context?.draining) {
        return Promise.resolve(this.reply(421, 'Server is shutting down; try again later.')).then(() => this.close(0));
      }
      return original.call(this, args);
    };
    (guarded as unknown as Record<symbol, boolean>)[WRAPPED] = true;
    entry.handler = guarded;
  }
}
