// Owner: transfer layer. The file system's write() and read() delegate the byte streams to these.
import type { Readable, Writable } from 'node:stream';
import type { FtpConnection } from 'ftp-srv';
import type { Logger } from 'pino';
import type { AccountContext, GatewayContext } from '../server/context';

export interface TransferTarget {
  gateway: GatewayContext;
  account: AccountContext;
  /** The session's ftp-srv connection (its data and control sockets are watched for loss). */
  connection: FtpConnection;
  /** Full object key inside the bucket, account prefix included. */
  key: string;
  log: Logger;
}

/** A Writable that commits the object only when the client's data ends cleanly (STOR, or APPE/REST when append). */
export function openUpload(_target: TransferTarget, _opts: { append?: boolean; start?: number }): Writable {
  throw new Error('not implemented');
}

/** A Readable of the object from `start`; rejects (before any 150) when the object is missing. */
export async function openDownload(_target: TransferTarget, _opts: { start?: number }): Promise<Readable> {
  throw new Error('not implemented');
}
