// CLNT <name>: ncftp and others name themselves after login. Acknowledged (ftp-srv answered 502, which ncftp logs).

interface ClntConnection {
  reply(code: number, ...messages: string[]): PromiseLike<unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const registry = require('ftp-srv/src/commands/registry') as Record<string, unknown>;

export function installClnt(): void {
  registry.CLNT = {
    directive: 'CLNT',
    handler(this: ClntConnection) {
      return this.reply(200, 'Noted.');
    },
    syntax: '{{cmd}} <client name and version>',
    description: 'The client names itself (acknowledged)',
    flags: { no_auth: true },
  };
}
