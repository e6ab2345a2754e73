// CLNT <name>: ncftp and others name themselves after login. Acknowledged (ftp-srv answered 502, which ncftp logs).

import { once, setCommand } from './registry';

interface ClntConnection {
  reply(code: number, ...messages: string[]): PromiseLike<unknown>;
}

export function installClnt(): void {
  once('clnt', () =>
    setCommand<ClntConnection>('CLNT', {
      handler() {
        return this.reply(200, 'Noted.');
      },
      syntax: '{{cmd}} <client name and version>',
      description: 'The client names itself (acknowledged)',
    }),
  );
}
