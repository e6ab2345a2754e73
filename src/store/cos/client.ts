// Builds one cos-nodejs-sdk-v5 client per account, from the effective configuration.
import COS from 'cos-nodejs-sdk-v5';
import type { AccountConfig } from '../../config/types';

export interface CosClientOptions {
  /** Per-request timeout in ms. The SDK's default (0) waits forever, which a daemon cannot afford. */
  timeoutMs?: number;
  /**
   * Certificates (PEM) to trust for HTTPS to the store instead of Node's bundled ones: a private COS-compatible
   * endpoint, or the local store in tests. (NODE_EXTRA_CA_CERTS adds to the bundled ones for the whole process.)
   */
  ca?: string | Buffer;
}

/** Where requests for an account go: the SDK options that express `cos_region` / `cos_endpoint` / `cos_protocol`. */
export function endpointOptions(account: AccountConfig): Pick<COS.COSOptions, 'Protocol' | 'Domain' | 'Ip'> & {
  Region: string;
} {
  const endpoint = account.endpoint?.trim();
  if (endpoint && /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    // A URL: connect to that address, keep the virtual-hosted bucket name in Host (and in the signature).
    const url = new URL(endpoint);
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const port = url.port || (protocol === 'https:' ? '443' : '80');
    return { Region: account.region || 'ap-guangzhou', Protocol: protocol, Ip: `${url.hostname}:${port}` };
  }
  const protocol = account.protocol === 'http' ? 'http:' : 'https:';
  if (endpoint) {
    // The original's meaning: requests go to `{Bucket}.` + endpoint.
    return { Region: account.region, Protocol: protocol, Domain: `{Bucket}.${endpoint}` };
  }
  return { Region: account.region, Protocol: protocol };
}

export function createCosClient(account: AccountConfig, options: CosClientOptions = {}): COS {
  const { Region: _region, ...where } = endpointOptions(account);
  const cos = new COS({
    SecretId: account.secretId,
    SecretKey: account.secretKey,
    ...where,
    Timeout: options.timeoutMs ?? 60_000,
    KeepAlive: true,
    // The SDK would otherwise retry failed requests against a backup *.tencentcos.cn host.
    AutoSwitchHost: false,
    // No queue inside the SDK: it would hold PutObjects (3 per client by default) that the transfer layer believes
    // started; the gateway's own upload slots bound how many run.
    FileParallelLimit: Number.MAX_SAFE_INTEGER,
  });
  const { ca } = options;
  // The SDK has no option for it, but its HTTP layer takes `ca` per request (also through the agents it is given).
  if (ca) cos.on('before-send', (opt?: { ca?: string | Buffer }) => opt && (opt.ca = ca));
  return cos;
}
