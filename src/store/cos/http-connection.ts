// One HTTP/1.1 connection to the store whose bytes are read straight into large slabs: the socket's `onread`
// buffer is always the unfilled rest of the current slab (1 MiB while a body streams, allocated outside the V8
// heap), so a read lands where it will be handed on from, with no per-read allocation and no copy. The reader
// (one exchange at a time) sees each read as a range of the slab, and is told to hand its pending bytes on when
// the slab is full or when the reads of this turn of the event loop are over (the socket had nothing more; over TLS
// one network read yields several 16 KiB records, which this gathers into one chunk).
import net from 'node:net';
import tls from 'node:tls';
import { SLAB_BYTES, dropSlab, takeSlab } from '../../util/slab-pool';

/** Where a connection goes and how it is secured. */
export interface Endpoint {
  secure: boolean;
  /** Address to connect to (host name or IP). */
  host: string;
  port: number;
  /** TLS server name (SNI and certificate check): the Host header's name, as Node's https agent takes it. */
  servername: string | undefined;
  /** Certificates to trust instead of Node's bundled ones. */
  ca?: string | Buffer;
}

/** What reads a response off a connection. */
export interface ConnectionReader {
  /** A read put bytes at `slab[from, to)`. */
  bytes(slab: Buffer, from: number, to: number): void;
  /** Hand on what has been gathered: the slab is full, or no more bytes came in this turn. */
  flush(): void;
  /** How many more bytes the reader expects (sizes the next slab), undefined when unknown. */
  expected(): number | undefined;
  /** The connection closed, ended or failed (err undefined: the server closed it cleanly). */
  lost(err: Error | undefined): void;
}

/** The first slab of a response: its head and a small body fit. */
const HEAD_SLAB_BYTES = 16 * 1024;
/** The buffer a closed connection is given for reads that will not come. */
const SPENT = Buffer.alloc(16);

export class HttpConnection {
  readonly socket: net.Socket;
  private slab: Buffer = Buffer.allocUnsafeSlow(HEAD_SLAB_BYTES);
  private filled = 0;
  private reader: ConnectionReader | undefined;
  private flushQueued = false;
  /** Bytes received since the current reader attached. */
  received = 0;
  private closed = false;

  constructor(
    readonly endpoint: Endpoint,
    readonly key: string,
    private readonly onGone: (connection: HttpConnection) => void,
  ) {
    const onread: net.OnReadOpts = { buffer: () => this.nextBuffer(), callback: (n: number) => this.read(n) };
    const { host, port, servername, ca } = endpoint;
    // TLS sockets take `onread` too (documented for tls.connect), though Node's typings leave it out.
    const secure: tls.ConnectionOptions & { onread: net.OnReadOpts } = { host, port, servername, ca, onread };
    this.socket = endpoint.secure ? tls.connect(secure) : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (err) => this.gone(err));
    this.socket.on('end', () => this.gone(undefined));
    this.socket.on('close', () => this.gone(new Error('connection closed')));
  }

  get alive(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  attach(reader: ConnectionReader): void {
    this.reader = reader;
    this.received = 0;
    // Reading, whatever the previous reader left (a response must never wait on a socket paused for another).
    this.socket.resume();
  }

  /**
   * The reader is done with the connection. The next response starts in a small fresh slab: the rest of a large
   * one is not kept alive by an idle connection.
   */
  detach(): void {
    this.reader = undefined;
    if (this.slab.length > HEAD_SLAB_BYTES || this.slab.length - this.filled < 1024) this.newSlab(HEAD_SLAB_BYTES);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(err?: Error): void {
    this.reader = undefined;
    this.socket.destroy(err);
    this.gone(err);
  }

  /** Moves on to a new slab (full-size ones from the pool; the old one stays alive while views of it are out). */
  private newSlab(size: number): void {
    dropSlab(this.slab);
    this.slab = size === SLAB_BYTES ? takeSlab() : Buffer.allocUnsafeSlow(size);
    this.filled = 0;
  }

  private nextBuffer(): Buffer {
    // Node asks for the next buffer even after a read that closed the connection: nothing will land in it.
    if (this.closed) return SPENT;
    if (this.filled === this.slab.length) {
      const expected = this.reader?.expected();
      const size = expected === undefined ? SLAB_BYTES : Math.min(SLAB_BYTES, Math.max(expected, HEAD_SLAB_BYTES));
      this.newSlab(size);
    }
    return this.slab.subarray(this.filled);
  }

  private read(n: number): boolean {
    const reader = this.reader;
    if (!reader) {
      // Bytes on an idle connection: not an answer to anything, so the connection cannot be trusted any more.
      this.destroy(new Error('unexpected bytes on an idle connection'));
      return false;
    }
    const from = this.filled;
    this.filled += n;
    this.received += n;
    reader.bytes(this.slab, from, this.filled);
    if (this.reader !== reader) return this.alive;
    if (this.filled === this.slab.length) {
      reader.flush();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.reader?.flush();
      });
    }
    return true;
  }

  private gone(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    dropSlab(this.slab);
    if (!this.socket.destroyed) this.socket.destroy();
    const reader = this.reader;
    this.reader = undefined;
    reader?.lost(err);
    this.onGone(this);
  }
}
