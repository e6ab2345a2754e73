// What a transfer command needs from an ftp-srv connection (its shipped typings lack most of it), and the
// per-session bookkeeping around one transfer: the control socket's idle timeout is suspended, the transfer can be
// aborted by ABOR or by the loss of the control connection, and its end is observable.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { type ReplyError, aborted } from './errors';

export type MaybePromise<T> = T | Promise<T>;

export interface TransferFileSystem {
  write?(fileName: string | null, opts: { append?: boolean; start?: number }): MaybePromise<Writable | { stream: Writable; clientPath?: string }>;
  read?(fileName: string | null, opts: { start?: number }): MaybePromise<Readable | { stream: Readable; clientPath?: string }>;
  get?(fileName: string | null): MaybePromise<unknown>;
  getUniqueName?(fileName: string | null): MaybePromise<string>;
}

export interface TransferConnection {
  fs?: TransferFileSystem;
  connector: { waitForConnection(): PromiseLike<Socket>; end(): void };
  commandSocket: Socket;
  restByteCount: number | undefined;
  /** `ascii` after TYPE A, else `binary`. */
  transferType?: string;
  server: { options: { timeout?: number } };
  reply(code: number | { code: number }, ...messages: unknown[]): PromiseLike<unknown>;
}

export interface CommandArgs {
  log: Logger;
  command: { directive: string; arg: string | null; flags: string[]; raw: string };
}

/** One transfer running on a session. */
export class ActiveTransfer {
  private abortHandler: ((reason: ReplyError) => void) | undefined;
  private pendingReason: ReplyError | undefined;
  private resolveSettled!: () => void;
  /** Resolves once the transfer's final reply has been sent. */
  readonly settled = new Promise<void>((resolve) => (this.resolveSettled = resolve));
  private readonly onControlClose = (): void => void this.abort(aborted('Control connection closed; transfer aborted.'));

  constructor(private readonly connection: TransferConnection) {
    // ftp-srv's idle timeout is a timer on the control socket: it must not fire while data flows elsewhere.
    connection.commandSocket.setTimeout(0);
    connection.commandSocket.once('close', this.onControlClose);
    active.set(connection, this);
    if (connection.commandSocket.destroyed) this.onControlClose();
  }

  /** Where an abort goes; an abort that came earlier is delivered at once. */
  onAbort(handler: (reason: ReplyError) => void): void {
    this.abortHandler = handler;
    if (this.pendingReason) handler(this.pendingReason);
  }

  get abortReason(): ReplyError | undefined {
    return this.pendingReason;
  }

  /**
   * Whether the transfer can still be aborted (ABOR, the control connection lost). Once an upload's
   * CompleteMultipartUpload is sent, or its whole-file PutObject handed to the system whole, it cannot: COS carries
   * out a Complete, and stores a body, it has received whoever still waits for the answer, so the transfer ends with
   * its own reply (226 once stored), never a 426 for a stored object.
   */
  private abortable = true;

  /** The transfer is past its point of no return (see `abortable`): aborts from now on change nothing. */
  committing(): void {
    this.abortable = false;
  }

  /** Aborts the transfer; false when it is past its point of no return and goes on. */
  abort(reason: ReplyError): boolean {
    if (!this.abortable) return false;
    this.pendingReason ??= reason;
    this.abortHandler?.(reason);
    return true;
  }

  end(): void {
    const socket = this.connection.commandSocket;
    socket.off('close', this.onControlClose);
    if (active.get(this.connection) === this) active.delete(this.connection);
    const timeout = Number(this.connection.server?.options?.timeout) || 0;
    if (timeout > 0 && !socket.destroyed) socket.setTimeout(timeout);
    this.resolveSettled();
  }
}

const active = new WeakMap<object, ActiveTransfer>();

export function activeTransfer(connection: object): ActiveTransfer | undefined {
  return active.get(connection);
}
