// REST <offset> (RFC 3659 section 5): where the next RETR (or resumed STOR) starts. The offset is a decimal byte
// count and nothing else.
// ftp-srv's REST took parseInt's reading, so `REST 12abc` set 12 and `REST 99999999999999999999` set 1e20 (350).
import { once, setCommand } from './registry';

interface RestConnection {
  restByteCount?: number;
  reply(code: number, ...messages: string[]): PromiseLike<unknown>;
}

/** The offset REST asks for, or undefined when the argument is not a whole number of bytes a file can have. */
export function restOffsetOf(arg: string | null): number | undefined {
  const text = (arg ?? '').trim();
  if (!/^\d+$/.test(text)) return undefined;
  const offset = Number(text);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

export function installRest(): void {
  once('rest', () =>
    setCommand<RestConnection>('REST', {
      handler({ command }: { command: { arg: string | null } }) {
        const offset = restOffsetOf(command.arg);
        if (offset === undefined) return this.reply(501, 'Syntax error: REST <byte offset>, a whole number of bytes.');
        this.restByteCount = offset;
        return this.reply(350, `Restarting at ${offset}. Send STOR or RETR to start the transfer.`);
      },
      syntax: '{{cmd}} <byte offset>',
      description: 'Where the next RETR or STOR starts',
      flags: { feat: 'REST STREAM' },
    }),
  );
}
