// The effective configuration, after loading and validation. Every layer reads these types; only the
// config loader builds them (from conf/vsftpd.conf) and the quick start (from built-in demo values).

import type { PasswordScheme } from '../util/password-scheme';
import type { SecretOrigin } from './secrets';

export type Authority = 'R' | 'W' | 'RW';

export type LogLevel = 'debug' | 'info' | 'error';

export type RotateUnit = 'S' | 'M' | 'H' | 'D';

/** One `[COS_ACCOUNT_n]` section: one FTP user bound to one bucket (and optional key prefix). */
export interface AccountConfig {
  /** Section name, e.g. `COS_ACCOUNT_0`; used in messages and logs. */
  section: string;
  secretId: string;
  secretKey: string;
  /** `<name>-<appid>`, e.g. `examplebucket-1250000000`. */
  bucket: string;
  /** e.g. `ap-guangzhou`; may be empty when `endpoint` is set. */
  region: string;
  /**
   * `cos_endpoint` as written. A plain host (`cos.ap-x.example.com`) keeps the original meaning: requests go to
   * `{Bucket}.` + endpoint. A URL with a scheme (`http://127.0.0.1:9000`) means: connect to that address, and
   * keep the virtual-hosted bucket name in `Host` (the SDK's `Ip` option).
   */
  endpoint?: string;
  protocol: 'http' | 'https';
  /**
   * Which object store holds the bucket: `cos` (the COS SDK, the cos_* keys) or `s3` (any S3-compatible
   * store through the AWS SDK, the s3_* keys; then `bucket`, `secretId` and `secretKey` come from s3_bucket,
   * s3_access_key_id and s3_secret_access_key, and `region`/`endpoint`/`protocol` are unused).
   */
  storage: 'cos' | 's3';
  /** Where and how an `s3` account's store is reached. */
  s3?: S3Settings;
  /** The user's FTP home, a name only in this port (it need not exist on disk); unique across accounts. */
  homeDir: string;
  /** Optional key prefix inside the bucket, normalised to `''` or `a/b/` (no leading slash, trailing slash). */
  prefix: string;
  userName: string;
  /** As written: plain text, or a bcrypt / argon2 hash (see passwordScheme). */
  password: string;
  passwordScheme: PasswordScheme;
  /** Where cos_secretid, cos_secretkey and the password came from (`${env:..}`, `${file:..}`); absent = written inline. */
  secretOrigins?: { secretId: SecretOrigin; secretKey: SecretOrigin; password: SecretOrigin };
  authority: Authority;
  deleteEnable: boolean;
}

/** `s3_endpoint`, `s3_region`, `s3_force_path_style`. */
export interface S3Settings {
  /** `http(s)://host[:port]` of an S3-compatible store; undefined = AWS S3 (the region's endpoint). */
  endpoint?: string;
  region: string;
  /** Bucket in the path (`host/bucket/key`) instead of the host name (`bucket.host/key`). */
  forcePathStyle: boolean;
}

export interface NetworkConfig {
  /** Address announced in PASV replies; undefined = the control connection's local address. */
  masqueradeAddress?: string;
  /** Address the control port binds to. */
  listenAddress: string;
  listenPort: number;
  passivePortMin: number;
  passivePortMax: number;
  tls?: TlsConfig;
  /** Connections from a TCP load balancer start with a PROXY protocol header; absent = off. */
  proxyProtocol?: ProxyProtocolConfig;
}

/** proxy_protocol = on: who may send the header. */
export interface ProxyProtocolConfig {
  /** The load balancers' addresses; connections from any other address are refused. */
  trusted: AddressRange[];
}

/** One address (`prefix` = 32 or 128) or a CIDR range. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Explicit FTPS (AUTH TLS); absent = plain FTP only. */
export interface TlsConfig {
  /** Absolute paths of the PEM certificate (chain) and private key. */
  certFile: string;
  keyFile: string;
  /** USER is refused until the control connection is encrypted (vsftpd's force_local_logins_ssl). */
  forceLogins: boolean;
  /** Data connections only after PROT P (vsftpd's force_local_data_ssl). */
  forceData: boolean;
  /**
   * implicit_ssl: a second control port (implicit_ssl_port) where the connection is TLS from its first byte
   * (FileZilla's "implicit FTP over TLS", curl's ftps://); data is protected (PROT P) from the start. Absent = off.
   */
  implicitPort?: number;
}

export interface TransferConfig {
  /** Largest single upload, bytes. */
  singleFileMaxSize: number;
  /** Multipart part size, bytes (already resolved from `default`). */
  minPartSize: number;
  /** Concurrent part uploads across the server (already resolved from `default`). */
  uploadThreadNum: number;
  /** Parts one upload sends at once: derived from upload_thread_num here, once (see partsPerUpload()). */
  partsPerUpload: number;
  /** Bytes all uploads together may hold for their parts (`upload_buffer_size`, resolved from `default`). */
  uploadBufferSize: number;
  /** True when uploadBufferSize was worked out from `default` (from the memory available at that moment). */
  uploadBufferSizeDefaulted?: boolean;
}

export interface LogConfig {
  level: LogLevel;
  /** Absolute path of the log folder. */
  dir: string;
  rotateEnabled: boolean;
  rotateWhen: RotateUnit;
  backupCount: number;
}

/** [METRICS]: the HTTP listener for /metrics, /healthz and /readyz; absent = off. */
export interface MetricsConfig {
  host: string;
  port: number;
  /** How often /readyz re-checks every account's bucket; 0 = only the start-up (and reload) check. */
  checkIntervalMs: number;
}

/** [SECURITY]: admission, login bans and timeouts (all times in ms; a timeout of 0 is off). */
export interface ProtocolLimits {
  /** Sessions one client address may hold at once; 0 = unlimited (vsftpd's max_per_ip). */
  maxPerIp: number;
  /** Failed logins after which a connection is closed (vsftpd's max_login_fails). */
  maxLoginFails: number;
  /** Failed logins from one address within banFindTimeMs after which it is banned; 0 = no ban. */
  banMaxLoginFails: number;
  banFindTimeMs: number;
  /** How long a banned address is refused (421 at connect). */
  banTimeMs: number;
  /** A control connection with no command for this long is closed (421). */
  idleSessionTimeoutMs: number;
  /** A data connection that moves no byte for this long ends its transfer (426). */
  dataConnectionTimeoutMs: number;
  /** How long a passive port waits for the client to connect (425 after). */
  acceptTimeoutMs: number;
  /** How long an active (PORT/EPRT) connection to the client may take (425 after). */
  connectTimeoutMs: number;
}

export interface ServerConfig {
  accounts: AccountConfig[];
  network: NetworkConfig;
  transfer: TransferConfig;
  /** 0 = unlimited. */
  maxConnectionNum: number;
  limits: ProtocolLimits;
  maxListFile: number;
  /** listing_mtime: LIST/MLSD/STAT HEAD each file for a modification time a client set (MFMT); off by default. */
  listingMtime: boolean;
  log: LogConfig;
  metrics?: MetricsConfig;
  configCheckEnable: boolean;
  /** Where the configuration came from (a path, or `quick-start`). */
  source: string;
}
