// The one typed view of ftp-srv 4.6.3's internals that src/ftp/ patches: its command registry (a process-wide
// object keyed by directive), and which gateway an ftp-srv server instance belongs to. Every install step of this
// folder goes through here, and each runs once per process (`once`).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { GatewayContext } from './context';

/** A command line as the handlers see it: the argument is everything after the first space, exactly as sent. */
export interface ParsedCommand {
  directive: string;
  arg: string | null;
  flags: string[];
  raw: string;
}

export interface CommandArgs {
  log: Logger;
  command: ParsedCommand;
  previous_command?: Partial<ParsedCommand>;
}

/** What every handler may rely on from ftp-srv's connection (its typings lack most of it). */
export interface FtpSession {
  id: string;
  /** The client's address (through a PROXY header too): the one source for logs, limits, bans and data checks. */
  readonly ip: string | undefined;
  authenticated?: boolean;
  fs?: unknown;
  commandSocket: Socket;
  server: object & { options: Record<string, unknown> };
  log: Logger;
  commands: { previousCommand?: Partial<ParsedCommand> };
  reply(code: number | Record<string, unknown>, ...messages: unknown[]): PromiseLike<unknown>;
  close(code?: number, message?: string): PromiseLike<unknown>;
}

export interface RegistryEntry<This = FtpSession> {
  directive: string | string[];
  handler: (this: This, args: CommandArgs) => unknown;
  syntax: string;
  description: string;
  flags?: { no_auth?: boolean; feat?: string; obsolete?: boolean };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const registry = require('ftp-srv/src/commands/registry') as Record<string, RegistryEntry | undefined>;

export function registryEntry(directive: string): RegistryEntry | undefined {
  return Object.prototype.hasOwnProperty.call(registry, directive) ? registry[directive] : undefined;
}

/** Installs (or replaces) a command's entry. */
export function setCommand<This>(directive: string, entry: Omit<RegistryEntry<This>, 'directive'> & { directive?: string | string[] }): void {
  registry[directive] = { directive, ...entry } as unknown as RegistryEntry;
}

/** Wraps whatever handler is installed for `directive` (no-op when there is none). */
export function wrapCommand<This = FtpSession>(
  directive: string,
  wrap: (original: (this: This, args: CommandArgs) => unknown) => (this: This, args: CommandArgs) => unknown,
): void {
  const entry = registry[directive];
  if (!entry) return;
  registry[directive] = { ...entry, handler: wrap(entry.handler as never) as never };
}

/** Every installed directive with its entry. */
export function registryEntries(): Array<[string, RegistryEntry]> {
  return Object.entries(registry).filter((e): e is [string, RegistryEntry] => e[1] !== undefined);
}

const done = new Set<string>();

/** Runs an install step once per process: the registry and ftp-srv's prototypes are shared by every gateway. */
export function once(step: string, install: () => void): void {
  if (done.has(step)) return;
  done.add(step);
  install();
}

/** Gateway context per ftp-srv instance (several gateways may run in one process, e.g. in tests). */
const contexts = new WeakMap<object, GatewayContext>();

export function registerGatewayServer(server: object, context: GatewayContext): void {
  contexts.set(server, context);
}

export function gatewayOf(session: { server?: object } | undefined): GatewayContext | undefined {
  return session?.server ? contexts.get(session.server) : undefined;
}
