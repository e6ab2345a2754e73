// The optional [TLS] section: explicit FTPS (AUTH TLS), which the original lacks. Key names are vsftpd's, since
// the file is a vsftpd.conf. The certificate and key are read and checked here so --check-config catches them.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { TlsConfig } from './types';

export const TLS_KEYS = [
  'ssl_enable',
  'rsa_cert_file',
  'rsa_private_key_file',
  'force_local_logins_ssl',
  'force_local_data_ssl',
  'implicit_ssl',
  'implicit_ssl_port',
] as const;

/** vsftpd's implicit_ssl on the port FTPS clients expect (990). */
export const DEFAULT_IMPLICIT_SSL_PORT = 990;

interface TlsInput {
  enabled: boolean;
  certFile?: string;
  keyFile?: string;
  forceLogins: boolean;
  forceData: boolean;
  implicit?: boolean;
  implicitPort?: number;
}

/** The TLS settings, or undefined when off; every problem is added to `problems`, naming the key. */
export function resolveTls(input: TlsInput, baseDir: string, problems: string[]): TlsConfig | undefined {
  if (!input.enabled) {
    if (input.forceLogins) problems.push('[TLS] force_local_logins_ssl = true needs ssl_enable = true');
    if (input.forceData) problems.push('[TLS] force_local_data_ssl = true needs ssl_enable = true');
    if (input.implicit) problems.push('[TLS] implicit_ssl = true needs ssl_enable = true');
    return undefined;
  }
  const read = (key: string, file: string | undefined): { file: string; pem: string } | undefined => {
    if (!file) {
      problems.push(`[TLS] ${key} is required when ssl_enable = true`);
      return undefined;
    }
    const resolved = path.resolve(baseDir, file);
    try {
      return { file: resolved, pem: fs.readFileSync(resolved, 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`[TLS] ${key} ${resolved}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)}`);
      return undefined;
    }
  };
  const cert = read('rsa_cert_file', input.certFile);
  const key = read('rsa_private_key_file', input.keyFile);
  if (!cert || !key) return undefined;
  try {
    tls.createSecureContext({ cert: cert.pem, key: key.pem });
  } catch (err) {
    problems.push(`[TLS] rsa_cert_file / rsa_private_key_file are not a matching PEM certificate and key: ${(err as Error).message}`);
    return undefined;
  }
  return {
    certFile: cert.file,
    keyFile: key.file,
    forceLogins: input.forceLogins,
    forceData: input.forceData,
    ...(input.implicit ? { implicitPort: input.implicitPort ?? DEFAULT_IMPLICIT_SSL_PORT } : {}),
  };
}
