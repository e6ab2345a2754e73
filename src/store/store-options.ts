// What every store implementation is built with, and the request body helper they share.
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Body, RequestObserver } from './object-store';

export interface StoreOptions {
  logger: Logger;
  /** Called once per HTTP request (retries included), when it has ended. */
  onRequest?: RequestObserver;
  /** Per-request timeout in ms (default 60 s: an SDK default of "forever" is not something a daemon can afford). */
  timeoutMs?: number;
  /**
   * Certificates (PEM) to trust for HTTPS to the store instead of Node's bundled ones: a private endpoint, or the
   * local store in tests. (NODE_EXTRA_CA_CERTS adds to the bundled ones for the whole process.)
   */
  ca?: string | Buffer;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

const noop = (): void => undefined;

/**
 * A request body an SDK can send: a Buffer as it is; several chunks as a fresh stream (one per try), which gets an
 * 'error' listener at once: a torn-down request destroys its body, and an unheard error would end the process.
 */
export function requestBody(body: Body): Buffer | Readable {
  if (Buffer.isBuffer(body)) return body;
  const chunks = body as readonly Buffer[];
  if (chunks.length === 0) return Buffer.alloc(0);
  if (chunks.length === 1) return chunks[0];
  const stream = Readable.from(chunks, { objectMode: false });
  stream.on('error', noop);
  return stream;
}
