// The server-wide upload buffer budget (`upload_buffer_size`): however many uploads run, the bytes held for their
// parts stay within it. An upload reserves a whole part before it reads the part's first byte and gives the space
// back when the part has gone up (or the upload ends), so a reservation is never partly used while its owner waits
// for more: every holder can fill its part and send it without further space, and nothing can deadlock. Requests
// are granted strictly in arrival order (a large request at the head is not overtaken by smaller ones), so no
// upload starves. Waiting means the upload's _write has not called back: its data socket is paused.
//
// A granted reservation comes with the memory itself: one buffer of its size, into which the upload copies the
// client's bytes. Buffers are reused from part to part and from file to file while uploads run. Once none has held
// space for IDLE_RELEASE_MS (as long as the buffer pools keep theirs, src/util/buffer-pool.ts), their memory goes
// back to the system, well within 30 s: where native/memory.c is built, the spare buffers' pages are given back and
// the buffers kept, so that the next upload allocates nothing and no collection throws away the upload path's
// optimized code; elsewhere they are dropped and collected (docs/hot-path.md, "Part buffers after idle").
// Parts kept as the socket's own 64 KiB chunks left the allocator's heap fragmented after an upload (the process
// kept about 90 MiB after a 256 MiB upload ended). Each buffer is allocated at least MAPPED_MIN long, so that glibc
// always maps it on its own and unmaps it when freed: below 32 MiB, freeing a mapped block raises glibc's mmap
// threshold to its size, the next part of the same size then came from the heap, and the heap kept it after the
// upload. Only the pages written count in RSS, so the unused tail costs address space, not memory.
import { giveBackIdle } from '../util/memory-pages';

/** A request for buffer space; `release()` gives it back, or withdraws it while it still waits. */
export interface Reservation {
  readonly bytes: number;
  /** Resolves once the space is held, or once the request is withdrawn (then `held` is false). */
  readonly granted: Promise<void>;
  readonly held: boolean;
  /** The reserved memory (`bytes` long), once held; never touch it after `release()`. */
  readonly buffer: Buffer | undefined;
  /**
   * `reuse: false`: the memory may still be written by someone else (a data socket's pending read), so it is not
   * handed to another reservation; it is left to the collector.
   */
  release(options?: { reuse?: boolean }): void;
}

/** How long spare buffers are kept once no upload holds space. */
export const IDLE_RELEASE_MS = 15_000;

/** Above glibc's largest dynamic mmap threshold (32 MiB on 64-bit), so always mapped and never raising it. */
const MAPPED_MIN = 33 * 1024 * 1024;

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class UploadBufferBudget {
  private used = 0;
  private peakUsed = 0;
  private readonly queue: Waiter[] = [];
  /** Buffers given back, by size, for the next reservations; once nothing is held for IDLE_RELEASE_MS, their pages
   *  are given back (or, without the addon, the list is emptied). Held and spare bytes together never exceed the
   *  capacity, so the memory of the budget is bounded by it too (beyond it only a buffer released with
   *  `reuse: false`: it lives on until the data socket that may read into it is closed and the buffer collected, at
   *  the latest by the collection after idle; at most one part per upload that ended while its socket could read). */
  private readonly spare = new Map<number, Buffer[]>();
  private spareBytes = 0;
  /** A buffer was left to the collector (released with `reuse: false`, or a spare dropped) since the last idle. */
  private dropped = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly capacity: number) {}

  /** Bytes reserved now. */
  get current(): number {
    return this.used;
  }

  /** Most bytes ever reserved at once (since start or the last `resetPeak`). */
  get peak(): number {
    return this.peakUsed;
  }

  /** Uploads waiting for space. */
  get waiting(): number {
    return this.queue.length;
  }

  resetPeak(): void {
    this.peakUsed = this.used;
  }

  /**
   * Asks for `bytes` of buffer space. A request larger than the whole budget is cut to the budget (it is then
   * granted only when nothing else is held); part sizes are validated against the budget, so this is a safety net.
   */
  reserve(bytes: number): Reservation {
    const size = Math.max(0, Math.min(bytes, this.capacity));
    let state: 'waiting' | 'held' | 'released' = 'waiting';
    let memory: Buffer | undefined;
    let settle: () => void = () => undefined;
    const granted = new Promise<void>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      bytes: size,
      grant: () => {
        state = 'held';
        this.take(size);
        memory = this.takeMemory(size);
        settle();
      },
    };
    if (this.queue.length === 0 && this.used + size <= this.capacity) waiter.grant();
    else this.queue.push(waiter);
    return {
      bytes: size,
      granted,
      get held() {
        return state === 'held';
      },
      get buffer() {
        return memory;
      },
      release: (options) => {
        if (state === 'released') return;
        if (state === 'held') this.giveBack(size, options?.reuse === false ? undefined : memory);
        else this.queue.splice(this.queue.indexOf(waiter), 1);
        state = 'released';
        memory = undefined;
        settle();
        this.grantWaiting();
      },
    };
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peakUsed) this.peakUsed = this.used;
  }

  /** A spare buffer of this size, or a new one (dropping spare ones of other sizes that no longer fit). */
  private takeMemory(bytes: number): Buffer {
    const reused = this.spare.get(bytes)?.pop();
    if (reused) {
      this.spareBytes -= bytes;
      return reused;
    }
    for (const [size, list] of this.spare) {
      while (list.length > 0 && this.used + this.spareBytes > this.capacity) {
        list.pop();
        this.spareBytes -= size;
        this.dropped = true;
      }
    }
    return Buffer.allocUnsafeSlow(Math.max(bytes, MAPPED_MIN)).subarray(0, bytes);
  }

  private giveBack(bytes: number, memory: Buffer | undefined): void {
    this.used -= bytes;
    if (this.used === 0) this.releaseWhenIdle();
    if (!memory) {
      this.dropped = true;
      return;
    }
    this.spareBytes += bytes;
    const list = this.spare.get(bytes);
    if (list) list.push(memory);
    else this.spare.set(bytes, [memory]);
  }

  /** Gives the spare buffers' memory back to the system unless space is held again by then. */
  private releaseWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.used > 0) return;
      // Pages given back, buffers kept (they read as zeros until written again), else the buffers dropped.
      if (!giveBackIdle([...this.spare.values()].flat(), this.dropped)) {
        this.spare.clear();
        this.spareBytes = 0;
      }
      this.dropped = false;
    }, IDLE_RELEASE_MS);
    this.idleTimer.unref();
  }

  /** Grants queued requests in order while the first one fits. */
  private grantWaiting(): void {
    while (this.queue.length > 0 && this.used + this.queue[0].bytes <= this.capacity) {
      (this.queue.shift() as Waiter).grant();
    }
  }
}
