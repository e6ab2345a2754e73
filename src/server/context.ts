// What the layers share at run time: built once at start, read by every session.
import type { Logger } from 'pino';
import type { AccountConfig, ServerConfig } from '../config/types';
import type { ObjectStore } from '../store/object-store';
import type { UploadBufferBudget } from '../transfer/buffer-budget';
import type { TransferServices } from '../transfer/target';
import type { Semaphore } from '../util/semaphore';

/** One configured account with its object store. */
export interface AccountContext {
  account: AccountConfig;
  store: ObjectStore;
}

/** Server-wide state shared by all sessions. */
export interface GatewayContext {
  config: ServerConfig;
  logger: Logger;
  accounts: AccountContext[];
  /** Part uploads in flight across the whole server (`upload_thread_num`). */
  uploadSlots: Semaphore;
  /** Bytes held for upload parts across the whole server (`upload_buffer_size`); current and peak for metrics. */
  uploadBuffers: UploadBufferBudget;
  /** Live figures for the status line. */
  stats: { sessions: number; transfers: number };
  /**
   * True once shutdown has begun: no new connections are accepted and running transfers are being drained.
   * Layers may refuse to start new transfers (421) while it is set.
   */
  draining: boolean;
  /** The narrow view the transfer layer gets of the above. */
  transferServices: TransferServices;
}
