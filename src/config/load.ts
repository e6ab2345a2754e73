// Builds the effective ServerConfig from the text of conf/vsftpd.conf: the original's keys, defaults and
// `default` tokens; every problem is collected and reported at once, each naming its section and key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULTS,
  GIB,
  MIB,
  defaultMinPartSize,
  defaultUploadThreadNum,
  maxUploadThreadNum,
  normalizePrefix,
  partsPerUpload,
} from './defaults';
import { readIni } from './ini-source';
import { passwordScheme } from '../util/password-scheme';
import { resolveSecret } from './secrets';
import type { SecretOrigin } from './secrets';
import { PROXY_KEYS, resolveProxyProtocol } from './proxy';
import { defaultUploadBufferSize, minimumUploadBufferSize } from './memory';
import type { MemoryInputs } from './memory';
import { TLS_KEYS, resolveTls } from './tls';
import { DEFAULT_CHECK_INTERVAL_S, METRICS_KEYS, parseCheckInterval, parseListen } from './metrics';
import { SECURITY_KEYS, readLimits } from './security';
import type { IniValue } from './ini-source';
import type { AccountConfig, Authority, LogLevel, RotateUnit, S3Settings, ServerConfig } from './types';
import {
  isDefaultToken,
  isHostName,
  isIpv4,
  parseBoolean,
  parseChoice,
  parseInteger,
  parseSize,
} from './values';
import type { Parsed } from './values';

/** The configuration cannot be used; `problems` lists every reason, one line each. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
    /** Also worth showing: an unknown key is often the typo behind a "required" problem. */
    readonly warnings: string[] = [],
  ) {
    super(`${source}: ${problems.length} problem(s) in the configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: ServerConfig;
  /** Things worth telling the operator that do not stop the server (unknown keys, ignored values). */
  warnings: string[];
}

export interface LoadOptions {
  /** Where relative paths (log_dir) are resolved; default process.cwd(), as the original does. */
  baseDir?: string;
  /** CPU count for the `default` thread numbers (tests). */
  cpuCount?: number;
  /** Environment for `${env:NAME}` secrets; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const ACCOUNT_SECTION = /^COS_ACCOUNT/;
/** The keys of an account with `storage = s3`. */
const S3_KEYS = [
  's3_bucket',
  's3_access_key_id',
  's3_secret_access_key',
  's3_region',
  's3_endpoint',
  's3_force_path_style',
] as const;
/** COS keys that have no meaning in an S3 account, and what to write instead. */
const COS_ONLY_KEYS: Record<string, string> = {
  cos_secretid: 's3_access_key_id',
  cos_secretkey: 's3_secret_access_key',
  cos_bucket: 's3_bucket',
  cos_region: 's3_region',
  cos_endpoint: 's3_endpoint',
  cos_protocol: 's3_endpoint (its scheme)',
};
const ACCOUNT_KEYS = [
  'cos_secretid',
  'cos_secretkey',
  'cos_bucket',
  'cos_region',
  'cos_endpoint',
  'cos_protocol',
  'cos_prefix',
  'home_dir',
  'ftp_login_user_name',
  'ftp_login_user_password',
  'authority',
  'delete_enable',
  'storage',
  ...S3_KEYS,
] as const;
const SECTION_KEYS: Record<string, readonly string[]> = {
  NETWORK: ['masquerade_address', 'listen_address', 'listen_port', 'passive_port', ...PROXY_KEYS],
  FILE_OPTION: ['single_file_max_size'],
  TLS: TLS_KEYS,
  METRICS: METRICS_KEYS,
  SECURITY: SECURITY_KEYS,
  OPTIONAL: [
    'min_part_size',
    'upload_thread_num',
    'upload_buffer_size',
    'max_connection_num',
    'max_list_file',
    'listing_mtime',
    'log_level',
    'log_dir',
    'log_rotate_enabled',
    'log_rotate_when',
    'log_backup_count',
    'config_check_enable',
  ],
};
const REQUIRED_ACCOUNT_KEYS = ['home_dir', 'ftp_login_user_name', 'ftp_login_user_password', 'authority'] as const;
/** The store's own required keys: bucket, key id, secret key. */
const STORE_KEYS = {
  cos: { bucket: 'cos_bucket', id: 'cos_secretid', secret: 'cos_secretkey' },
  s3: { bucket: 's3_bucket', id: 's3_access_key_id', secret: 's3_secret_access_key' },
} as const;
/** S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `<name>-<appid>`: COS bucket name rules (lower-case letters, digits, hyphens) and a numeric APPID. */
const BUCKET = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+$/;
/** COS refuses parts above 5 GiB and below 1 MiB (except the last). */
const PART_SIZE_MIN = 1 * MIB;
const PART_SIZE_MAX = 5 * GIB;

export function loadConfigFile(file: string, options: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ConfigError(file, [`cannot read the configuration file: ${why}`]);
  }
  const loaded = parseConfig(text, path.resolve(file), options);
  try {
    // Passwords and secret keys are in clear text here, as in the original: say so when others can read it
    // (unless every one of them comes from the environment or a file).
    const inlineSecrets = loaded.config.accounts.some((a) => !a.secretOrigins || Object.values(a.secretOrigins).some((o) => o.kind === 'inline'));
    if (inlineSecrets && (fs.statSync(file).mode & 0o004) !== 0) {
      loaded.warnings.push(`${file} is readable by every user of this machine; consider: chmod 600 ${file}`);
    }
  } catch {
    // stat after a successful read failing is not worth a message
  }
  return loaded;
}

export function parseConfig(text: string, source: string, options: LoadOptions = {}): LoadedConfig {
  const ini = readIni(text);
  const problems = [...ini.errors];
  const warnings = [...ini.warnings];
  const cpuCount = options.cpuCount ?? os.cpus().length;
  const baseDir = options.baseDir ?? process.cwd();

  /** Reads one key: absent -> fallback; present -> parse, or record the problem and use the fallback. */
  function read<T>(section: string, key: string, parse: (text: string) => Parsed<T>, fallback: T): T {
    const entry = ini.sections.get(section)?.get(key);
    if (!entry) return fallback;
    const parsed = parse(entry.value);
    if (parsed.ok) return parsed.value;
    problems.push(`[${section}] ${key} ${parsed.reason} (line ${entry.line})`);
    return fallback;
  }

  // Unknown sections and keys: warned about, not fatal.
  for (const [name, entries] of ini.sections) {
    const known: readonly string[] | undefined = ACCOUNT_SECTION.test(name) ? ACCOUNT_KEYS : SECTION_KEYS[name];
    if (!known) {
      warnings.push(`unknown section [${name}] (line ${ini.sectionLines.get(name)}) is ignored`);
      continue;
    }
    for (const [key, entry] of entries) {
      if (!known.includes(key)) warnings.push(`[${name}] unknown key ${key} (line ${entry.line}) is ignored${whereElse(key)}`);
    }
  }

  // [COS_ACCOUNT_x]
  const accounts: AccountConfig[] = [];
  // Names are compared even in sections with other problems, so that every problem is reported at once.
  const identities: AccountIdentity[] = [];
  for (const [name, entries] of ini.sections) {
    if (!ACCOUNT_SECTION.test(name)) continue;
    identities.push(accountIdentity(name, entries));
    const account = readAccount(name, entries, problems, read, (t) => resolveSecret(t, path.dirname(source), options.env));
    if (account) accounts.push(account);
  }
  if (accounts.length === 0 && ![...ini.sections.keys()].some((s) => ACCOUNT_SECTION.test(s))) {
    problems.push('no [COS_ACCOUNT_x] section: at least one account (FTP user bound to a bucket) is required');
  }
  reportDuplicates(identities, 'userName', 'ftp_login_user_name', 'user name', problems);
  reportDuplicates(identities, 'homeDir', 'home_dir', 'home_dir', problems);

  // [NETWORK]
  let masqueradeAddress: string | undefined;
  const masquerade = ini.sections.get('NETWORK')?.get('masquerade_address');
  if (masquerade && masquerade.value.trim() !== '') {
    const value = masquerade.value.trim();
    if (isIpv4(value) || isHostName(value)) masqueradeAddress = value;
    else {
      // The original ignores a masquerade_address that is not an IPv4 address (its example ships XXX.XXX.XXX.XXX).
      warnings.push(
        `[NETWORK] masquerade_address "${value}" (line ${masquerade.line}) is not an IPv4 address or host name; ` +
          'ignored: PASV announces the address the client connected to',
      );
    }
  }
  const listenAddress = read('NETWORK', 'listen_address', (t) => parseAddress(t), '0.0.0.0');
  const listenPort = read('NETWORK', 'listen_port', (t) => parseInteger(t, 0, 65535), DEFAULTS.listenPort);
  const passive = read('NETWORK', 'passive_port', parsePassiveRange, {
    min: DEFAULTS.passivePortMin,
    max: DEFAULTS.passivePortMax,
  });

  const proxyProtocol = resolveProxyProtocol(
    {
      enabled: read('NETWORK', 'proxy_protocol', parseBoolean, false),
      trusted: ini.sections.get('NETWORK')?.get('proxy_trusted'),
    },
    problems,
    warnings,
  );

  // [TLS]
  const tlsConfig = resolveTls(
    {
      enabled: read('TLS', 'ssl_enable', parseBoolean, false),
      certFile: ini.sections.get('TLS')?.get('rsa_cert_file')?.value.trim() || undefined,
      keyFile: ini.sections.get('TLS')?.get('rsa_private_key_file')?.value.trim() || undefined,
      forceLogins: read('TLS', 'force_local_logins_ssl', parseBoolean, false),
      forceData: read('TLS', 'force_local_data_ssl', parseBoolean, false),
      implicit: read('TLS', 'implicit_ssl', parseBoolean, false),
      implicitPort: read('TLS', 'implicit_ssl_port', (t) => parseInteger(t, 0, 65535), undefined as number | undefined),
    },
    path.dirname(source),
    problems,
  );

  // [METRICS]: off unless listen is set.
  const metricsListen = read<{ host: string; port: number } | undefined>(
    'METRICS',
    'listen',
    (t) => (t.trim() === '' ? { ok: true, value: undefined } : parseListen(t)),
    undefined,
  );
  const checkIntervalS = read('METRICS', 'check_interval', parseCheckInterval, DEFAULT_CHECK_INTERVAL_S);
  const metrics = metricsListen ? { ...metricsListen, checkIntervalMs: checkIntervalS * 1000 } : undefined;

  // [FILE_OPTION]
  const singleFileMaxSize = read(
    'FILE_OPTION',
    'single_file_max_size',
    (t) => parseSize(t, 1, Number.MAX_SAFE_INTEGER),
    DEFAULTS.singleFileMaxSize,
  );

  // [OPTIONAL]
  const explicitPartSize = read<number | undefined>(
    'OPTIONAL',
    'min_part_size',
    (t) => (isDefaultToken(t) ? { ok: true, value: undefined } : parseSize(t, PART_SIZE_MIN, PART_SIZE_MAX)),
    undefined,
  );
  // A part size too small for single_file_max_size in 10000 parts is raised, as the original does.
  const minPartSize = Math.max(explicitPartSize ?? 0, defaultMinPartSize(singleFileMaxSize));
  let uploadThreadNum = read<number | undefined>(
    'OPTIONAL',
    'upload_thread_num',
    (t) => (isDefaultToken(t) ? { ok: true, value: undefined } : parseInteger(t, 1, Number.MAX_SAFE_INTEGER)),
    undefined,
  );
  if (uploadThreadNum !== undefined && uploadThreadNum > maxUploadThreadNum(cpuCount)) {
    warnings.push(
      `[OPTIONAL] upload_thread_num ${uploadThreadNum} is more than 8 per CPU (${maxUploadThreadNum(cpuCount)}); ` +
        `using ${maxUploadThreadNum(cpuCount)}`,
    );
    uploadThreadNum = maxUploadThreadNum(cpuCount);
  }
  const maxConnectionNum = read(
    'OPTIONAL',
    'max_connection_num',
    (t) => parseInteger(t, 0, 1_000_000),
    DEFAULTS.maxConnectionNum,
  );
  const maxListFile = read('OPTIONAL', 'max_list_file', (t) => parseInteger(t, 1, 10_000_000), DEFAULTS.maxListFile);
  const listingMtime = read('OPTIONAL', 'listing_mtime', parseBoolean, DEFAULTS.listingMtime);
  const level = read(
    'OPTIONAL',
    'log_level',
    (t) => parseChoice(t, ['INFO', 'DEBUG', 'ERROR'] as const),
    'INFO' as const,
  ).toLowerCase() as LogLevel;
  const logDir = read('OPTIONAL', 'log_dir', (t) => parseNonEmpty(t), DEFAULTS.logDir);
  const rotateEnabled = read('OPTIONAL', 'log_rotate_enabled', parseBoolean, DEFAULTS.logRotateEnabled);
  const rotateWhen = read(
    'OPTIONAL',
    'log_rotate_when',
    (t) => parseChoice(t, ['S', 'M', 'H', 'D'] as const),
    DEFAULTS.logRotateWhen as RotateUnit,
  );
  const backupCount = read('OPTIONAL', 'log_backup_count', (t) => parseInteger(t, 1, 100_000), DEFAULTS.logBackupCount);
  const configCheckEnable = read('OPTIONAL', 'config_check_enable', parseBoolean, DEFAULTS.configCheckEnable);
  const limits = readLimits(read);
  const sizing = { maxConnectionNum, maxListFile, transfer: { minPartSize, uploadThreadNum: uploadThreadNum ?? defaultUploadThreadNum(cpuCount) } };
  const uploadBuffer = readUploadBufferSize(read, sizing, problems, warnings);

  if (problems.length) throw new ConfigError(source, problems, warnings);

  return {
    config: {
      accounts,
      network: {
        masqueradeAddress,
        listenAddress,
        listenPort,
        passivePortMin: passive.min,
        passivePortMax: passive.max,
        tls: tlsConfig,
        proxyProtocol,
      },
      transfer: {
        singleFileMaxSize,
        minPartSize,
        uploadThreadNum: sizing.transfer.uploadThreadNum,
        partsPerUpload: partsPerUpload(sizing.transfer.uploadThreadNum),
        uploadBufferSize: uploadBuffer.size,
        uploadBufferSizeDefaulted: uploadBuffer.defaulted,
      },
      maxConnectionNum,
      limits,
      maxListFile,
      listingMtime,
      log: {
        level,
        dir: path.resolve(baseDir, logDir),
        rotateEnabled,
        rotateWhen,
        backupCount,
      },
      metrics,
      configCheckEnable,
      source,
    },
    warnings,
  };
}

type Reader = <T>(section: string, key: string, parse: (text: string) => Parsed<T>, fallback: T) => T;

/**
 * `upload_buffer_size`: bytes, or `default` (from the available memory). It must hold at least one part, or an
 * upload could never get space; fewer parts than upload_thread_num + 2 works, but leaves upload threads idle.
 */
function readUploadBufferSize(
  read: Reader,
  sizing: MemoryInputs,
  problems: string[],
  warnings: string[],
): { size: number; defaulted: boolean } {
  const explicit = read<number | undefined>(
    'OPTIONAL',
    'upload_buffer_size',
    (t) => (isDefaultToken(t) ? { ok: true, value: undefined } : parseSize(t, 1, Number.MAX_SAFE_INTEGER)),
    undefined,
  );
  if (explicit === undefined) return { size: defaultUploadBufferSize(sizing), defaulted: true };
  const part = sizing.transfer.minPartSize;
  if (explicit < part) {
    problems.push(
      `[OPTIONAL] upload_buffer_size ${explicit} is less than one upload part (min_part_size in effect: ${part} bytes); ` +
        `raise it to at least ${part}, or set it to default`,
    );
  } else if (explicit < minimumUploadBufferSize(sizing)) {
    warnings.push(
      `[OPTIONAL] upload_buffer_size ${explicit} holds fewer than upload_thread_num + 2 parts of ${part} bytes ` +
        `(${minimumUploadBufferSize(sizing)}); uploads will wait for buffer space and upload threads stay idle`,
    );
  }
  return { size: explicit, defaulted: false };
}

function readAccount(
  section: string,
  entries: Map<string, IniValue>,
  problems: string[],
  read: Reader,
  resolve: (text: string) => ReturnType<typeof resolveSecret>,
): AccountConfig | undefined {
  const before = problems.length;
  const text = (key: string): string => entries.get(key)?.value.trim() ?? '';
  const storage = read(section, 'storage', (t) => parseChoice(t, ['cos', 's3'] as const), 'cos' as const);
  const keys = STORE_KEYS[storage];
  for (const key of [keys.bucket, keys.id, keys.secret, ...REQUIRED_ACCOUNT_KEYS]) {
    // The password is kept exactly as written (it may begin or end with blanks only when quoted).
    const value = key === 'ftp_login_user_password' ? (entries.get(key)?.value ?? '') : text(key);
    if (value === '') problems.push(`[${section}] ${key} is required${storage === 's3' ? ' (storage = s3)' : ''}`);
  }
  const bucket = text(keys.bucket);
  let s3: S3Settings | undefined;
  if (storage === 's3') {
    for (const [key, instead] of Object.entries(COS_ONLY_KEYS)) {
      if (entries.has(key)) problems.push(`[${section}] ${key} has no effect with storage = s3; use ${instead}`);
    }
    if (bucket && !S3_BUCKET.test(bucket)) {
      problems.push(`[${section}] s3_bucket must be 3-63 lower-case letters, digits, dots or hyphens; got "${bucket}"`);
    }
    s3 = readS3(section, text, read, problems);
  } else {
    for (const key of S3_KEYS) {
      if (entries.has(key)) problems.push(`[${section}] ${key} needs storage = s3 in the same section`);
    }
  }
  if (storage === 'cos' && bucket && !BUCKET.test(bucket)) {
    problems.push(
      `[${section}] cos_bucket must be <name>-<appid> in lower case, e.g. examplebucket-1250000000; got "${bucket}"`,
    );
  }
  const region = text('cos_region');
  const endpoint = text('cos_endpoint');
  if (storage === 'cos' && !region && !endpoint) {
    problems.push(`[${section}] cos_region is required (or cos_endpoint for a private deployment)`);
  }
  if (region && !/^[a-z0-9-]+$/.test(region)) {
    problems.push(`[${section}] cos_region must look like ap-guangzhou (lower-case letters, digits, hyphens); got "${region}"`);
  }
  if (endpoint && /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push(`[${section}] cos_endpoint must be a host name or an http(s):// URL; got "${endpoint}"`);
    }
  }
  const protocol = read(section, 'cos_protocol', (t) => parseChoice(t, ['https', 'http'] as const), 'https' as const);
  const authorityText = text('authority');
  let authority: Authority = 'RW';
  if (authorityText) {
    const parsed = parseChoice(authorityText, ['R', 'W', 'RW'] as const);
    if (parsed.ok) authority = parsed.value;
    else if (/^wr$/i.test(authorityText)) authority = 'RW';
    else problems.push(`[${section}] authority must be R, W or RW; got "${authorityText}"`);
  }
  const deleteEnable = read(section, 'delete_enable', parseBoolean, true);
  const secret = (key: string, written: string): { value: string; origin: SecretOrigin } => {
    if (written === '') return { value: '', origin: { kind: 'inline' } }; // reported as missing
    const resolved = resolve(written);
    if (resolved.ok) return resolved;
    problems.push(`[${section}] ${key}: ${resolved.reason}`);
    return { value: '', origin: { kind: 'inline' } };
  };
  const secretId = secret(keys.id, text(keys.id));
  const secretKey = secret(keys.secret, text(keys.secret));
  const password = secret('ftp_login_user_password', entries.get('ftp_login_user_password')?.value ?? '');
  const scheme = passwordScheme(password.value);
  if (!scheme.ok) problems.push(`[${section}] ftp_login_user_password ${scheme.reason}`);
  if (problems.length > before) return undefined;

  return {
    ...accountIdentity(section, entries),
    secretId: secretId.value,
    secretKey: secretKey.value,
    bucket,
    region,
    endpoint: endpoint || undefined,
    protocol,
    storage,
    ...(s3 ? { s3 } : {}),
    prefix: normalizePrefix(text('cos_prefix')),
    password: password.value,
    passwordScheme: scheme.ok ? scheme.value : 'plain',
    secretOrigins: { secretId: secretId.origin, secretKey: secretKey.origin, password: password.origin },
    authority,
    deleteEnable,
  };
}

/** `s3_endpoint` (an http(s) URL; absent: AWS), `s3_region` (default us-east-1), `s3_force_path_style`. */
function readS3(section: string, text: (key: string) => string, read: Reader, problems: string[]): S3Settings {
  const endpoint = text('s3_endpoint');
  if (endpoint) {
    if (!isBareHttpUrl(endpoint)) {
      problems.push(`[${section}] s3_endpoint must be an http(s):// URL without a path, e.g. http://127.0.0.1:9000; got "${endpoint}"`);
    }
  }
  const region = text('s3_region') || 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) {
    problems.push(`[${section}] s3_region must look like us-east-1 (lower-case letters, digits, hyphens); got "${region}"`);
  }
  // Stores other than AWS (MinIO and most others) are reached by address, where bucket host names do not resolve.
  const forcePathStyle = read(section, 's3_force_path_style', parseBoolean, endpoint !== '');
  return { endpoint: endpoint || undefined, region, forcePathStyle };
}

/** `http(s)://host[:port]`, nothing after it. */
function isBareHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname.replace(/\/+$/, '') === '' && !url.search;
  } catch {
    return false;
  }
}

interface AccountIdentity {
  section: string;
  userName: string;
  homeDir: string;
}

/** The names that must be unique across accounts. */
function accountIdentity(section: string, entries: Map<string, IniValue>): AccountIdentity {
  const homeText = entries.get('home_dir')?.value.trim() ?? '';
  return {
    section,
    userName: entries.get('ftp_login_user_name')?.value.trim() ?? '',
    // The original drops a trailing slash from home_dir; it is a name only here and need not exist on disk.
    homeDir: homeText.length > 1 ? homeText.replace(/\/+$/, '') : homeText,
  };
}

function reportDuplicates(
  accounts: AccountIdentity[],
  field: 'userName' | 'homeDir',
  key: string,
  label: string,
  problems: string[],
): void {
  const seen = new Map<string, string>();
  for (const a of accounts) {
    if (a[field] === '') continue; // reported as missing
    const first = seen.get(a[field]);
    if (first) problems.push(`[${a.section}] ${key}: ${label} "${a[field]}" is already used by [${first}]; each must be unique`);
    else seen.set(a[field], a.section);
  }
}

function parsePassiveRange(text: string): Parsed<{ min: number; max: number }> {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 2 || parts[0] === '') return { ok: false, reason: `must be "min,max", e.g. 60000,65535; got "${text}"` };
  const min = parseInteger(parts[0], 1, 65535);
  if (!min.ok) return { ok: false, reason: `first port ${min.reason}` };
  // A single port means "from there to 65535", as in the original.
  const max = parts.length === 2 ? parseInteger(parts[1], 1, 65535) : ({ ok: true, value: 65535 } as const);
  if (!max.ok) return { ok: false, reason: `last port ${max.reason}` };
  if (min.value > max.value) return { ok: false, reason: `range is reversed: ${min.value} is above ${max.value}` };
  return { ok: true, value: { min: min.value, max: max.value } };
}

function parseAddress(text: string): Parsed<string> {
  const t = text.trim();
  if (isIpv4(t) || t === '::' || /^[0-9a-f:]+$/i.test(t)) return { ok: true, value: t };
  return { ok: false, reason: `must be an IP address to listen on, e.g. 0.0.0.0; got "${text}"` };
}

function parseNonEmpty(text: string): Parsed<string> {
  return text.trim() ? { ok: true, value: text.trim() } : { ok: false, reason: 'must not be empty' };
}

/** For a key written in the wrong section: where it belongs. */
function whereElse(key: string): string {
  if ((ACCOUNT_KEYS as readonly string[]).includes(key)) return ' (it belongs in a [COS_ACCOUNT_x] section)';
  for (const [section, keys] of Object.entries(SECTION_KEYS)) {
    if (keys.includes(key)) return ` (it belongs in [${section}])`;
  }
  return '';
}
