// EPSV ALL (RFC 2428 section 4): the client tells a NAT or firewall in between that it will only use EPSV, and the
// server must answer 200 and refuse every other way of setting up a data connection (PORT, PASV, EPRT) afterwards.
// ftp-srv read `ALL` as a protocol number, opened a passive port and answered 229 (and did so for any argument).
import { commandsUsing } from './command-table';
import { once, wrapCommand } from './registry';

/** Sessions that sent EPSV ALL (a WeakSet: nothing to clean up when the connection goes). */
const epsvOnly = new WeakSet<object>();

/** Wraps whatever EPSV and other data set-up handlers are installed (call it after the other layers' wrappers). */
export function installEpsvAll(): void {
  once('epsv-all', () => {
    wrapCommand('EPSV', (original) =>
      function (args) {
        const arg = (args.command.arg ?? '').trim().toUpperCase();
        // RFC 2428: a network protocol number (1 IPv4, 2 IPv6); another number is 522, anything else 501.
        if (/^\d+$/.test(arg) && arg !== '1' && arg !== '2') return this.reply(522, 'Network protocol not supported, use (1,2).');
        if (arg !== 'ALL' && arg !== '' && !/^\d+$/.test(arg)) return this.reply(501, 'Syntax error: EPSV [1|2|ALL].');
        if (arg !== 'ALL') return original.call(this, args);
        epsvOnly.add(this);
        return this.reply(200, 'EPSV ALL ok: only EPSV sets up data connections from now on.');
      },
    );
    // Every other way of setting one up, as the command table declares them (PASV, PORT, EPRT).
    for (const name of commandsUsing('setup').filter((n) => n !== 'EPSV')) {
      wrapCommand(name, (original) =>
        function (args) {
          if (epsvOnly.has(this)) return this.reply(503, `${name} is not allowed after EPSV ALL; use EPSV.`);
          return original.call(this, args);
        },
      );
    }
  });
}
