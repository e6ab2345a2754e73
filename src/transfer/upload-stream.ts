// The Writable behind STOR/APPE: buffers the client's bytes into parts and commits the object only when the data
// ended cleanly and every byte is verified. Up to one part: one PutObject (with Content-MD5, so a damaged body never
// replaces an object). Beyond: a lazily initiated multipart upload whose parts go up while the client still sends;
// CompleteMultipartUpload is the commit point, so an upload that fails or is aborted never touches the old object.
// See "A write stream that is correct under errors" in ftp-srv-notes.md.
import { type Hash, createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Crc64 } from '../util/crc64';
import { Semaphore } from '../util/semaphore';
import {
  IntegrityMismatch,
  type ObjectLocation,
  copySourceOf,
  crcHeader,
  describe,
  locate,
  objectParams,
  statusOf,
  withRetry,
} from './cos-object';
import { crc64Combine } from '../util/crc64-combine';
import { TransferError, aborted, storageFailed, tooLarge } from './errors';
import { MAX_PART_COUNT, MAX_PART_SIZE, MIN_PART_SIZE, PartSizer } from './part-size';
import { RequestGroup } from './request-group';
import type { TransferTarget } from './target';

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
}

interface StoredPart {
  PartNumber: number;
  ETag: string;
  size: number;
  /** Unknown for copied parts when COS does not say. */
  crc?: string;
}

export class CosUploadStream extends Writable {
  readonly target: TransferTarget;
  private readonly loc: ObjectLocation;
  private readonly log: Logger;
  private readonly maxBytes: number;
  private readonly perUpload: Semaphore;
  /** This upload's COS requests, so that a cancel aborts them at once. */
  private readonly requests: RequestGroup;

  /** Bytes of the old object kept in front (APPE / REST+STOR), and their CRC when COS gave one. */
  private keptSize = 0;
  private keptCrc: string | undefined;
  /** Parts made by Upload Part - Copy of the old object; data parts follow them. */
  private copiedParts: StoredPart[] = [];
  private sizer: PartSizer;

  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private pendingCrc = new Crc64();
  /** MD5 of the bytes so far while the whole file may still go up in one PutObject (its Content-MD5), computed as
   *  the bytes arrive so that no large hash blocks the event loop at the end. */
  private wholeMd5: Hash | undefined = createHash('md5');
  private nextPartNumber = 1;

  private uploadId: string | undefined;
  private initiating: Promise<string> | undefined;
  private completing: Promise<void> | undefined;
  private readonly stored: StoredPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Request bodies of parts in flight: destroying one makes the SDK abort that request. */
  private readonly bodies = new Set<Readable>();
  private failure: Error | undefined;
  private cancelled = false;
  private committed = false;
  private preparing: Promise<void> | undefined;

  /** New bytes received from the client. */
  bytesReceived = 0;

  constructor(target: TransferTarget, private readonly opts: UploadOptions = {}) {
    // A small buffer in front of _write: the data socket pauses as soon as a part waits for an upload slot.
    super({ highWaterMark: 64 * 1024 });
    this.target = target;
    this.loc = locate(target.account, target.key);
    this.requests = new RequestGroup(this.loc.cos);
    this.log = target.log.child({ key: target.key });
    const transfer = target.gateway.config.transfer;
    this.maxBytes = transfer.singleFileMaxSize;
    this.sizer = new PartSizer(transfer.minPartSize, transfer.singleFileMaxSize);
    const perUpload = Math.min(MAX_PARTS_IN_FLIGHT_PER_UPLOAD, Math.max(1, Math.ceil(transfer.uploadThreadNum / 2)));
    this.perUpload = new Semaphore(perUpload);
  }

  /**
   * Checks an APPE/REST offset against the object and keeps its bytes in front of the new ones. Call before 150;
   * rejects with a TransferError (554 for a wrong offset). Without append/start it does nothing.
   */
  prepare(): Promise<void> {
    this.preparing ??= this.keepExisting();
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
      throw new TransferError(
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

  private async head(): Promise<{ size: number; crc?: string; etag: string } | undefined> {
    try {
      const res = await withRetry('HeadObject', () => this.loc.cos.headObject(this.params()), {
        log: this.log,
        cancelled: () => this.cancelled,
      });
      const headers = (res.headers ?? {}) as Record<string, string | undefined>;
      return { size: Number(headers['content-length'] ?? 0), crc: crcHeader(res), etag: res.ETag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw storageFailed(`cannot read the current file (${describe(err)})`, err);
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
        const res = await withRetry(
          `UploadPartCopy ${partNumber}`,
          () =>
            this.loc.cos.uploadPartCopy({
              ...this.params(),
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySourceOf(this.loc),
              CopySourceRange: `bytes=${first}-${last}`,
              CopySourceIfMatch: etag,
            }),
          { log: this.log, cancelled: () => this.cancelled },
        );
        this.copiedParts.push({ PartNumber: partNumber, ETag: res.ETag, size: last - first + 1, crc: crcHeader(res) });
      } catch (err) {
        throw storageFailed(`cannot copy the current file (${describe(err)})`, err);
      }
    }
    const stored = this.copiedParts.length === 1 ? this.copiedParts[0].crc : undefined;
    if (stored !== undefined && this.keptCrc !== undefined && stored !== this.keptCrc) {
      throw storageFailed('the current file changed while appending', new IntegrityMismatch('copy', this.keptCrc, stored));
    }
    this.sizer = new PartSizer(this.sizer.base, this.maxBytes - size, MAX_PART_COUNT - count);
  }

  /** Small old objects are read back and sent again in front of the new bytes (COS has no small copy part). */
  private async refetchExisting(size: number, head: { crc?: string; etag: string }): Promise<void> {
    let body: Buffer;
    try {
      const res = await withRetry(
        'GetObject',
        () => this.loc.cos.getObject({ ...this.params(), IfMatch: head.etag }),
        { log: this.log, cancelled: () => this.cancelled },
      );
      body = Buffer.isBuffer(res.Body) ? res.Body : Buffer.from(res.Body as string);
    } catch (err) {
      throw storageFailed(`cannot read the current file (${describe(err)})`, err);
    }
    const crc = new Crc64().update(body).digest();
    if (body.length !== size || (head.crc !== undefined && crc !== head.crc)) {
      throw storageFailed('the current file changed while appending');
    }
    this.chunks.push(body);
    this.pendingCrc.update(body);
    this.wholeMd5?.update(body);
    this.pendingBytes = body.length;
  }

  /** Bucket, region and key, with this upload's request tag. */
  private params(): { Bucket: string; Region: string; Key: string; Headers: Record<string, string> } {
    return { ...objectParams(this.loc), Headers: this.requests.tag() };
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
    if (this.preparing) await this.preparing;
    if (this.keptSize + this.bytesReceived + chunk.length > this.maxBytes) throw tooLarge(this.maxBytes);
    this.bytesReceived += chunk.length;
    let rest = chunk;
    while (rest.length > 0) {
      const partSize = this.partSizeNow();
      // A full part is sent only once a further byte proves it is not the whole file (that one goes up by PUT).
      if (this.pendingBytes >= partSize) await this.flushPart();
      const take = Math.min(rest.length, this.partSizeNow() - this.pendingBytes);
      const piece = take === rest.length ? rest : rest.subarray(0, take);
      this.chunks.push(piece);
      this.pendingCrc.update(piece);
      this.wholeMd5?.update(piece);
      this.pendingBytes += take;
      rest = rest.subarray(take);
    }
  }

  private initiate(): Promise<string> {
    this.initiating ??= withRetry('InitiateMultipartUpload', () => this.loc.cos.multipartInit(this.params()), {
      log: this.log,
      cancelled: () => this.cancelled,
    }).then(
      (res) => {
        this.uploadId = res.UploadId;
        this.log.debug({ uploadId: res.UploadId }, 'multipart upload initiated');
        return res.UploadId;
      },
      (err: unknown) => {
        throw storageFailed(`cannot start the upload (${describe(err)})`, err);
      },
    );
    return this.initiating;
  }

  /** Turns the pending bytes into a part and starts sending it once this upload and the server have a free slot. */
  private async flushPart(): Promise<void> {
    const uploadId = await this.initiate();
    const part: FilledPart = {
      partNumber: this.nextPartNumber++,
      chunks: this.chunks,
      size: this.pendingBytes,
      crc: this.pendingCrc.digest(),
    };
    this.chunks = [];
    this.pendingBytes = 0;
    this.pendingCrc = new Crc64();
    this.wholeMd5 = undefined;
    if (part.partNumber > MAX_PART_COUNT) throw tooLarge(this.maxBytes);

    // Not calling back from _write while waiting here is what pauses the client's data socket.
    const releaseLocal = await this.perUpload.acquire();
    const releaseGlobal = await this.target.gateway.uploadSlots.acquire();
    if (this.failure || this.cancelled) {
      releaseGlobal();
      releaseLocal();
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
      const res = await withRetry(
        `UploadPart ${part.partNumber}`,
        async () => {
          if (this.cancelled) throw aborted();
          const body = Readable.from(part.chunks, { objectMode: false });
          this.bodies.add(body);
          try {
            const result = await this.loc.cos.multipartUpload({
              ...this.params(),
              UploadId: uploadId,
              PartNumber: part.partNumber,
              Body: body,
              ContentLength: part.size,
            });
            const crc = crcHeader(result);
            if (crc !== undefined && crc !== part.crc) throw new IntegrityMismatch(`part ${part.partNumber}`, part.crc, crc);
            return result;
          } finally {
            this.bodies.delete(body);
          }
        },
        { log: this.log, cancelled: () => this.cancelled },
      );
      this.stored.push({ PartNumber: part.partNumber, ETag: res.ETag, size: part.size, crc: part.crc });
    } catch (err) {
      if (!this.cancelled) this.fail(storageFailed(`part ${part.partNumber} could not be stored (${describe(err)})`, err));
    } finally {
      part.chunks = [];
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.log.error({ err: describe((err as TransferError).cause ?? err) }, 'upload failed');
    this.destroy(err);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(() => callback(), callback);
  }

  private async commit(): Promise<void> {
    // ftp-srv-notes: a reset may end() and destroy() in one go; give the destroy a turn to land first.
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
      this.completing = this.complete(this.uploadId);
      await this.completing;
    }
    this.committed = true;
  }

  /** The whole file in one PutObject; Content-MD5 makes COS refuse a damaged body instead of storing it. */
  private async putWhole(): Promise<void> {
    const chunks = this.chunks;
    const size = this.pendingBytes;
    const crc = this.pendingCrc.digest();
    const md5 = this.wholeMd5 ?? chunks.reduce((h, c) => h.update(c), createHash('md5'));
    const contentMd5 = md5.digest('base64');
    const release = await this.target.gateway.uploadSlots.acquire();
    try {
      await withRetry(
        'PutObject',
        async () => {
          if (this.cancelled) throw aborted();
          const body = size === 0 ? Buffer.alloc(0) : Readable.from(chunks, { objectMode: false });
          if (body instanceof Readable) this.bodies.add(body);
          try {
            const res = await this.loc.cos.putObject({
              ...this.params(),
              Body: body,
              ContentLength: size,
              Headers: this.requests.tag({ 'Content-MD5': contentMd5 }),
            });
            const stored = crcHeader(res);
            if (stored !== undefined && stored !== crc) throw new IntegrityMismatch('object', crc, stored);
          } finally {
            if (body instanceof Readable) this.bodies.delete(body);
          }
        },
        { log: this.log, cancelled: () => this.cancelled },
      );
    } catch (err) {
      if (err instanceof TransferError) throw err;
      if (err instanceof IntegrityMismatch) await this.deleteCorrupt();
      throw storageFailed(`the file could not be stored (${describe(err)})`, err);
    } finally {
      release();
      this.chunks = [];
    }
  }

  private async complete(uploadId: string): Promise<void> {
    const parts = [...this.copiedParts, ...this.stored].sort((a, b) => a.PartNumber - b.PartNumber);
    const expected = this.expectedCrc(parts);
    let stored: string | undefined;
    try {
      const res = await withRetry(
        'CompleteMultipartUpload',
        async (attempt) => {
          try {
            return await this.loc.cos.multipartComplete({
              ...this.params(),
              UploadId: uploadId,
              Parts: parts.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })),
            });
          } catch (err) {
            // A retry after a lost answer finds the upload gone: see whether the object is ours.
            if (attempt > 1 && (err as { code?: string }).code === 'NoSuchUpload') {
              const head = await this.loc.cos.headObject(this.params());
              if (expected !== undefined && crcHeader(head) === expected) return head;
            }
            throw err;
          }
        },
        { log: this.log },
      );
      this.uploadId = undefined;
      stored = crcHeader(res);
    } catch (err) {
      throw storageFailed(`the file could not be assembled (${describe(err)})`, err);
    }
    if (expected !== undefined && stored !== undefined && stored !== expected) {
      // Every part was verified, so this should not happen; never leave a wrong object behind.
      await this.deleteCorrupt();
      throw storageFailed('the assembled file does not match the data sent', new IntegrityMismatch('object', expected, stored));
    }
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
      await withRetry('DeleteObject', () => this.loc.cos.deleteObject(this.params()), { log: this.log });
      this.log.error('a corrupt object was stored and has been deleted');
    } catch (err) {
      this.log.error({ err: describe(err) }, 'a corrupt object was stored and could not be deleted');
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cancelled = true;
    for (const body of this.bodies) body.destroy(new Error('upload cancelled'));
    if (!this.committed) this.requests.cancel();
    this.cleanUp().then(
      () => callback(error),
      (err: unknown) => {
        this.log.error({ err: describe(err) }, 'cleaning up a failed upload failed');
        callback(error);
      },
    );
  }

  /** Nothing may stay behind: wait for the requests under way, then abort the multipart upload. */
  private async cleanUp(): Promise<void> {
    try {
      await this.initiating?.catch(() => undefined);
      await this.preparing?.catch(() => undefined);
      await Promise.allSettled([...this.inFlight]);
      await this.completing?.catch(() => undefined);
      const uploadId = this.uploadId;
      this.chunks = [];
      if (uploadId === undefined || this.committed) return;
      try {
        await withRetry(
          'AbortMultipartUpload',
          () => this.loc.cos.multipartAbort({ ...this.params(), UploadId: uploadId }),
          { log: this.log },
        );
        this.log.info({ uploadId }, 'multipart upload aborted');
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      this.uploadId = undefined;
    } finally {
      this.requests.close();
    }
  }
}
