// OPTS UTF8 (RFC 2640): this server always speaks UTF-8 (paths are object keys, which COS stores as UTF-8), so
// `OPTS UTF8 ON` is acknowledged and `OFF` is refused, as vsftpd does. ftp-srv's OPTS UTF8 OFF switched the session's
// replies to Node's 'ascii' encoding, which mangles every non-ASCII path in later replies (257, 250, 550...).
import { once, wrapCommand } from './registry';

export function installUtf8Only(): void {
  once('utf8-only', () =>
    wrapCommand('OPTS', (original) =>
      function (args) {
        const [option, setting, ...rest] = (args.command.arg ?? '').trim().split(/\s+/);
        const name = (option ?? '').toUpperCase();
        if (name !== 'UTF8' && name !== 'UTF-8') return original.call(this, args);
        const value = (setting ?? '').toUpperCase();
        if (value === 'ON' && rest.length === 0) return this.reply(200, 'Always in UTF8 mode.');
        if (value === 'OFF' && rest.length === 0) return this.reply(504, 'UTF8 cannot be turned off: paths are UTF-8.');
        return this.reply(501, 'Syntax error: OPTS UTF8 ON.');
      },
    ),
  );
}
