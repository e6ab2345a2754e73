// RETR's source: GetObject streamed straight through, with backpressure (the SDK pipes the response into a stream
// that pauses the response while the FTP client is slower). The response status is known before any byte reaches
// the client, so a missing file is refused before 150. When COS drops the connection mid-body (or the request times
// out behind a slow client), the rest is fetched with a ranged GET pinned to the same ETag, invisibly to the client.
// Destroying the stream aborts the COS request at once. The byte count (and, for whole files, the CRC-64) is
// checked at the end, so a short or damaged body is reported as a failure instead of a 226.
import { Readable } from 'node:stream';
import { type GetResult, StoreError, describeError, isStoreError } from '../store/object-store';
import { retryPolicy } from '../store/retry';
import { OffloadedCrc64 } from '../util/crc64-offload';
import { SLAB_BYTES } from '../util/slab-pool';
import { ReplyError, storageFailed } from './errors';
import type { TransferTarget } from './target';

/** A GET of the object from `offset`, pinned to `etag` when given (the store retries the opening). */
function getFrom(target: TransferTarget, offset: number, etag: string | undefined, signal?: AbortSignal): Promise<GetResult> {
  return target.store.get(target.key, { start: offset, ifMatch: etag, signal });
}

/** The object from an offset to its end, over one or more GetObject responses. */
export class CosDownloadStream extends Readable {
  private body: Readable | undefined;
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
  /** Cancels a GET that resumes the body (and its retries) when the download is destroyed. */
  private readonly cancelling = new AbortController();
  /** Why the bytes could not be checked against the store's CRC-64, when a whole file could not (226 says so). */
  readonly unverified: string | undefined;

  constructor(
    readonly target: TransferTarget,
    first: GetResult,
    private readonly start: number,
  ) {
    // Two read slabs (the store's chunks are up to that size) are buffered before the body is paused: the next one
    // is read while the data connection takes the last (see DOWNLOAD_SOCKET_BUFFER in src/ftp/commands/transfer.ts).
    super({ highWaterMark: 2 * SLAB_BYTES });
    this.position = start;
    this.size = first.size;
    this.etag = first.etag;
    this.expectedCrc = start === 0 ? first.crc64 : undefined;
    this.crc = this.expectedCrc !== undefined ? new OffloadedCrc64() : undefined;
    if (start === 0 && first.crc64 === undefined && target.store.capabilities.crc64) {
      // Objects from before COS kept CRC-64 (and some completed uploads) have none (doc 40334).
      this.unverified = 'the object has no CRC-64 in the store';
      target.log.warn({ key: target.key }, `download not verified: ${this.unverified}`);
    }
    this.attach(first.body);
  }

  /** Bytes delivered so far. */
  get bytes(): number {
    return this.position - this.start;
  }

  private attach(body: Readable): void {
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
    if (this.position < this.size) return this.bodyFailed(new Error(`the store ended the body at ${this.position} of ${this.size} bytes`));
    if (this.position > this.size) return void this.destroy(storageFailed(`the store sent more than the ${this.size} bytes announced`));
    if (!this.crc) return void this.push(null);
    this.crc.digest().then(
      (crc) => {
        if (this.destroyed) return;
        if (crc !== this.expectedCrc) {
          return void this.destroy(storageFailed(`CRC-64 mismatch (the store says ${this.expectedCrc}, received ${crc})`));
        }
        this.push(null);
      },
      (err: unknown) => this.destroy(storageFailed(`the CRC-64 check could not run (${describeError(err)})`, err)),
    );
  }

  /** A body that broke off: fetch the rest (same ETag) unless it was a real refusal or keeps failing. */
  private bodyFailed(err: unknown): void {
    if (this.destroyed) return;
    // A body that broke off mid-way is a network failure; a refusal (a changed object: conflict) is final.
    const retryable = !(err instanceof StoreError) || err.kind === 'retryable';
    if (!retryable || this.etag === undefined || ++this.resumesWithoutProgress >= retryPolicy.attempts) {
      return void this.destroy(storageFailed(`reading from COS failed (${describeError(err)})`, err));
    }
    this.target.log.warn({ key: this.target.key, at: this.position, err: describeError(err) }, 'download broke off; resuming');
    getFrom(this.target, this.position, this.etag, this.cancelling.signal).then(
      ({ body }) => {
        if (this.destroyed) return void body.destroy(new Error('download cancelled'));
        // It flows at once; a full buffer pauses it again (push() returns false) and _read() resumes it.
        this.attach(body);
      },
      (e: unknown) => this.destroy(storageFailed(`reading from COS failed (${describeError(e)})`, e)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.crc?.drop();
    this.cancelling.abort();
    // Destroying the response body with an error makes the SDK abort the request.
    if (this.body && !this.body.destroyed) this.body.destroy(error ?? new Error('download cancelled'));
    callback(error);
  }
}

export async function openCosDownload(target: TransferTarget, start: number): Promise<Readable> {
  let first: GetResult;
  try {
    first = await getFrom(target, start, undefined);
  } catch (err) {
    if (err instanceof StoreError && err.status === 416) return emptyIfAtEnd(target, start);
    throw cannotOpen(err);
  }
  return new CosDownloadStream(target, first, start);
}

/** Why a file could not be opened for reading: 550 when it is missing, else 451 (the store may answer later). */
function cannotOpen(err: unknown): ReplyError {
  if (isStoreError(err, 'not-found')) return new ReplyError(550, 'No such file.');
  return storageFailed(`cannot read the file (${describeError(err)})`, err);
}

/** REST at exactly the file size is an empty transfer; beyond it, an error. */
async function emptyIfAtEnd(target: TransferTarget, start: number): Promise<Readable> {
  const head = await target.store.head(target.key).catch((err: unknown) => {
    throw cannotOpen(err);
  });
  if (!head) throw new ReplyError(550, 'No such file.');
  const size = head.size;
  if (size === start) return Readable.from([]);
  throw new ReplyError(554, `Requested action not taken: restart offset ${start} is beyond the end of the file (${size}).`);
}
