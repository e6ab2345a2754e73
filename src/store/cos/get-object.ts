// GetObject on the store's own HTTP/1.1 client (the SDK's request stack cost more CPU per byte than the rest of a
// download together). Everything COS-specific about the request is taken from the SDK so that it is exactly the
// request the SDK would send: the URL (host, path encoding) from `getObjectUrl`, the `Ip` option (connect there,
// keep the virtual-hosted name in Host), the signature from `COS.getAuthorization` with the SDK's clock offset, and
// the offset corrected from the store's `Date` when it refuses the request's time, as the SDK does.
import COS from 'cos-nodejs-sdk-v5';
import { ConnectionPool } from './connection-pool';
import type { Endpoint } from './http-connection';
import { type ExchangeObserver, HttpExchange, type HttpRequest } from './http-exchange';

export interface GetObjectRequest {
  key: string;
  /** `bytes=first-[last]` */
  range?: string;
  ifMatch?: string;
}

export interface Credentials {
  secretId: string;
  secretKey: string;
}

/** The SDK's options that are not in its typings. */
interface SdkOptions {
  Ip?: string;
  SystemClockOffset?: number;
  CorrectClockSkew?: boolean;
}

const USER_AGENT = `cos-nodejs-sdk-v5-${COS.version}`;

/** What the SDK's getObject refuses (ObjectKeySimplifyCheck): a key that names the bucket itself. */
export function namesBucket(key: string): boolean {
  return key.split('/').every((name) => name === '' || name === '.' || name === '..');
}

export class CosGetClient {
  private readonly pool = new ConnectionPool();
  private readonly endpoint: Endpoint;
  private readonly hostHeader: string;
  private readonly at: { Bucket: string; Region: string };

  constructor(
    private readonly cos: COS,
    private readonly credentials: Credentials,
    bucket: string,
    region: string,
    private readonly timeoutMs: number,
    ca: string | Buffer | undefined,
  ) {
    this.at = { Bucket: bucket, Region: region };
    const url = new URL(this.urlOf('x'));
    this.hostHeader = url.host;
    const secure = url.protocol === 'https:';
    const ip = this.options.Ip;
    const address = ip ? new URL(`${url.protocol}//${ip}`) : url;
    const host = address.hostname.replace(/^\[(.*)\]$/, '$1');
    // As Node's https agent: the server name is the Host header's name (none for an address).
    const servername = /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname;
    this.endpoint = { secure, host, port: Number(address.port) || (secure ? 443 : 80), servername, ca };
  }

  /** Connections opened so far (tests check keep-alive by it). */
  get connectionsOpened(): number {
    return this.pool.opened;
  }

  private get options(): SdkOptions {
    return (this.cos as unknown as { options: SdkOptions }).options;
  }

  private urlOf(key: string): string {
    return this.cos.getObjectUrl({ ...this.at, Key: key, Sign: false });
  }

  /** Sends the GET; the exchange's `response` resolves with the status and headers (and body) once they are in. */
  send(request: GetObjectRequest, observer: ExchangeObserver, bodyError: (err: Error) => Error): HttpExchange {
    // The path exactly as the SDK writes it (no dot segments removed: `a/./b` is a key of its own).
    const path = this.urlOf(request.key).replace(/^[a-z]+:\/\/[^/]+/i, '');
    const signed: Record<string, string> = { Host: this.hostHeader };
    if (request.range) signed.Range = request.range;
    if (request.ifMatch) signed['If-Match'] = request.ifMatch;
    const authorization = COS.getAuthorization({
      SecretId: this.credentials.secretId,
      SecretKey: this.credentials.secretKey,
      Method: 'GET',
      Pathname: `/${request.key}`,
      Query: {},
      Headers: signed,
      SystemClockOffset: this.options.SystemClockOffset,
    });
    const lines = [`GET ${path} HTTP/1.1`];
    for (const [name, value] of Object.entries({ ...signed, Authorization: authorization, 'User-Agent': USER_AGENT })) {
      lines.push(`${name}: ${value}`);
    }
    const http: HttpRequest = { endpoint: this.endpoint, head: `${lines.join('\r\n')}\r\n\r\n`, timeoutMs: this.timeoutMs, bodyError };
    return new HttpExchange(this.pool, http, observer);
  }

  /**
   * The store refused the request's time: like the SDK, take the clock offset from its `Date` when ours is 30 s or
   * more off, so that the next signature (the retry) is made at the store's time.
   */
  learnClock(code: string | undefined, message: string, date: string | undefined): void {
    const timeError = code === 'RequestTimeTooSkewed' || (code === 'AccessDenied' && message === 'Request has expired');
    const serverTime = Date.parse(date ?? '');
    if (!timeError || !Number.isFinite(serverTime) || this.options.CorrectClockSkew === false) return;
    if (Math.abs(Date.now() + (this.options.SystemClockOffset ?? 0) - serverTime) >= 30_000) {
      this.options.SystemClockOffset = serverTime - Date.now();
    }
  }

  /** Closes idle connections. */
  close(): void {
    this.pool.close();
  }
}
