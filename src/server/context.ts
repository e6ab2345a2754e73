// What the layers share at run time: built once at start, read by every session.
import type COS from 'cos-nodejs-sdk-v5';
import type { Logger } from 'pino';
import type { AccountConfig, ServerConfig } from '../config/types';
import type { Semaphore } from '../util/semaphore';

/** One configured account with its COS client. */
export interface AccountContext {
  account: AccountConfig;
  cos: COS;
}

/** Server-wide state shared by all sessions. */
export interface GatewayContext {
  config: ServerConfig;
  logger: Logger;
  accounts: AccountContext[];
  /** Part uploads in flight across the whole server (`upload_thread_num`). */
  uploadSlots: Semaphore;
  /** Live figures for the status line. */
  stats: { sessions: number; transfers: number };
  /**
   * True once shutdown has begun: no new connections are accepted and running transfers are being drained.
   * Layers may refuse to start new transfers (421) while it is set.
   */
  draining: boolean;
}
