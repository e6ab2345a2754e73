// The original's defaults, and a way to build a complete ServerConfig in code (quick start, tests).
import os from 'node:os';
import path from 'node:path';
import { defaultUploadBufferSize } from './memory';
import { DEFAULT_LIMITS } from './security';
import type { AccountConfig, LogConfig, NetworkConfig, ProtocolLimits, ServerConfig, TransferConfig } from './types';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** Defaults of the original cos-ftp-server-V5 (see spec.md), where the key is absent. */
export const DEFAULTS = {
  listenPort: 2121,
  passivePortMin: 60000,
  passivePortMax: 65535,
  singleFileMaxSize: 200 * GIB,
  minPartSize: 2 * MIB,
  maxConnectionNum: 512,
  maxListFile: 1000,
  listingMtime: false,
  logLevel: 'info',
  logDir: 'log',
  logRotateEnabled: false,
  logRotateWhen: 'H',
  logBackupCount: 100,
  configCheckEnable: true,
  /** COS allows at most 10000 parts per multipart upload. */
  maxPartCount: 10000,
} as const;

/** `min_part_size = default`: 2 MiB, raised so that single_file_max_size fits in 10000 parts. */
export function defaultMinPartSize(singleFileMaxSize: number): number {
  return Math.max(DEFAULTS.minPartSize, Math.ceil(singleFileMaxSize / DEFAULTS.maxPartCount));
}

/** `upload_thread_num = default`: 4 per CPU (the original's pool size), at least 1. */
export function defaultUploadThreadNum(cpuCount: number = os.cpus().length): number {
  return Math.max(1, 4 * Math.max(1, cpuCount));
}

/** Largest explicit upload_thread_num accepted: 8 per CPU. */
export function maxUploadThreadNum(cpuCount: number = os.cpus().length): number {
  return 8 * Math.max(1, cpuCount);
}

/** Normalises a key prefix to `''` or `a/b/` (no leading slash, one trailing slash, no empty segments). */
export function normalizePrefix(raw: string | undefined): string {
  const segments = (raw ?? '').split('/').filter((s) => s !== '' && s !== '.');
  return segments.length ? `${segments.join('/')}/` : '';
}

export interface ConfigOverrides {
  accounts?: Array<Partial<AccountConfig>>;
  network?: Partial<NetworkConfig>;
  transfer?: Partial<TransferConfig>;
  log?: Partial<LogConfig>;
  maxConnectionNum?: number;
  limits?: Partial<ProtocolLimits>;
  maxListFile?: number;
  listingMtime?: boolean;
  configCheckEnable?: boolean;
  source?: string;
}

/** A complete account from defaults (user1/pass1, RW, delete allowed) and overrides; index numbers the section. */
export function buildAccount(overrides: Partial<AccountConfig> = {}, index = 0): AccountConfig {
  const userName = overrides.userName ?? `user${index + 1}`;
  const account: AccountConfig = {
    section: `COS_ACCOUNT_${index}`,
    secretId: 'AKIDEXAMPLE',
    secretKey: 'secret-key-example',
    bucket: `bucket${index + 1}-1250000000`,
    region: 'ap-guangzhou',
    protocol: 'https',
    storage: 'cos',
    homeDir: `/home/${userName}`,
    prefix: '',
    userName,
    password: `pass${index + 1}`,
    authority: 'RW',
    deleteEnable: true,
    ...overrides,
    passwordScheme: overrides.passwordScheme ?? 'plain',
  };
  account.prefix = normalizePrefix(account.prefix);
  return account;
}

/** Parts of one upload in flight at once, at most (also bounded by half the server-wide upload slots). */
export const MAX_PARTS_IN_FLIGHT_PER_UPLOAD = 4;

/**
 * How many parts one upload sends at once: half of upload_thread_num (so that two uploads share the server's part
 * slots instead of one taking them all), at least 1, at most MAX_PARTS_IN_FLIGHT_PER_UPLOAD.
 */
export function partsPerUpload(uploadThreadNum: number): number {
  return Math.min(MAX_PARTS_IN_FLIGHT_PER_UPLOAD, Math.max(1, Math.ceil(uploadThreadNum / 2)));
}

/** A complete ServerConfig from the original's defaults and overrides (no validation; callers build sane values). */
export function buildServerConfig(overrides: ConfigOverrides = {}): ServerConfig {
  const sized = {
    singleFileMaxSize: DEFAULTS.singleFileMaxSize,
    minPartSize: defaultMinPartSize(overrides.transfer?.singleFileMaxSize ?? DEFAULTS.singleFileMaxSize),
    uploadThreadNum: defaultUploadThreadNum(),
    ...overrides.transfer,
  };
  const transfer: TransferConfig = {
    partsPerUpload: partsPerUpload(sized.uploadThreadNum),
    uploadBufferSize: defaultUploadBufferSize({
      maxConnectionNum: overrides.maxConnectionNum ?? DEFAULTS.maxConnectionNum,
      maxListFile: overrides.maxListFile ?? DEFAULTS.maxListFile,
      transfer: sized,
    }),
    ...sized,
  };
  return {
    accounts: (overrides.accounts ?? [{}]).map((a, i) => buildAccount(a, i)),
    network: {
      listenAddress: '0.0.0.0',
      listenPort: DEFAULTS.listenPort,
      passivePortMin: DEFAULTS.passivePortMin,
      passivePortMax: DEFAULTS.passivePortMax,
      ...overrides.network,
    },
    transfer,
    maxConnectionNum: overrides.maxConnectionNum ?? DEFAULTS.maxConnectionNum,
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
    maxListFile: overrides.maxListFile ?? DEFAULTS.maxListFile,
    listingMtime: overrides.listingMtime ?? DEFAULTS.listingMtime,
    log: {
      level: DEFAULTS.logLevel,
      dir: path.resolve(DEFAULTS.logDir),
      rotateEnabled: DEFAULTS.logRotateEnabled,
      rotateWhen: DEFAULTS.logRotateWhen,
      backupCount: DEFAULTS.logBackupCount,
      ...overrides.log,
    },
    configCheckEnable: overrides.configCheckEnable ?? DEFAULTS.configCheckEnable,
    source: overrides.source ?? 'in-code',
  };
}
