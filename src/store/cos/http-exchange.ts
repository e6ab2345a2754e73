// One HTTP/1.1 request without a body and its response, on a pooled connection: the head is parsed where it
// landed, a 2xx body streams on as slab chunks with backpressure (the socket is paused while the reader is behind),
// any other body is read whole up to a limit (it is the store's error document). The connection goes back to the
// pool only after a response read to its end; one that broke, was cancelled or carried extra bytes is destroyed.
// A request on a reused connection that closes before any byte of an answer is sent once more on a new one (the
// server may close an idle connection just as a request goes out).
import { Readable } from 'node:stream';
import { SLAB_BYTES, lend } from '../../util/slab-pool';
import { ChunkedDecoder } from './chunked-decoder';
import type { ConnectionPool } from './connection-pool';
import type { ConnectionReader, Endpoint, HttpConnection } from './http-connection';
import { type BodyFraming, HttpProtocolError, type ResponseHead, parseResponseHead } from './http-head';

/** The most of an error answer's body that is kept (COS's error documents are under 1 KiB). */
const MAX_ERROR_BODY = 64 * 1024;

export interface HttpRequest {
  endpoint: Endpoint;
  /** The whole request head, request line to the empty line. */
  head: string;
  /** No progress (connect, answer, body bytes) for this long fails the exchange. */
  timeoutMs: number;
  /** What the reader of a 2xx body sees when the body breaks off (the store's own error type). */
  bodyError?: (err: Error) => Error;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** A 2xx answer's body, streaming. */
  body?: Readable;
  /** Any other answer's body, read whole (at most MAX_ERROR_BODY bytes of it). */
  errorBody?: Buffer;
}

/** Hooks for observing the request (metrics): the status once known, and the end of the exchange. */
export interface ExchangeObserver {
  responded(status: number): void;
  closed(): void;
}

/** A network failure with a Node-like code, classified as retryable by the store. */
export function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

class ResponseBody extends Readable {
  constructor(private readonly exchange: HttpExchange) {
    super({ highWaterMark: SLAB_BYTES });
  }

  override _read(): void {
    this.exchange.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.exchange.abandon(error ?? new Error('response body destroyed'));
    callback(error);
  }
}

export class HttpExchange implements ConnectionReader {
  private connection: HttpConnection | undefined;
  private reused = false;
  private sentAgain = false;
  private head: ResponseHead | undefined;
  /** Head bytes of earlier reads, when the head spans reads. */
  private headBytes: Buffer | undefined;
  private remaining = 0;
  private chunked: ChunkedDecoder | undefined;
  /** Body bytes gathered and not yet handed on: `slab[from, to)`. */
  private run: { slab: Buffer; from: number; to: number } | undefined;
  private body: ResponseBody | undefined;
  private errorParts: Buffer[] = [];
  private errorBytes = 0;
  /** Bytes beyond the response arrived: the connection cannot be reused. */
  private spoiled = false;
  private paused = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveOpen!: (response: HttpResponse) => void;
  private rejectOpen!: (err: Error) => void;
  private opened = false;
  readonly response: Promise<HttpResponse>;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly request: HttpRequest,
    private readonly observer: ExchangeObserver,
  ) {
    this.response = new Promise<HttpResponse>((resolve, reject) => {
      this.resolveOpen = resolve;
      this.rejectOpen = reject;
    });
    // The caller may never await it (a cancelled call): a rejection must not go unhandled.
    this.response.catch(() => undefined);
    this.send(false);
  }

  private send(fresh: boolean): void {
    const { connection, reused } = this.pool.acquire(this.request.endpoint, fresh);
    this.connection = connection;
    this.reused = reused;
    connection.attach(this);
    connection.socket.write(this.request.head, 'latin1');
    this.arm();
  }

  /** (Re)starts the no-progress timer: `timeoutMs` without a byte (waiting for the store, or paused) fails it. */
  private arm(): void {
    clearTimeout(this.timer);
    const ms = this.request.timeoutMs;
    this.timer = setTimeout(() => this.fail(networkError('ETIMEDOUT', `no progress from the store for ${ms} ms`)), ms);
  }

  // ---- ConnectionReader ----

  bytes(slab: Buffer, from: number, to: number): void {
    if (this.finished) return;
    this.timer?.refresh();
    try {
      let at = from;
      while (!this.head) {
        const next = this.readHead(slab, at, to);
        if (next === undefined) return;
        at = next;
      }
      if (at < to || this.head.framing.kind === 'none' || (this.head.framing.kind === 'length' && this.remaining === 0)) {
        this.readBody(slab, at, to, this.head.framing);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  flush(): void {
    const run = this.run;
    if (!run || !this.body) return;
    this.run = undefined;
    if (!this.body.push(lend(run.slab, run.from, run.to)) && !this.finished) {
      // The timer keeps running: a body left paused that long is given up (the download resumes it with a ranged
      // GET, as it did when the SDK timed out behind a slow client), so an abandoned body never holds a connection.
      this.paused = true;
      this.connection?.pause();
    }
  }

  expected(): number | undefined {
    if (!this.head) return undefined;
    return this.head.framing.kind === 'length' ? this.remaining : undefined;
  }

  lost(err: Error | undefined): void {
    if (this.finished) return;
    if (this.head?.framing.kind === 'close' && err === undefined) return this.complete();
    const nothingYet = this.head === undefined && this.headBytes === undefined && this.connection?.received === 0;
    if (nothingYet && this.reused && !this.sentAgain) {
      this.sentAgain = true;
      return this.send(true);
    }
    const what = this.head ? 'the store closed the connection during the body' : 'the store closed the connection before answering';
    const code = (err as { code?: unknown } | undefined)?.code;
    this.fail(networkError(typeof code === 'string' ? code : 'ECONNRESET', err ? `${what} (${err.message})` : what));
  }

  // ---- control ----

  /** The reader wants more. */
  resume(): void {
    if (!this.paused || this.finished) return;
    this.paused = false;
    this.arm();
    this.connection?.resume();
  }

  /** The reader gave up (body destroyed) or the call was cancelled: the connection is dropped at once. */
  abandon(err: Error): void {
    if (this.finished) return;
    this.fail(err);
  }

  destroy(err: Error): void {
    this.abandon(err);
  }

  // ---- parsing ----

  /** Parses the head from `slab[at, to)`; returns where the body starts, or undefined when more is needed. */
  private readHead(slab: Buffer, at: number, to: number): number | undefined {
    const earlier = this.headBytes;
    const bytes = earlier ? Buffer.concat([earlier, slab.subarray(at, to)]) : slab;
    const start = earlier ? 0 : at;
    const end = earlier ? bytes.length : to;
    const head = parseResponseHead(bytes, start, end);
    if (!head) {
      this.headBytes = Buffer.from(bytes.subarray(start, end));
      return undefined;
    }
    this.headBytes = undefined;
    const bodyAt = at + head.size - (earlier?.length ?? 0);
    // An interim answer (100 Continue from a proxy): the real one follows.
    if (head.status >= 100 && head.status < 200) return bodyAt;
    this.head = head;
    this.remaining = head.framing.kind === 'length' ? head.framing.length : 0;
    if (head.framing.kind === 'chunked') this.chunked = new ChunkedDecoder();
    this.observer.responded(head.status);
    if (head.status >= 200 && head.status < 300) {
      this.body = new ResponseBody(this);
      this.opened = true;
      this.resolveOpen({ status: head.status, headers: head.headers, body: this.body });
    }
    return bodyAt;
  }

  private readBody(slab: Buffer, at: number, to: number, framing: BodyFraming): void {
    if (framing.kind === 'length') {
      const take = Math.min(this.remaining, to - at);
      if (take > 0) this.gather(slab, at, at + take);
      this.remaining -= take;
      if (at + take < to) this.spoiled = true;
      if (this.remaining === 0) this.complete();
    } else if (framing.kind === 'chunked') {
      const decoder = this.chunked as ChunkedDecoder;
      const stop = decoder.push(slab, at, to, (a, b) => this.gather(slab, a, b));
      if (stop < to) this.spoiled = true;
      if (decoder.done) this.complete();
    } else if (framing.kind === 'close') {
      this.gather(slab, at, to);
    } else {
      if (at < to) this.spoiled = true;
      this.complete();
    }
  }

  /** Body bytes at `slab[a, b)`: joined to the pending run when they follow it, else the run is handed on first. */
  private gather(slab: Buffer, a: number, b: number): void {
    if (!this.body) {
      // An error answer's document, kept (bounded) until complete.
      const keep = Math.min(b - a, MAX_ERROR_BODY - this.errorBytes);
      if (keep > 0) this.errorParts.push(Buffer.from(slab.subarray(a, a + keep)));
      this.errorBytes += keep;
      return;
    }
    const run = this.run;
    if (run && run.slab === slab && run.to === a) {
      run.to = b;
      return;
    }
    this.flush();
    this.run = { slab, from: a, to: b };
  }

  // ---- ending ----

  private complete(): void {
    if (this.finished) return;
    // Finished first: the last chunk's push must not pause the connection that goes back to the pool.
    this.finished = true;
    this.flush();
    clearTimeout(this.timer);
    const connection = this.connection as HttpConnection;
    connection.detach();
    if (!this.spoiled && this.head?.keepAlive && this.head.framing.kind !== 'close') this.pool.release(connection);
    else connection.destroy();
    const head = this.head as ResponseHead;
    if (this.body) this.body.push(null);
    else this.resolveOpen({ status: head.status, headers: head.headers, errorBody: Buffer.concat(this.errorParts) });
    this.observer.closed();
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.run = undefined;
    this.connection?.destroy();
    if (this.opened) {
      if (this.body && !this.body.destroyed) this.body.destroy(this.request.bodyError?.(err) ?? err);
    } else {
      this.rejectOpen(err);
    }
    this.observer.closed();
  }
}

export { HttpProtocolError };
