// The server-wide upload buffer budget (`upload_buffer_size`): however many uploads run, the bytes held for their
// parts stay within it. An upload reserves a whole part before it reads the part's first byte and gives the space
// back when the part has gone up (or the upload ends), so a reservation is never partly used while its owner waits
// for more: every holder can fill its part and send it without further space, and nothing can deadlock. Requests
// are granted strictly in arrival order (a large request at the head is not overtaken by smaller ones), so no
// upload starves. Waiting means the upload's _write has not called back: its data socket is paused.

/** A request for buffer space; `release()` gives it back, or withdraws it while it still waits. */
export interface Reservation {
  readonly bytes: number;
  /** Resolves once the space is held, or once the request is withdrawn (then `held` is false). */
  readonly granted: Promise<void>;
  readonly held: boolean;
  release(): void;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class UploadBufferBudget {
  private used = 0;
  private peakUsed = 0;
  private readonly queue: Waiter[] = [];

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
    let settle: () => void = () => undefined;
    const granted = new Promise<void>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      bytes: size,
      grant: () => {
        state = 'held';
        this.take(size);
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
      release: () => {
        if (state === 'released') return;
        if (state === 'held') this.used -= size;
        else this.queue.splice(this.queue.indexOf(waiter), 1);
        state = 'released';
        settle();
        this.grantWaiting();
      },
    };
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peakUsed) this.peakUsed = this.used;
  }

  /** Grants queued requests in order while the first one fits. */
  private grantWaiting(): void {
    while (this.queue.length > 0 && this.used + this.queue[0].bytes <= this.capacity) {
      (this.queue.shift() as Waiter).grant();
    }
  }
}
