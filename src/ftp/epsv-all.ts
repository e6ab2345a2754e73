// EPSV ALL (RFC 2428 section 4): the client tells a NAT or firewall in between that it will only use EPSV, and the
// server must answer 200 and refuse every other way of setting up a data connection (PORT, PASV, EPRT) afterwards.
// ftp-srv read `ALL` as a protocol number, opened a passive port and answered 229.
import { commandsUsing } from './command-table';

interface DataSetupConnection {
  reply(code: number, ...messages: string[]): PromiseLike<unknown>;
}

interface RegistryEntry {
  directive?: string | string[];
  handler: (this: DataSetupConnection, args: { command: { arg: string | null } }) => unknown;
  syntax?: string;
  description?: string;
  flags?: { no_auth?: boolean; feat?: string };
  [key: symbol]: boolean | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const registry = require('ftp-srv/src/commands/registry') as Record<string, RegistryEntry>;
const GUARDED = Symbol.for('cos-ftp-server.epsv-all');
/** Sessions that sent EPSV ALL (a WeakSet: nothing to clean up when the connection goes). */
const epsvOnly = new WeakSet<object>();

/** Wraps whatever EPSV and other data set-up handlers are installed (call it after the other layers' wrappers). */
export function installEpsvAll(): void {
  const epsv = registry.EPSV;
  if (epsv && !epsv[GUARDED]) {
    const original = epsv.handler;
    registry.EPSV = {
      ...epsv,
      [GUARDED]: true,
      handler(args) {
        if ((args.command.arg ?? '').trim().toUpperCase() !== 'ALL') return original.call(this, args);
        epsvOnly.add(this);
        return this.reply(200, 'EPSV ALL ok: only EPSV sets up data connections from now on.');
      },
    };
  }
  // Every other way of setting one up, as the command table declares them (PASV, PORT, EPRT).
  for (const name of commandsUsing('setup').filter((n) => n !== 'EPSV')) {
    const entry = registry[name];
    if (!entry || entry[GUARDED]) continue;
    const original = entry.handler;
    registry[name] = {
      ...entry,
      [GUARDED]: true,
      handler(args) {
        if (epsvOnly.has(this)) return this.reply(503, `${name} is not allowed after EPSV ALL; use EPSV.`);
        return original.call(this, args);
      },
    };
  }
}
