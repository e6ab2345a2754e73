// Text of a conf/vsftpd.conf for tests that run the server as a process: one account section per user against a
// local store, and the [NETWORK] / [OPTIONAL] sections on loopback with a random passive range.
import { randomPassiveRange } from './stack';

export interface AccountText {
  /** Section number: [COS_ACCOUNT_n]. */
  index: number;
  secretId: string;
  secretKey: string;
  bucket: string;
  /** The local store's URL. */
  endpoint: string;
  user: string;
  /** As written in the file: a password, a hash or a ${env:..} reference. */
  password: string;
  /** Give each user its own key prefix (`user/`). */
  ownPrefix?: boolean;
}

export function accountSection(a: AccountText): string {
  return `[COS_ACCOUNT_${a.index}]
cos_secretid = ${a.secretId}
cos_secretkey = ${a.secretKey}
cos_bucket = ${a.bucket}
cos_endpoint = ${a.endpoint}
${a.ownPrefix ? `cos_prefix = ${a.user}/\n` : ''}home_dir = /home/${a.user}
ftp_login_user_name = ${a.user}
ftp_login_user_password = ${a.password}
authority = RW
`;
}

/** [NETWORK] on 127.0.0.1 and [OPTIONAL] with the log folder; `optional` adds lines to [OPTIONAL]. */
export function serverSections(
  logDir: string,
  options: { listenPort?: number; passive?: { passivePortMin: number; passivePortMax: number }; optional?: string } = {},
): string {
  const passive = options.passive ?? randomPassiveRange();
  return `
[NETWORK]
listen_address = 127.0.0.1
listen_port = ${options.listenPort ?? 0}
passive_port = ${passive.passivePortMin},${passive.passivePortMax}

[OPTIONAL]
log_dir = ${logDir}
${options.optional ?? ''}`;
}
