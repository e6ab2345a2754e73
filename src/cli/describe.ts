// The effective configuration as text for --check-config, secrets masked.
import { describeLimits } from '../config/security';
import type { AccountConfig, ServerConfig } from '../config/types';
import { describeOrigin } from '../config/secrets';
import type { SecretOrigin } from '../config/secrets';
import { formatAddressRange } from '../config/proxy';
import { endpointOptions } from '../store/cos/client';

/** `AKID...` -> `AKID****` (first 4 characters kept); short values fully masked. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return '********';
  return `${value.slice(0, 4)}********`;
}

const PASSWORD_KIND: Record<AccountConfig['passwordScheme'], string> = {
  plain: '(plain text: consider --hash-password)',
  bcrypt: '(bcrypt hash)',
  argon2: '(argon2 hash)',
};

export function describeConfig(config: ServerConfig): string {
  const lines: string[] = [`# effective configuration from ${config.source}`];
  for (const a of config.accounts) {
    const inline: SecretOrigin = { kind: 'inline' };
    const origin = a.secretOrigins ?? { secretId: inline, secretKey: inline, password: inline };
    lines.push(
      `[${a.section}]`,
      `ftp_login_user_name = ${a.userName}`,
      `ftp_login_user_password = ********${describeOrigin(origin.password)} ${PASSWORD_KIND[a.passwordScheme]}`,
      `home_dir = ${a.homeDir}`,
      `authority = ${a.authority}`,
      `delete_enable = ${a.deleteEnable}`,
      ...(a.storage === 's3' && a.s3
        ? [
            'storage = s3',
            `s3_bucket = ${a.bucket}`,
            `s3_endpoint = ${a.s3.endpoint ?? '(none: AWS S3)'}`,
            `s3_region = ${a.s3.region}`,
            `s3_force_path_style = ${a.s3.forcePathStyle}`,
            `cos_prefix = ${a.prefix || '(none: the whole bucket)'}`,
            `s3_access_key_id = ${maskSecret(a.secretId)}${describeOrigin(origin.secretId)}`,
            `s3_secret_access_key = ********${describeOrigin(origin.secretKey)}`,
          ]
        : [
            'storage = cos',
            `cos_bucket = ${a.bucket}`,
            `cos_region = ${a.region || '(none)'}`,
            `cos_endpoint = ${a.endpoint ?? '(none)'}`,
            `cos_protocol = ${describeProtocol(a)}`,
            `cos_prefix = ${a.prefix || '(none: the whole bucket)'}`,
            `cos_secretid = ${maskSecret(a.secretId)}${describeOrigin(origin.secretId)}`,
            `cos_secretkey = ********${describeOrigin(origin.secretKey)}`,
          ]),
      '',
    );
  }
  const { network, transfer, log } = config;
  lines.push(
    '[NETWORK]',
    `masquerade_address = ${network.masqueradeAddress ?? '(none: the address each client connected to)'}`,
    `listen_address = ${network.listenAddress}`,
    `listen_port = ${network.listenPort}`,
    `passive_port = ${network.passivePortMin},${network.passivePortMax}`,
    `proxy_protocol = ${network.proxyProtocol ? 'on' : 'off'}`,
    `proxy_trusted = ${network.proxyProtocol ? network.proxyProtocol.trusted.map(formatAddressRange).join(', ') : '(none)'}`,
    '',
    '[TLS]',
    ...(network.tls
      ? ['ssl_enable = true', `rsa_cert_file = ${network.tls.certFile}`, `rsa_private_key_file = ${network.tls.keyFile}`,
          `force_local_logins_ssl = ${network.tls.forceLogins}`, `force_local_data_ssl = ${network.tls.forceData}`,
          `implicit_ssl = ${network.tls.implicitPort !== undefined}`,
          ...(network.tls.implicitPort !== undefined ? [`implicit_ssl_port = ${network.tls.implicitPort}`] : [])]
      : ['ssl_enable = false']),
    '',
    '[METRICS]',
    ...(config.metrics
      ? [
          `listen = ${config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host}:${config.metrics.port}`,
          `check_interval = ${config.metrics.checkIntervalMs / 1000}${config.metrics.checkIntervalMs === 0 ? ' (only at start and reload)' : ''}`,
        ]
      : ['listen = (none: no metrics listener)']),
    '',
    '[FILE_OPTION]',
    `single_file_max_size = ${transfer.singleFileMaxSize}`,
    '',
    '[OPTIONAL]',
    `min_part_size = ${transfer.minPartSize}`,
    `upload_thread_num = ${transfer.uploadThreadNum}`,
    `upload_buffer_size = ${transfer.uploadBufferSize} (${(transfer.uploadBufferSize / 1024 ** 2).toFixed(0)} MiB for all uploads' parts together)`,
    `max_connection_num = ${config.maxConnectionNum}${config.maxConnectionNum === 0 ? ' (unlimited)' : ''}`,
    `max_list_file = ${config.maxListFile}`,
    `listing_mtime = ${config.listingMtime}${config.listingMtime ? ' (one HEAD per file listed)' : ''}`,
    `log_level = ${log.level.toUpperCase()}`,
    `log_dir = ${log.dir}`,
    `log_rotate_enabled = ${log.rotateEnabled}`,
    `log_rotate_when = ${log.rotateWhen}`,
    `log_backup_count = ${log.backupCount}`,
    `config_check_enable = ${config.configCheckEnable}`,
    '',
    ...describeLimits(config.limits),
  );
  return lines.join('\n');
}

/** The scheme actually used: a URL cos_endpoint brings its own, whatever cos_protocol says. */
function describeProtocol(account: AccountConfig): string {
  const scheme = endpointOptions(account).Protocol;
  const used = scheme === 'http:' ? 'http' : 'https';
  return used === account.protocol ? used : `${used} (from the cos_endpoint URL; cos_protocol ${account.protocol} is not used)`;
}
