// What a transfer works on: one object of one account, for one FTP session.
import type { Logger } from 'pino';
import type { AccountContext, GatewayContext } from '../server/context';

export interface TransferTarget {
  gateway: GatewayContext;
  account: AccountContext;
  /** Full object key inside the bucket, account prefix included. */
  key: string;
  log: Logger;
}
