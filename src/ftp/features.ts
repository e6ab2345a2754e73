// FEAT. ftp-srv's own lists AUTH TLS, PBSZ and PROT even when no certificate is configured, so clients such as lftp
// and FileZilla would try TLS first and get 502. (REST STREAM, which tells clients they may resume, is declared by
// the gateway's own REST: rest.ts.)
// The list is built from the registry's `flags.feat`, as ftp-srv does, per server: TLS only where it is configured.

interface FeatConnection {
  server: { options: { tls?: unknown } };
  reply(code: number, ...messages: Array<string | { message: string; raw: boolean }>): PromiseLike<unknown>;
}

import { once, registryEntries, setCommand } from './registry';

const TLS_FEATURES = new Set(['AUTH TLS', 'PBSZ', 'PROT']);

export function installFeatureList(): void {
  once('features', () => {
    setCommand<FeatConnection>('FEAT', {
      handler() {
        const tls = Boolean(this.server.options.tls);
        const features = new Set(['UTF8']);
        for (const [, entry] of registryEntries()) {
          const feat = entry.flags?.feat;
          if (feat && (tls || !TLS_FEATURES.has(feat))) features.add(feat);
        }
        const lines = [...features].sort().map((feat) => ({ message: ` ${feat}`, raw: true }));
        return this.reply(211, 'Extensions supported', ...lines, 'End');
      },
      syntax: '{{cmd}}',
      description: 'Extensions this server supports',
    });
  });
}
