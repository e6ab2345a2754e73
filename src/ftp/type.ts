// TYPE (RFC 959 3.1.1): the representation type. ASCII (`A`, `A N`: non-print format) converts line endings on the
// wire; image (`I`, and `L 8`: bytes of 8 bits) moves the bytes as they are. Spaces inside the argument do not matter
// (`L 8` and `L8`, `A N` and `AN`, as vsftpd and pyftpdlib accept). Types the server does not implement (EBCDIC,
// other byte sizes, Telnet or carriage-control formats) are 504, anything else 501. ftp-srv's own TYPE refused
// `A N` and `L 8` (501) and took `L7` for binary.
import { once, setCommand } from './registry';

interface TypeConnection {
  transferType?: string;
  reply(code: number, ...messages: string[]): PromiseLike<unknown>;
}

/** The transfer type for an argument: 'ascii' or 'binary', 'unsupported' (504) or 'invalid' (501). */
export function transferTypeOf(arg: string | null): 'ascii' | 'binary' | 'unsupported' | 'invalid' {
  const type = (arg ?? '').replace(/ /g, '').toUpperCase();
  if (type === 'A' || type === 'AN') return 'ascii';
  if (type === 'I' || type === 'L8') return 'binary';
  if (/^(A[TC]|E[NTC]?|L\d+)$/.test(type)) return 'unsupported';
  return 'invalid';
}

export function installType(): void {
  once('type', () =>
    setCommand<TypeConnection>('TYPE', {
      handler({ command }: { command: { arg: string | null } }) {
        const type = transferTypeOf(command.arg);
        if (type === 'invalid') return this.reply(501, 'Syntax error: TYPE A, A N, I or L 8.');
        if (type === 'unsupported') return this.reply(504, `TYPE ${command.arg ?? ''} not implemented; use A or I.`);
        this.transferType = type;
        return this.reply(200, type === 'ascii' ? 'Switching to ASCII mode.' : 'Switching to Binary mode.');
      },
      syntax: '{{cmd}} A|A N|I|L 8',
      description: 'Set the transfer type: ASCII (A) or image (I)',
      flags: { feat: 'TYPE A,I,L' },
    }),
  );
}
