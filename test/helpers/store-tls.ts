// A certificate for the local store's HTTPS, made with openssl once per test process: self-signed (the tests trust
// it explicitly), valid for the virtual-hosted bucket names of the region (`*.cos.<region>.myqcloud.com`), as
// COS's own certificate is, plus localhost and 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type COS from 'cos-nodejs-sdk-v5';

export interface StoreCertificate {
  cert: Buffer;
  key: Buffer;
}

let made: StoreCertificate | undefined;

export function storeCertificate(): StoreCertificate {
  const region = 'ap-guangzhou';
  if (made) return made;
  const dir = mkdtempSync(path.join(tmpdir(), 'cos-local-tls-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile,
        '-out', certFile, '-days', '2', '-subj', `/CN=*.cos.${region}.myqcloud.com`,
        '-addext', `subjectAltName=DNS:*.cos.${region}.myqcloud.com,DNS:localhost,IP:127.0.0.1`],
      { stdio: 'ignore' },
    );
    made = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes an SDK client trust `ca` (the SDK has no option for it; its HTTP layer takes `ca` per request). */
export function trustCertificate(cos: COS, ca: Buffer): void {
  cos.on('before-send', (opt?: { ca?: Buffer }) => {
    if (opt) opt.ca = ca;
  });
}
