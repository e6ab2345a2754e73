// RETR's source: GetObject streamed straight through, with backpressure (the SDK pipes the response into this
// stream, which pauses the response while the FTP client is slower). The response status is known before any byte
// reaches the client, so a missing file is refused before 150. Destroying the stream with an error makes the SDK
// abort the COS request at once. The byte count (and, for whole files, the CRC-64) is checked at the end, so a
// response cut short is reported as a failure instead of a 226.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Crc64 } from '../util/crc64';
import { crcHeader, describe, locate, objectParams, statusOf, withRetry } from './cos-object';
import { TransferError, storageFailed } from './errors';
import type { TransferTarget } from './target';

export class CosDownloadStream extends Transform {
  /** Response headers, filled by the SDK's request library (it treats a pipe target with setHeader like a response). */
  readonly headers: Record<string, string> = {};
  readonly headersSent = false;
  private status: number | undefined;
  /** Called once the response status is known. */
  onStatus: ((status: number) => void) | undefined;
  /** Set once the stream was handed out (a 2xx answer): later SDK errors destroy it. */
  live = false;
  bytes = 0;
  /** The object this stream reads (for the transfer log). */
  target: TransferTarget | undefined;
  private expectedBytes: number | undefined;
  private expectedCrc: string | undefined;
  private crc: Crc64 | undefined;

  constructor(private readonly wholeObject: boolean) {
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
    if (code !== undefined && code >= 200 && code < 300) {
      this.live = true;
      this.expect();
    }
    if (code !== undefined) this.onStatus?.(code);
  }

  /** Arms the end-of-body checks from the response headers (before any byte of the body arrives). */
  private expect(): void {
    const length = this.headers['content-length'];
    if (length !== undefined && /^\d+$/.test(length)) this.expectedBytes = Number(length);
    if (this.wholeObject) {
      this.expectedCrc = crcHeader({ headers: this.headers });
      if (this.expectedCrc !== undefined) this.crc = new Crc64();
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // An error answer's XML body is piped here too: it is never passed on.
    if (!this.live) return callback();
    this.bytes += chunk.length;
    this.crc?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.live) return callback();
    if (this.expectedBytes !== undefined && this.bytes !== this.expectedBytes) {
      return callback(storageFailed(`COS sent ${this.bytes} of ${this.expectedBytes} bytes`));
    }
    const crc = this.crc?.digest();
    if (crc !== undefined && crc !== this.expectedCrc) {
      return callback(storageFailed(`CRC-64 mismatch (COS says ${this.expectedCrc}, received ${crc})`));
    }
    callback();
  }
}

interface Answer {
  stream: CosDownloadStream;
  status?: number;
  err?: unknown;
}

/** Starts a GetObject into a fresh stream and resolves when its status (or a failure) is known. */
function startGet(target: TransferTarget, start: number): Promise<Answer> {
  const loc = locate(target.account, target.key);
  const stream = new CosDownloadStream(start === 0);
  return new Promise<Answer>((resolve) => {
    stream.onStatus = (status) => {
      // For an error status wait for the SDK's parsed error (it arrives once the body is read).
      if (status >= 200 && status < 300) {
        resolve({ stream, status });
      }
    };
    loc.cos.getObject(
      { ...objectParams(loc), Output: stream, Range: start > 0 ? `bytes=${start}-` : undefined },
      (err) => {
        if (!err) return;
        resolve({ stream, err });
        if (stream.live) stream.destroy(storageFailed(`reading from COS failed (${describe(err)})`, err));
      },
    );
  });
}

export async function openCosDownload(target: TransferTarget, start: number): Promise<Readable> {
  const log = target.log.child({ key: target.key });
  let answer: Answer;
  try {
    answer = await withRetry(
      'GetObject',
      async () => {
        const a = await startGet(target, start);
        if (a.err !== undefined) {
          a.stream.destroy();
          throw a.err;
        }
        return a;
      },
      { log },
    );
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw new TransferError(550, 'No such file.');
    if (status === 416) return emptyIfAtEnd(target, start);
    throw storageFailed(`cannot read the file (${describe(err)})`, err);
  }
  answer.stream.target = target;
  return answer.stream;
}

/** REST at exactly the file size is an empty transfer; beyond it, an error. */
async function emptyIfAtEnd(target: TransferTarget, start: number): Promise<Readable> {
  const loc = locate(target.account, target.key);
  const head = await loc.cos.headObject(objectParams(loc));
  const size = Number((head.headers as Record<string, string> | undefined)?.['content-length'] ?? -1);
  if (size === start) return Readable.from([]);
  throw new TransferError(554, `Requested action not taken: restart offset ${start} is beyond the end of the file (${size}).`);
}
