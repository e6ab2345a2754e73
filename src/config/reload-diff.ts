// What a reload (SIGHUP) changes: the differences between the running configuration and a newly loaded one, split
// into what applies to new logins at once and what needs a restart. Secrets are named, never shown.
import { DEFAULT_LIMITS, LIMIT_KEYS } from './security';
import type { AccountConfig, ProtocolLimits, ServerConfig } from './types';

export interface AccountChange {
  section: string;
  user: string;
  /** Keys whose value changed (for secrets only the key name). */
  keys: string[];
}

export interface ConfigDiff {
  added: Array<{ section: string; user: string }>;
  removed: Array<{ section: string; user: string }>;
  changed: AccountChange[];
  /** Server-wide keys that take effect for new logins and commands, e.g. `[OPTIONAL] max_list_file 1000 -> 50`. */
  applied: string[];
  /** Keys whose new value is ignored until a restart, e.g. `[NETWORK] listen_port 2121 -> 2122`. */
  restartRequired: string[];
}

/** The diff as log fields: `[COS_ACCOUNT_1] bob`, `[COS_ACCOUNT_0] alice: cos_secretkey, authority`. */
export function describeDiff(d: ConfigDiff): Record<keyof ConfigDiff, string[]> {
  const name = (a: { section: string; user: string }): string => `[${a.section}] ${a.user}`;
  return {
    added: d.added.map(name),
    removed: d.removed.map(name),
    changed: d.changed.map((a) => `${name(a)}: ${a.keys.join(', ')}`),
    applied: d.applied,
    restartRequired: d.restartRequired,
  };
}

/** Account keys as --check-config names them, with a reader each; secrets compared but not shown. */
const ACCOUNT_FIELDS: Array<[key: string, read: (a: AccountConfig) => unknown]> = [
  ['cos_secretid', (a) => a.secretId],
  ['cos_secretkey', (a) => a.secretKey],
  ['cos_bucket', (a) => a.bucket],
  ['cos_region', (a) => a.region],
  ['cos_endpoint', (a) => a.endpoint],
  ['cos_protocol', (a) => a.protocol],
  ['cos_prefix', (a) => a.prefix],
  ['home_dir', (a) => a.homeDir],
  ['ftp_login_user_name', (a) => a.userName],
  ['ftp_login_user_password', (a) => a.password],
  ['authority', (a) => a.authority],
  ['delete_enable', (a) => a.deleteEnable],
  ['storage', (a) => a.storage],
  ['s3_region', (a) => a.s3?.region],
  ['s3_endpoint', (a) => a.s3?.endpoint],
  ['s3_force_path_style', (a) => a.s3?.forcePathStyle],
];

/** An S3 account writes these keys under their S3 names. */
const S3_NAMES: Record<string, string> = {
  cos_secretid: 's3_access_key_id',
  cos_secretkey: 's3_secret_access_key',
  cos_bucket: 's3_bucket',
};

/** A duration held in milliseconds, shown in the seconds its key is written in. */
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Server-wide keys a reload applies. */
const LIVE_FIELDS: Array<[name: string, read: (c: ServerConfig) => unknown]> = [
  ['[FILE_OPTION] single_file_max_size', (c) => c.transfer.singleFileMaxSize],
  ['[OPTIONAL] min_part_size', (c) => c.transfer.minPartSize],
  ['[OPTIONAL] max_connection_num', (c) => c.maxConnectionNum],
  ['[OPTIONAL] max_list_file', (c) => c.maxListFile],
  ['[OPTIONAL] listing_mtime', (c) => c.listingMtime],
  // Admission, bans and timeouts are read per connection and per transfer: new ones get the new values.
  ...(Object.keys(DEFAULT_LIMITS) as Array<keyof ProtocolLimits>).map(
    (key): [string, (c: ServerConfig) => unknown] => [
      `[SECURITY] ${LIMIT_KEYS[key]}`,
      (c) => (key.endsWith('Ms') ? seconds(c.limits[key]) : c.limits[key]),
    ],
  ),
  // The certificate and key are read again on every reload (a renewed certificate with the same paths too).
  ['[TLS] rsa_cert_file', (c) => c.network.tls?.certFile],
  ['[TLS] rsa_private_key_file', (c) => c.network.tls?.keyFile],
  ['[TLS] force_local_logins_ssl', (c) => c.network.tls?.forceLogins],
  ['[TLS] force_local_data_ssl', (c) => c.network.tls?.forceData],
];

/** Server-wide keys fixed at start: sockets, TLS context, thread pool, log file. */
const RESTART_FIELDS: Array<[name: string, read: (c: ServerConfig) => unknown]> = [
  ['[NETWORK] listen_address', (c) => c.network.listenAddress],
  ['[NETWORK] listen_port', (c) => c.network.listenPort],
  ['[NETWORK] passive_port', (c) => `${c.network.passivePortMin},${c.network.passivePortMax}`],
  ['[NETWORK] masquerade_address', (c) => c.network.masqueradeAddress],
  ['[NETWORK] proxy_protocol', (c) => c.network.proxyProtocol !== undefined],
  ['[NETWORK] proxy_trusted', (c) => c.network.proxyProtocol?.trusted.map((r) => `${r.address}/${r.prefix}`).join(',')],
  ['[TLS] ssl_enable', (c) => c.network.tls !== undefined],
  ['[TLS] implicit_ssl_port', (c) => c.network.tls?.implicitPort],
  ['[OPTIONAL] upload_thread_num', (c) => c.transfer.uploadThreadNum],
  // `default` depends on the memory free at each load: only a change of what is written counts.
  ['[OPTIONAL] upload_buffer_size', (c) => (c.transfer.uploadBufferSizeDefaulted ? 'default' : c.transfer.uploadBufferSize)],
  ['[METRICS] listen', (c) => (c.metrics ? `${c.metrics.host}:${c.metrics.port}` : undefined)],
  ['[METRICS] check_interval', (c) => seconds(c.metrics?.checkIntervalMs)],
  ['[OPTIONAL] log_level', (c) => c.log.level],
  ['[OPTIONAL] log_dir', (c) => c.log.dir],
  ['[OPTIONAL] log_rotate_enabled', (c) => c.log.rotateEnabled],
  ['[OPTIONAL] log_rotate_when', (c) => c.log.rotateWhen],
  ['[OPTIONAL] log_backup_count', (c) => c.log.backupCount],
];

const show = (v: unknown): string => (v === undefined ? '(none)' : String(v));

export function diffConfig(before: ServerConfig, after: ServerConfig): ConfigDiff {
  const old = new Map(before.accounts.map((a) => [a.section, a]));
  const now = new Map(after.accounts.map((a) => [a.section, a]));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], applied: [], restartRequired: [] };
  for (const a of after.accounts) {
    const prev = old.get(a.section);
    if (!prev) {
      diff.added.push({ section: a.section, user: a.userName });
      continue;
    }
    const keys = ACCOUNT_FIELDS.filter(([, read]) => read(prev) !== read(a)).map(([key]) =>
      a.storage === 's3' ? (S3_NAMES[key] ?? key) : key,
    );
    if (keys.length) diff.changed.push({ section: a.section, user: a.userName, keys });
  }
  for (const a of before.accounts) if (!now.has(a.section)) diff.removed.push({ section: a.section, user: a.userName });
  // Turning TLS on or off needs a restart (reported below); its other keys then do not apply either.
  const tlsToggled = (before.network.tls === undefined) !== (after.network.tls === undefined);
  for (const [name, read] of LIVE_FIELDS) {
    if (tlsToggled && name.startsWith('[TLS]')) continue;
    if (read(before) !== read(after)) diff.applied.push(`${name} ${show(read(before))} -> ${show(read(after))}`);
  }
  for (const [name, read] of RESTART_FIELDS) {
    if (read(before) !== read(after)) diff.restartRequired.push(`${name} ${show(read(before))} -> ${show(read(after))}`);
  }
  return diff;
}

/** Whether the two accounts differ in anything (for reusing a COS client). */
export function sameAccount(a: AccountConfig, b: AccountConfig): boolean {
  return ACCOUNT_FIELDS.every(([, read]) => read(a) === read(b));
}

export function isEmptyDiff(d: ConfigDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.applied.length && !d.restartRequired.length;
}
