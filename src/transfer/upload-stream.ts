// The Writable behind STOR/APPE: buffers the client's bytes into parts and commits the object only when the data
// ended cleanly and every byte is verified. Up to one part: one PutObject (with Content-MD5, so a damaged body never
// replaces an object). Beyond: a lazily initiated multipart upload whose parts go up while the client still sends;
// CompleteMultipartUpload is the commit point, so an upload that fails or is aborted never touches the old object.
// See "A write stream that is correct under errors" in docs/ftp-srv-notes.md.
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Crc64 } from '../util/crc64';
import { md5InSlices } from '../util/md5-slices';
import { Semaphore } from '../util/semaphore';
import { type ObjectStore, StoreError, describeError } from '../store/object-store';
import { crc64Combine } from '../util/crc64-combine';
import { ReplyError, aborted, storageFailed, tooLarge } from './errors';
import { MAX_PART_COUNT, MAX_PART_SIZE, MIN_PART_SIZE, PartSizer } from './part-size';
import type { Reservation } from './buffer-budget';
import type { TransferTarget } from './target';

/**
 * Emitted just before CompleteMultipartUpload is sent, or once a whole-file PutObject has been handed to the
 * operating system whole: COS carries out a Complete it has received, and stores a body it has received whole, whoever
 * still waits for the answer, so from then on cancelling cannot take the object back. (Until then a PUT is
 * cancellable: COS refuses a body cut short.)
 */
export const COMMITTING = 'committing';

/** Parts of one upload in flight at once, at most (also bounded by half the server-wide upload slots). */
export const MAX_PARTS_IN_FLIGHT_PER_UPLOAD = 4;

export interface UploadOptions {
  /** APPE: the new bytes go after the current object. */
  append?: boolean;
  /** REST offset: must equal the current object size (resuming an interrupted upload). */
  start?: number;
}

interface FilledPart {
  partNumber: number;
  chunks: Buffer[];
  size: number;
  crc: string;
  /** The part's share of the upload buffer budget, given back once its bytes are dropped. */
  space: Reservation | undefined;
}

interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  /** Unknown for copied parts when COS does not say. */
  crc?: string;
}

export class CosUploadStream extends Writable {
  readonly target: TransferTarget;
  private readonly store: ObjectStore;
  private readonly key: string;
  private readonly log: Logger;
  private readonly maxBytes: number;
  private readonly perUpload: Semaphore;
  /** Aborts this upload's requests at once (and stops their retries) when the upload is cancelled. */
  private readonly cancelling = new AbortController();

  /** Bytes of the old object kept in front (APPE / REST+STOR), and their CRC when COS gave one. */
  private keptSize = 0;
  private keptCrc: string | undefined;
  /** Parts made by Upload Part - Copy of the old object; data parts follow them. */
  private copiedParts: StoredPart[] = [];
  private sizer: PartSizer;

  private pendingBytes = 0;
  /** Budget space for the part being filled, reserved whole before its first byte is taken. */
  private space: Reservation | undefined;
  private pendingCrc = new Crc64();
  private nextPartNumber = 1;

  private uploadId: string | undefined;
  private initiating: Promise<string> | undefined;
  private completing: Promise<void> | undefined;
  private readonly stored: StoredPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private cancelled = false;
  private committed = false;
  private preparing: Promise<void> | undefined;

  /** New bytes received from the client. */
  bytesReceived = 0;
  /** Of those, the bytes already in their part. */
  private bytesKept = 0;
  /** The memory of the part buffer the data socket may read into next (readTarget), until readsEnded(). */
  private lentMemory: ArrayBufferLike | undefined;
  private prepared = false;

  constructor(target: TransferTarget, private readonly opts: UploadOptions = {}) {
    // A small buffer in front of _write: the data socket pauses as soon as a part waits for an upload slot.
    super({ highWaterMark: 64 * 1024 });
    this.target = target;
    this.store = target.store;
    this.key = target.key;
    this.log = target.log.child({ key: target.key });
    const transfer = target.services.limits;
    this.maxBytes = transfer.singleFileMaxSize;
    this.sizer = new PartSizer(transfer.minPartSize, transfer.singleFileMaxSize);
    this.perUpload = new Semaphore(transfer.partsPerUpload);
  }

  /**
   * Checks an APPE/REST offset against the object and keeps its bytes in front of the new ones. Call before 150;
   * rejects with a ReplyError (554 for a wrong offset). Without append/start it does nothing.
   */
  prepare(): Promise<void> {
    this.preparing ??= this.keepExisting().then(() => {
      this.prepared = true;
    });
    return this.preparing;
  }

  /** Size the object will have once the upload is committed (so far). */
  get totalBytes(): number {
    return this.keptSize + this.bytesReceived;
  }

  private async keepExisting(): Promise<void> {
    const { append, start } = this.opts;
    if (!append && !start) return;
    const head = await this.head();
    const size = head?.size ?? 0;
    if (start !== undefined && start > 0 && start !== size) {
      throw new ReplyError(
        554,
        `Requested action not taken: restart offset ${start} does not match the file size ${head ? size : 0}; ` +
          'uploads resume only at the end of the file.',
      );
    }
    if (!head || size === 0) return;
    if (size > this.maxBytes) throw tooLarge(this.maxBytes);
    this.keptSize = size;
    this.keptCrc = head.crc;
    if (size >= MIN_PART_SIZE) await this.copyExisting(size, head.etag);
    else await this.refetchExisting(size, head);
  }

  private get signal(): AbortSignal {
    return this.cancelling.signal;
  }

  private async head(): Promise<{ size: number; crc?: string; etag: string } | undefined> {
    try {
      const info = await this.store.head(this.key, { signal: this.signal });
      return info && { size: info.size, crc: info.crc64, etag: info.etag ?? '' };
    } catch (err) {
      throw storageFailed(`cannot read the current file (${describeError(err)})`, err);
    }
  }

  /** The old bytes become the first parts, copied inside COS (each part 1 MB..5 GB). */
  private async copyExisting(size: number, etag: string): Promise<void> {
    const uploadId = await this.initiate();
    const count = Math.ceil(size / MAX_PART_SIZE);
    const each = Math.ceil(size / count);
    for (let i = 0; i < count; i++) {
      const first = i * each;
      const last = Math.min(size, first + each) - 1;
      const partNumber = this.nextPartNumber++;
      try {
        const res = await this.store.uploadPartCopy(this.key, uploadId, partNumber, this.key, {
          first,
          last,
          sourceIfMatch: etag,
          signal: this.signal,
        });
        this.copiedParts.push({ partNumber, etag: res.etag, size: last - first + 1, crc: res.crc64 });
      } catch (err) {
        throw storageFailed(`cannot copy the current file (${describeError(err)})`, err);
      }
    }
    const stored = this.copiedParts.length === 1 ? this.copiedParts[0].crc : undefined;
    if (stored !== undefined && this.keptCrc !== undefined && stored !== this.keptCrc) {
      throw storageFailed(`the current file changed while appending (CRC-64 ${this.keptCrc}, copy has ${stored})`);
    }
    this.sizer = new PartSizer(this.sizer.base, this.maxBytes - size, MAX_PART_COUNT - count);
  }

  /** Small old objects are read back and sent again in front of the new bytes (COS has no small copy part). */
  private async refetchExisting(size: number, head: { crc?: string; etag: string }): Promise<void> {
    let body: Buffer;
    try {
      const res = await this.store.get(this.key, { ifMatch: head.etag, signal: this.signal });
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    } catch (err) {
      throw storageFailed(`cannot read the current file (${describeError(err)})`, err);
    }
    const crc = new Crc64().update(body).digest();
    if (body.length !== size || (head.crc !== undefined && crc !== head.crc)) {
      throw storageFailed('the current file changed while appending');
    }
    if (head.crc === undefined && this.store.capabilities.crc64) this.notVerified('the existing file has no CRC-64 in the store');
    await this.reserveSpace();
    this.keep(body);
  }

  private partSizeNow(): number {
    return this.sizer.sizeOf(this.nextPartNumber - this.copiedParts.length);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    (async () => {
      for (const { chunk } of chunks) await this.accept(chunk);
    })().then(() => callback(), callback);
  }

  private async accept(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    // Not awaited once done: a chunk is then kept before write() returns (readTarget relies on it).
    if (this.preparing && !this.prepared) await this.preparing;
    if (this.keptSize + this.bytesReceived + chunk.length > this.maxBytes) throw tooLarge(this.maxBytes);
    this.bytesReceived += chunk.length;
    let rest = chunk;
    while (rest.length > 0) {
      const partSize = this.partLimit();
      // A full part is sent only once a further byte proves it is not the whole file (that one goes up by PUT).
      if (this.pendingBytes >= partSize) await this.flushPart();
      if (!this.space) await this.reserveSpace();
      const take = Math.min(rest.length, this.partLimit() - this.pendingBytes);
      this.keep(take === rest.length ? rest : rest.subarray(0, take));
      this.bytesKept += take;
      rest = rest.subarray(take);
    }
  }

  /**
   * Where the client's next bytes may be read straight into, so that they are not copied: the free end of the
   * current part's buffer, if every byte written to this stream so far (`bytesWritten`, counted by the writer) is in
   * its part and at least `min` bytes are free; else undefined (the reader reads into memory of its own, and the
   * bytes are copied as before). Bytes read into it must be the next ones written, as a view of exactly that place
   * (keep() then finds them in place). Until readsEnded(), the part buffer last lent is not handed to another upload
   * if this one ends: a read could still land in it.
   */
  readTarget(bytesWritten: number, min: number): Buffer | undefined {
    const memory = this.space?.held ? this.space.buffer : undefined;
    const free = this.partLimit() - this.pendingBytes;
    if (!memory || bytesWritten !== this.bytesKept || free < min || this.failure || this.cancelled) {
      this.lentMemory = undefined;
      return undefined;
    }
    this.lentMemory = memory.buffer;
    return memory.subarray(this.pendingBytes, this.pendingBytes + free);
  }

  /** The data connection reads no more (ended or closed): no read can land in a part buffer any more. */
  readsEnded(): void {
    this.lentMemory = undefined;
  }

  /** Gives a part's budget space back; its memory is reused only if no read can still land in it. */
  private releaseSpace(space: Reservation | undefined): void {
    if (!space) return;
    const lent = this.lentMemory !== undefined && space.buffer?.buffer === this.lentMemory;
    space.release(lent ? { reuse: false } : undefined);
  }

  /** The current part's size: the sizer's, unless the budget could only give less (see UploadBufferBudget). */
  private partLimit(): number {
    return Math.min(this.partSizeNow(), this.space?.bytes ?? Infinity);
  }

  /**
   * Copies bytes into the current part's reserved buffer (the socket's chunk is then free at once), unless they
   * were read into their place already (readTarget).
   */
  private keep(piece: Buffer): void {
    const memory = this.space?.buffer;
    if (!memory) throw aborted();
    const inPlace = piece.buffer === memory.buffer && piece.byteOffset === memory.byteOffset + this.pendingBytes;
    if (!inPlace) piece.copy(memory, this.pendingBytes);
    this.pendingCrc.update(piece);
    this.pendingBytes += piece.length;
  }

  /** The bytes of the current part, as the body of a request (a view of the reserved buffer). */
  private pendingBody(): Buffer[] {
    const memory = this.space?.buffer;
    return memory && this.pendingBytes > 0 ? [memory.subarray(0, this.pendingBytes)] : [];
  }

  /**
   * Reserves a whole part of the server's upload buffer budget for the part about to be filled. Until it is granted
   * _write does not call back, so the client's data socket stays paused; requests are granted in order.
   */
  private async reserveSpace(): Promise<void> {
    const space = this.target.services.uploadBuffers.reserve(this.partSizeNow());
    this.space = space;
    await space.granted;
    if (this.failure) throw this.failure;
    if (this.cancelled) throw aborted();
  }

  /**
   * Not cancellable: COS may create the upload for an Initiate whose answer nobody waits for any more, and its id
   * would be lost with the answer (an orphaned multipart upload). A cancelled upload waits for the answer instead
   * (cleanUp), then aborts the upload. None is started once the upload is cancelled.
   */
  private initiate(): Promise<string> {
    if (!this.initiating && this.cancelled) return Promise.reject(aborted());
    this.initiating ??= this.store.initMultipart(this.key).then(
      (uploadId) => {
        this.uploadId = uploadId;
        this.log.debug({ uploadId }, 'multipart upload initiated');
        return uploadId;
      },
      (err: unknown) => {
        throw storageFailed(`cannot start the upload (${describeError(err)})`, err);
      },
    );
    return this.initiating;
  }

  /** Turns the pending bytes into a part and starts sending it once this upload and the server have a free slot. */
  private async flushPart(): Promise<void> {
    const uploadId = await this.initiate();
    const part: FilledPart = {
      partNumber: this.nextPartNumber++,
      chunks: this.pendingBody(),
      size: this.pendingBytes,
      crc: this.pendingCrc.digest(),
      space: this.space,
    };
    this.pendingBytes = 0;
    this.pendingCrc = new Crc64();
    this.space = undefined;
    if (part.partNumber > MAX_PART_COUNT) {
      this.releaseSpace(part.space);
      throw tooLarge(this.maxBytes);
    }

    // Not calling back from _write while waiting here is what pauses the client's data socket.
    const releaseLocal = await this.perUpload.acquire();
    const releaseGlobal = await this.target.services.uploadSlots.acquire();
    if (this.failure || this.cancelled) {
      releaseGlobal();
      releaseLocal();
      this.releaseSpace(part.space);
      throw this.failure ?? aborted();
    }
    const task = this.sendPart(uploadId, part).finally(() => {
      releaseGlobal();
      releaseLocal();
      this.inFlight.delete(task);
    });
    this.inFlight.add(task);
  }

  private async sendPart(uploadId: string, part: FilledPart): Promise<void> {
    try {
      if (this.cancelled) throw aborted();
      const res = await this.store.uploadPart(this.key, uploadId, part.partNumber, part.chunks, {
        length: part.size,
        crc64: part.crc,
        signal: this.signal,
      });
      this.stored.push({ partNumber: part.partNumber, etag: res.etag, size: part.size, crc: part.crc });
    } catch (err) {
      if (!this.cancelled) this.fail(storageFailed(`part ${part.partNumber} could not be stored (${describeError(err)})`, err));
    } finally {
      part.chunks = [];
      this.releaseSpace(part.space);
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.log.error({ err: describeError((err as ReplyError).cause ?? err) }, 'upload failed');
    this.destroy(err);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(() => callback(), callback);
  }

  private async commit(): Promise<void> {
    // docs/ftp-srv-notes.md: a reset may end() and destroy() in one go; give the destroy a turn to land first.
    await nextTurn();
    if (this.preparing) await this.preparing;
    if (this.failure) throw this.failure;
    if (this.cancelled || this.destroyed) throw aborted();
    if (this.uploadId === undefined) {
      await this.putWhole();
    } else {
      if (this.pendingBytes > 0) await this.flushPart();
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      if (this.failure) throw this.failure;
      // The commit point: nothing has replaced the old object until here.
      if (this.cancelled || this.destroyed) throw aborted();
      this.emit(COMMITTING);
      this.completing = this.complete(this.uploadId);
      await this.completing;
    }
    this.committed = true;
  }

  /** The whole file in one PutObject; Content-MD5 makes COS refuse a damaged body instead of storing it. */
  private async putWhole(): Promise<void> {
    const chunks = this.pendingBody();
    const size = this.pendingBytes;
    const crc = this.pendingCrc.digest();
    // Only now is it known that the file goes up whole: hashing every upload's first part as it arrived cost
    // ~35 ms of CPU per 20 MiB for the many that became multipart (where each part's CRC-64 is checked instead).
    const contentMd5 = await md5InSlices(chunks);
    const release = await this.target.services.uploadSlots.acquire();
    // Cancellable only until the whole request has been handed to the operating system: it then reaches COS even if
    // the connection is closed, and COS stores a body it has received whole whoever still waits. So from then on
    // the upload answers for itself (COMMITTING), as a multipart one does once its Complete is sent; else an ABOR
    // would be answered 426 for a stored file.
    const sending = new AbortController();
    const cancelSending = (): void => sending.abort(this.signal.reason);
    this.signal.addEventListener('abort', cancelSending, { once: true });
    const onBodySent = (): void => {
      this.signal.removeEventListener('abort', cancelSending);
      this.emit(COMMITTING);
    };
    try {
      if (this.cancelled) throw aborted();
      await this.store.put(this.key, chunks, { length: size, md5: contentMd5, crc64: crc, signal: sending.signal, onBodySent });
    } catch (err) {
      if (err instanceof ReplyError) throw err;
      if (err instanceof StoreError && err.storeCode === 'ChecksumMismatch') await this.deleteCorrupt();
      throw storageFailed(`the file could not be stored (${describeError(err)})`, err);
    } finally {
      this.signal.removeEventListener('abort', cancelSending);
      release();
      this.releaseSpace(this.space);
      this.space = undefined;
    }
  }

  private async complete(uploadId: string): Promise<void> {
    const parts = [...this.copiedParts, ...this.stored].sort((a, b) => a.partNumber - b.partNumber);
    const expected = this.expectedCrc(parts);
    let stored: string | undefined;
    try {
      const res = await this.store.completeMultipart(this.key, uploadId, parts, { crc64: expected, signal: this.signal });
      this.uploadId = undefined;
      stored = res.crc64;
    } catch (err) {
      throw storageFailed(`the file could not be assembled (${describeError(err)})`, err);
    }
    if ((expected === undefined || stored === undefined) && this.store.capabilities.crc64) {
      this.notVerified(expected === undefined ? 'the existing file has no CRC-64 in the store' : 'the store sent no CRC-64 for the file');
    }
    if (expected !== undefined && stored !== undefined && stored !== expected) {
      // Every part was verified, so this should not happen; never leave a wrong object behind.
      await this.deleteCorrupt();
      throw storageFailed(`the assembled file does not match the data sent (CRC-64 ${expected}, stored ${stored})`);
    }
  }

  /** Why the stored file could not be checked whole against the bytes sent, when it could not (226 says so). */
  unverified: string | undefined;

  private notVerified(reason: string): void {
    this.unverified ??= reason;
    this.log.warn({ key: this.key }, `upload not verified: ${reason}`);
  }

  /** The whole-object CRC the parts add up to; undefined when a copied part's CRC is unknown. */
  private expectedCrc(parts: StoredPart[]): string | undefined {
    let crc = 0n;
    let start = 0;
    if (this.copiedParts.length > 0) {
      if (this.keptCrc === undefined) return undefined;
      crc = BigInt(this.keptCrc);
      start = this.copiedParts.length;
    }
    for (const part of parts.slice(start)) {
      if (part.crc === undefined) return undefined;
      crc = crc64Combine(crc, BigInt(part.crc), part.size);
    }
    return crc.toString(10);
  }

  private async deleteCorrupt(): Promise<void> {
    try {
      await this.store.delete(this.key);
      this.log.error('a corrupt object was stored and has been deleted');
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'a corrupt object was stored and could not be deleted');
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cancelled = true;
    if (!this.committed) this.cancelling.abort();
    // The part being filled is dropped and its space given back (a reservation still waiting is withdrawn, and its
    // reserveSpace ends with `aborted`), so that the next upload in line gets it now.
    this.releaseSpace(this.space);
    this.space = undefined;
    this.cleanUp().then(
      () => callback(error),
      (err: unknown) => {
        this.log.error({ err: describeError(err) }, 'cleaning up a failed upload failed');
        callback(error);
      },
    );
  }

  /** Nothing may stay behind: wait for the requests under way, then abort the multipart upload. */
  private async cleanUp(): Promise<void> {
    await this.initiating?.catch(() => undefined);
    await this.preparing?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.completing?.catch(() => undefined);
    const uploadId = this.uploadId;
    this.releaseSpace(this.space);
    this.space = undefined;
    if (uploadId === undefined || this.committed) return;
    await this.store.abortMultipart(this.key, uploadId);
    this.log.info({ uploadId }, 'multipart upload aborted');
    this.uploadId = undefined;
  }
}
