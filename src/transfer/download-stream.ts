// RETR's source: GetObject streamed straight through, with backpressure (the SDK pipes the response into a stream
// that pauses the response while the FTP client is slower). The response status is known before any byte reaches
// the client, so a missing file is refused before 150. When COS drops the connection mid-body (or the request times
// out behind a slow client), the rest is fetched with a ranged GET pinned to the same ETag, invisibly to the client.
// Destroying the stream aborts the COS request at once. The byte count (and, for whole files, the CRC-64) is
// checked at the end, so a short or damaged body is reported as a failure instead of a 226.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { OffloadedCrc64 } from '../util/crc64-offload';
import { crcHeader, describe, isRetryable, locate, objectParams, retryPolicy, statusOf, withRetry } from './cos-object';
import { TransferError, storageFailed } from './errors';
import type { TransferTarget } from './target';

/** One GetObject response body. The SDK's request library treats a pipe target with setHeader like an HTTP
 *  response and copies the status and headers onto it before the first byte. */
class ResponseBody extends Transform {
  readonly headers: Record<string, string> = {};
  readonly headersSent = false;
  private status: number | undefined;
  onStatus: ((status: number) => void) | undefined;
  /** Set on a 2xx answer: only then is the body data (an error answer's XML is dropped). */
  live = false;
  failed = false;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
  }

  setHeader(name: string, value: string | number): void {
    this.headers[name.toLowerCase()] = String(value);
  }

  get statusCode(): number | undefined {
    return this.status;
  }

  set statusCode(code: number | undefined) {
    this.status = code;
    if (code === undefined) return;
    if (code >= 200 && code < 300) this.live = true;
    this.onStatus?.(code);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.live ? chunk : undefined);
  }
}

interface Answer {
  body: ResponseBody;
  err?: unknown;
}

/** Starts a GetObject and resolves once its status (2xx) or its failure is known. */
function startGet(target: TransferTarget, offset: number, etag: string | undefined): Promise<Answer> {
  const loc = locate(target.account, target.key);
  const body = new ResponseBody();
  return new Promise<Answer>((resolve) => {
    body.onStatus = (status) => {
      // For an error status wait for the SDK's parsed error (it comes once the error body is read).
      if (status >= 200 && status < 300) resolve({ body });
    };
    loc.cos.getObject(
      {
        ...objectParams(loc),
        Output: body,
        Range: offset > 0 ? `bytes=${offset}-` : undefined,
        IfMatch: etag,
      },
      (err) => {
        if (!err) return;
        body.failed = true;
        resolve({ body, err });
        // The SDK also emits the error on the body; make sure the reader sees one error and the request is gone.
        if (!body.destroyed) body.destroy(err instanceof Error ? err : Object.assign(new Error(describe(err)), err));
      },
    );
  });
}

async function getFrom(target: TransferTarget, offset: number, etag: string | undefined): Promise<ResponseBody> {
  return withRetry(
    'GetObject',
    async () => {
      const a = await startGet(target, offset, etag);
      if (a.err !== undefined) throw a.err;
      a.body.on('error', () => undefined);
      return a.body;
    },
    { log: target.log.child({ key: target.key }) },
  );
}

/** The object from an offset to its end, over one or more GetObject responses. */
export class CosDownloadStream extends Readable {
  private body: ResponseBody | undefined;
  private position: number;
  private readonly size: number;
  private readonly etag: string | undefined;
  private readonly crc: OffloadedCrc64 | undefined;
  /** The client's side wants more (push() had room at the last _read). */
  private wantData = true;
  /** The CRC worker is behind: the body stays paused until it catches up. */
  private crcBehind = false;
  private readonly expectedCrc: string | undefined;
  private resumesWithoutProgress = 0;

  constructor(
    readonly target: TransferTarget,
    first: ResponseBody,
    private readonly start: number,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.position = start;
    const h = first.headers;
    const range = /\/(\d+)\s*$/.exec(h['content-range'] ?? '');
    this.size = range ? Number(range[1]) : start + Number(h['content-length'] ?? 0);
    this.etag = h.etag;
    this.expectedCrc = start === 0 ? crcHeader({ headers: h }) : undefined;
    this.crc = this.expectedCrc !== undefined ? new OffloadedCrc64() : undefined;
    this.attach(first);
  }

  /** Bytes delivered so far. */
  get bytes(): number {
    return this.position - this.start;
  }

  private attach(body: ResponseBody): void {
    this.body = body;
    let done = false;
    body.on('data', (chunk: Buffer) => {
      this.position += chunk.length;
      this.resumesWithoutProgress = 0;
      if (this.crc && !this.crc.update(chunk)) {
        this.crcBehind = true;
        body.pause();
        this.crc.whenRelieved(() => {
          this.crcBehind = false;
          if (this.wantData) this.body?.resume();
        });
      }
      if (!this.push(chunk)) {
        this.wantData = false;
        body.pause();
      }
    });
    body.once('end', () => {
      if (done) return;
      done = true;
      this.bodyEnded();
    });
    body.on('error', (err: unknown) => {
      if (done) return;
      done = true;
      this.bodyFailed(err);
    });
  }

  override _read(): void {
    this.wantData = true;
    if (!this.crcBehind) this.body?.resume();
  }

  private bodyEnded(): void {
    if (this.position < this.size) return this.bodyFailed(new Error(`COS ended the body at ${this.position} of ${this.size} bytes`));
    if (this.position > this.size) return void this.destroy(storageFailed(`COS sent more than the ${this.size} bytes announced`));
    if (!this.crc) return void this.push(null);
    this.crc.digest().then(
      (crc) => {
        if (this.destroyed) return;
        if (crc !== this.expectedCrc) {
          return void this.destroy(storageFailed(`CRC-64 mismatch (COS says ${this.expectedCrc}, received ${crc})`));
        }
        this.push(null);
      },
      (err: unknown) => this.destroy(storageFailed(`the CRC-64 check could not run (${describe(err)})`, err)),
    );
  }

  /** A body that broke off: fetch the rest (same ETag) unless it was a real refusal or keeps failing. */
  private bodyFailed(err: unknown): void {
    if (this.destroyed) return;
    const status = statusOf(err);
    const retryable = status === undefined || isRetryable(err);
    if (!retryable || this.etag === undefined || ++this.resumesWithoutProgress >= retryPolicy.attempts) {
      return void this.destroy(storageFailed(`reading from COS failed (${describe(err)})`, err));
    }
    this.target.log.warn({ key: this.target.key, at: this.position, err: describe(err) }, 'download broke off; resuming');
    getFrom(this.target, this.position, this.etag).then(
      (body) => {
        if (this.destroyed) return void body.destroy(new Error('download cancelled'));
        // It flows at once; a full buffer pauses it again (push() returns false) and _read() resumes it.
        this.attach(body);
      },
      (e: unknown) => this.destroy(storageFailed(`reading from COS failed (${describe(e)})`, e)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.crc?.drop();
    // Destroying the response body with an error makes the SDK abort the request.
    if (this.body && !this.body.destroyed) this.body.destroy(error ?? new Error('download cancelled'));
    callback(error);
  }
}

export async function openCosDownload(target: TransferTarget, start: number): Promise<Readable> {
  let first: ResponseBody;
  try {
    first = await getFrom(target, start, undefined);
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw new TransferError(550, 'No such file.');
    if (status === 416) return emptyIfAtEnd(target, start);
    throw storageFailed(`cannot read the file (${describe(err)})`, err);
  }
  return new CosDownloadStream(target, first, start);
}

/** REST at exactly the file size is an empty transfer; beyond it, an error. */
async function emptyIfAtEnd(target: TransferTarget, start: number): Promise<Readable> {
  const loc = locate(target.account, target.key);
  const head = await loc.cos.headObject(objectParams(loc));
  const size = Number((head.headers as Record<string, string> | undefined)?.['content-length'] ?? -1);
  if (size === start) return Readable.from([]);
  throw new TransferError(554, `Requested action not taken: restart offset ${start} is beyond the end of the file (${size}).`);
}
