// What a transfer works on: one object of one account, for one FTP session.
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
