// What the layers share at run time: built once at start, read by every session.
import type { Logger } from 'pino';
import type { AccountConfig, ServerConfig } from '../config/types';
import type { ObjectStore } from '../store/object-store';
import type { UploadBufferBudget } from '../transfer/buffer-budget';
import type { TransferEnd, TransferServices } from '../transfer/target';
import type { Semaphore } from '../util/semaphore';

/** One configured account with its object store. */
export interface AccountContext {
  account: AccountConfig;
  store: ObjectStore;
}

/**
 * What the gateway reports as it runs, for metrics and readiness (src/metrics); absent when nobody listens.
 * Small typed hooks, so that no layer needs to know how the figures are kept.
 */
export interface GatewayEvents {
  login(ok: boolean): void;
  /** Once per command, with the code of its last reply. */
  command(verb: string, replyCode: number): void;
  transferEnded(transfer: TransferEnd): void;
  /** An account check's result: undefined = the bucket was reachable. */
  accountChecked(section: string, problem: { message: string } | undefined): void;
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
  events?: GatewayEvents;
}
