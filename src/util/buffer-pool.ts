// Reused I/O buffers for the transfer hot paths. A socket that reads into a fresh 64 KiB buffer per read (Node's
// default) made V8 run a full mark-compact about every 30 MiB moved: the read buffers outlived the young
// generation, so only a full collection freed them. Measured on a 512 MiB upload: 94 → 28 mark-compacts and
// 1.1 → 0.5 CPU s once the data socket read into reused buffers (docs/hot-path.md).
//
// A buffer is taken for one read (or one slab of reads), handed on as a borrowed chunk (a view of it), and given
// back by the chunk's last user once its bytes are no longer needed (its socket write or stream write called back).
// Giving back is optional: a chunk never given back is garbage-collected like any other. Giving back a chunk twice,
// or while something still reads it, would let the next read overwrite it; so exactly one place gives back, and
// only when the chunk's bytes have been consumed. Spare buffers give their memory back once none has been borrowed
// for a while.
import { giveBackIdle } from './memory-pages';

/**
 * How long spare buffers keep their memory once none is borrowed. Where their pages cannot be given back alone
 * (no native/memory.c), giving the memory back means dropping them, which needs a full collection, and a full
 * collection while no transfer runs throws away the optimized code of the whole transfer path (V8 deoptimizes code
 * whose embedded objects died, "weak objects"); the next transfer then runs unoptimized until it is re-optimized.
 * Measured with a 2 s wait (512 MiB downloads, 3 s idle before each): ~25 functions re-optimized per download,
 * 0.19-0.22 CPU s each against 0.14-0.15 without the collection, and 5-10 % slower; so spares outlive a short pause
 * between transfers and go after 15 s. Pages given back fault in again (zeroed by the kernel) when next used.
 */
const IDLE_RELEASE_MS = 15_000;

export interface BufferPoolStats {
  /** Buffers ever allocated by this pool. */
  allocated: number;
  /** Takes ever served (allocated or reused). */
  taken: number;
  /** Buffers kept for the next take. */
  spare: number;
}

export class BufferPool {
  private readonly spare: Buffer[] = [];
  /** Borrowed buffers by their memory, so that any view of one finds it (weakly: one never given back is collected). */
  private readonly out = new WeakMap<ArrayBufferLike, Buffer>();
  private allocated = 0;
  private taken = 0;
  private lastTake = 0;
  /** A given-back buffer was left to the collector (more than maxSpare) since the last idle. */
  private dropped = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    /** Bytes per buffer. */
    readonly size: number,
    /** Spare buffers kept at most (beyond that, given-back buffers are left to the garbage collector). */
    private readonly maxSpare: number,
  ) {}

  /** A buffer of `size` bytes, borrowed until given back (its content is whatever was there). */
  take(): Buffer {
    this.lastTake = performance.now();
    this.taken++;
    let buffer = this.spare.pop();
    if (!buffer) {
      // Its own memory (not a slice of Node's shared pool), so that the memory identifies it.
      buffer = Buffer.allocUnsafeSlow(this.size);
      this.allocated++;
    }
    this.out.set(buffer.buffer, buffer);
    return buffer;
  }

  /** Gives back the buffer `chunk` is a view of; anything else (or a buffer not borrowed now) is ignored. */
  give(chunk: Uint8Array): void {
    const buffer = this.out.get(chunk.buffer);
    if (!buffer) return;
    this.out.delete(chunk.buffer);
    if (this.spare.length >= this.maxSpare) this.dropped = true;
    else this.spare.push(buffer);
    this.dropWhenIdle();
  }

  stats(): BufferPoolStats {
    return { allocated: this.allocated, taken: this.taken, spare: this.spare.length };
  }

  /**
   * Once nothing has been taken for IDLE_RELEASE_MS, the spare buffers' memory goes back: their pages where
   * native/memory.c is built (the buffers stay, nothing is collected), else the buffers (with the next collection).
   */
  private dropWhenIdle(): void {
    if (this.idleTimer) return;
    const check = (): void => {
      const idleFor = performance.now() - this.lastTake;
      if (idleFor < IDLE_RELEASE_MS) {
        this.idleTimer = setTimeout(check, IDLE_RELEASE_MS - idleFor);
        this.idleTimer.unref();
        return;
      }
      this.idleTimer = undefined;
      if (!giveBackIdle(this.spare, this.dropped)) this.spare.length = 0;
      this.dropped = false;
    };
    this.idleTimer = setTimeout(check, IDLE_RELEASE_MS);
    this.idleTimer.unref();
  }
}

/**
 * Buffers that plain FTP data connections read into (uploads). Every data connection holds one for its next read,
 * also while paused (an upload waiting for buffer budget), so the size is a trade: bench budget case (64 waiting
 * uploads), peak RSS / (budget + 150 MiB) 1.00 with 256 KiB, 0.94 with 128 KiB, 0.92 with 64 KiB; CPU per 512 MiB
 * upload about 0.05 s more with 64 KiB than with 256 KiB (more reads), 128 KiB in between.
 */
export const dataReadBuffers = new BufferPool(128 * 1024, 128);
