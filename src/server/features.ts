// What FEAT advertises. ftp-srv lists AUTH TLS, PBSZ and PROT even when no certificate is configured (this gateway
// has none), so clients such as lftp and FileZilla try TLS first and get 502; and it omits REST STREAM, which tells
// clients they may resume. FEAT is built from the registry's `flags.feat`, so the entries are adjusted there.

interface FeatEntry {
  flags?: { feat?: string; no_auth?: boolean };
}

export function installFeatureList(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('ftp-srv/src/commands/registry') as Record<string, FeatEntry>;
  for (const name of ['AUTH', 'PBSZ', 'PROT']) {
    const entry = registry[name];
    if (entry?.flags?.feat) registry[name] = { ...entry, flags: { ...entry.flags, feat: undefined } };
  }
  const rest = registry.REST;
  if (rest) registry.REST = { ...rest, flags: { ...rest.flags, feat: 'REST STREAM' } };
}
