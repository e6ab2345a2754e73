// What a transfer works on and what it needs from the server around it: one object of one store, the limits in
// force, the server-wide upload slots and buffer budget, a logger. Nothing of the FTP session or the gateway.
import type { Logger } from 'pino';
import type { TransferConfig } from '../config/types';
import type { ObjectStore } from '../store/object-store';
import type { Semaphore } from '../util/semaphore';
import type { UploadBufferBudget } from './buffer-budget';

/** Shared by every transfer of the server; the server layer provides it. */
export interface TransferServices {
  /** The limits in force now (a configuration reload changes them for the transfers that start after it). */
  readonly limits: TransferConfig;
  /** Part uploads in flight across the whole server (`upload_thread_num`). */
  readonly uploadSlots: Semaphore;
  /** Bytes held for upload parts across the whole server (`upload_buffer_size`). */
  readonly uploadBuffers: UploadBufferBudget;
  /** Transfers running now; shutdown waits for them. */
  readonly stats: { transfers: number };
  /** True once shutdown has begun: new transfers are refused (421). */
  readonly draining: boolean;
  /** Told of every finished transfer (metrics); absent when nobody listens. */
  readonly onTransferEnded?: (transfer: TransferEnd) => void;
}

export interface TransferEnd {
  direction: 'upload' | 'download';
  ok: boolean;
  /** File bytes received from (upload) or sent to (download) the client. */
  bytes: number;
  durationMs: number;
}

export interface TransferTarget {
  services: TransferServices;
  store: ObjectStore;
  /** Full object key inside the bucket, account prefix included. */
  key: string;
  /** The FTP user, for the transfer's log line. */
  user: string;
  log: Logger;
}
