// FEAT. ftp-srv's own lists AUTH TLS, PBSZ and PROT even when no certificate is configured, so clients such as lftp
// and FileZilla would try TLS first and get 502; and it omits REST STREAM, which tells clients they may resume.
// The list is built from the registry's `flags.feat`, as ftp-srv does, per server: TLS only where it is configured.

interface FeatEntry {
  flags?: { feat?: string; no_auth?: boolean };
}

interface FeatConnection {
  server: { options: { tls?: unknown } };
  reply(code: number, ...messages: Array<string | { message: string; raw: boolean }>): PromiseLike<unknown>;
}

const TLS_FEATURES = new Set(['AUTH TLS', 'PBSZ', 'PROT']);

export function installFeatureList(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('ftp-srv/src/commands/registry') as Record<string, FeatEntry & Record<string, unknown>>;
  const rest = registry.REST;
  if (rest) registry.REST = { ...rest, flags: { ...rest.flags, feat: 'REST STREAM' } };
  registry.FEAT = {
    ...registry.FEAT,
    directive: 'FEAT',
    handler(this: FeatConnection) {
      const tls = Boolean(this.server.options.tls);
      const features = new Set(['UTF8']);
      for (const entry of Object.values(registry)) {
        const feat = entry.flags?.feat;
        if (feat && (tls || !TLS_FEATURES.has(feat))) features.add(feat);
      }
      const lines = [...features].sort().map((feat) => ({ message: ` ${feat}`, raw: true }));
      return this.reply(211, 'Extensions supported', ...lines, 'End');
    },
    flags: { no_auth: true },
  };
}
