// Where object and part bytes live. Memory mode keeps the received Buffers (no copies); data-folder mode streams
// them to a temp file that is renamed into `blobs/` only when complete, so a cut-off upload leaves nothing.
import { randomBytes } from 'node:crypto';
import { createReadStream, linkSync, mkdirSync, promises as fsp, unlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoredBlob {
  /** Unique name; in data-folder mode the file name under `blobs/`. */
  id: string;
  size: number;
  /** Memory mode only: the bytes. */
  chunks?: Buffer[];
}

export interface BlobWriter {
  /** Stores a chunk; returns a promise when the caller should wait before the next one (backpressure). */
  write(chunk: Buffer): Promise<void> | undefined;
  finish(): Promise<StoredBlob>;
  discard(): Promise<void>;
}

export interface BlobStore {
  createWriter(): Promise<BlobWriter>;
  /** Bytes [start, end) of a blob. */
  read(blob: StoredBlob, start: number, end: number): AsyncIterable<Buffer>;
  /** An independent blob with the same bytes (cheap: shared Buffers, or a hard link). */
  duplicate(blob: StoredBlob): StoredBlob;
  /** The blob is no longer referenced; its space may be reclaimed (after current readers finish). */
  release(blob: StoredBlob): void;
  /** Keeps a blob readable until `unpin`, even if released meanwhile (a GET racing an overwrite). */
  pin(blob: StoredBlob): void;
  unpin(blob: StoredBlob): void;
}

export function newId(): string {
  return Date.now().toString(36) + randomBytes(10).toString('hex');
}

export class MemoryBlobStore implements BlobStore {
  async createWriter(): Promise<BlobWriter> {
    const chunks: Buffer[] = [];
    let size = 0;
    return {
      write(chunk) {
        chunks.push(chunk);
        size += chunk.length;
        return undefined;
      },
      async finish() {
        return { id: newId(), size, chunks };
      },
      async discard() {
        chunks.length = 0;
      },
    };
  }

  async *read(blob: StoredBlob, start: number, end: number): AsyncIterable<Buffer> {
    let offset = 0;
    for (const chunk of blob.chunks ?? []) {
      const chunkEnd = offset + chunk.length;
      if (chunkEnd > start && offset < end) {
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset, chunk.length);
        yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
      }
      offset = chunkEnd;
      if (offset >= end) break;
    }
  }

  duplicate(blob: StoredBlob): StoredBlob {
    return { id: newId(), size: blob.size, chunks: blob.chunks };
  }

  release(): void {
    // Garbage collection reclaims the Buffers.
  }

  pin(): void {}

  unpin(): void {}
}

const WRITE_BATCH_BYTES = 1 << 20;
const READ_CHUNK_BYTES = 1 << 20;

export class DiskBlobStore implements BlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;
  private readonly readers = new Map<string, number>();
  private readonly releaseWhenIdle = new Set<string>();

  constructor(dataDir: string) {
    this.blobDir = join(dataDir, 'blobs');
    this.tmpDir = join(dataDir, 'tmp');
    mkdirSync(this.blobDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  async createWriter(): Promise<BlobWriter> {
    const id = newId();
    const tmpPath = join(this.tmpDir, id);
    const handle: FileHandle = await fsp.open(tmpPath, 'wx');
    const blobDir = this.blobDir;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    // At most one write in flight while the next batch fills, so network and disk overlap.
    let inFlight: Promise<unknown> = Promise.resolve();
    let closed = false;

    const flush = async (): Promise<void> => {
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      await inFlight;
      inFlight = handle.writev(batch);
      // Marks the rejection as handled now; whoever awaits inFlight next still sees it.
      inFlight.catch(() => undefined);
    };
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await inFlight.catch(() => undefined);
      await handle.close();
    };

    return {
      write(chunk) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        size += chunk.length;
        return pendingBytes >= WRITE_BATCH_BYTES ? flush() : undefined;
      },
      async finish() {
        if (pendingBytes > 0) await flush();
        await inFlight;
        await close();
        await fsp.rename(tmpPath, join(blobDir, id));
        return { id, size };
      },
      async discard() {
        await close().catch(() => undefined);
        await fsp.unlink(tmpPath).catch(() => undefined);
      },
    };
  }

  async *read(blob: StoredBlob, start: number, end: number): AsyncIterable<Buffer> {
    if (end <= start) return;
    const stream = createReadStream(join(this.blobDir, blob.id), {
      start,
      end: end - 1,
      highWaterMark: READ_CHUNK_BYTES,
    });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      stream.destroy();
    }
  }

  pin(blob: StoredBlob): void {
    this.readers.set(blob.id, (this.readers.get(blob.id) ?? 0) + 1);
  }

  unpin(blob: StoredBlob): void {
    const left = (this.readers.get(blob.id) ?? 1) - 1;
    if (left > 0) {
      this.readers.set(blob.id, left);
      return;
    }
    this.readers.delete(blob.id);
    if (this.releaseWhenIdle.delete(blob.id)) this.unlink(blob.id);
  }

  duplicate(blob: StoredBlob): StoredBlob {
    const id = newId();
    linkSync(join(this.blobDir, blob.id), join(this.blobDir, id));
    return { id, size: blob.size };
  }

  release(blob: StoredBlob): void {
    if (this.readers.has(blob.id)) this.releaseWhenIdle.add(blob.id);
    else this.unlink(blob.id);
  }

  private unlink(id: string): void {
    try {
      unlinkSync(join(this.blobDir, id));
    } catch {
      // Already gone.
    }
  }
}
