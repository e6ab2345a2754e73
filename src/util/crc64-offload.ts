// CRC-64 of a stream computed on worker threads, so that checking a download costs the event loop a memory copy
// per MiB instead of the hashing itself (the event loop was the limit of a download). Bytes are copied into 1 MiB
// batches and sent in order to the job's worker; `update` returns false when the worker has fallen behind and
// `whenRelieved` says when to go on, so the memory held stays bounded. With one CPU it hashes inline.
// With the native CRC-64 on a CPU with carry-less multiplication (crc64.ts) hashing costs ~0.06 ms per MiB, less than
// the hand-off itself (a copy, a message, an ack: ~0.5 ms per MiB on the event loop), so then it hashes inline too and
// the workers are never started; they stay for the WebAssembly and JS fallbacks.
// The worker hands each batch's memory back with its ack and the next batch is filled into it: allocating a fresh
// 1 MiB per batch (freed later by the worker's garbage collector) left the allocator's heap fragmented, and the
// process kept about 100 MiB after a download ended. The spare batches are dropped once no job has run for 2 s.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { collectGarbage } from './collect-garbage';
import { Crc64, crc64Accelerated } from './crc64';
import type { CrcReply, CrcRequest } from './crc64-worker';

const BATCH = 1024 * 1024;
/** Bytes sent but not yet hashed beyond which `update` reports pressure. */
const MAX_OUTSTANDING = 8 * BATCH;
/** Batches handed back by the workers, filled again by the next updates (at most what may be outstanding, twice). */
const spare: Buffer[] = [];
const MAX_SPARE = 2 * (MAX_OUTSTANDING / BATCH) + 2;
let runningJobs = 0;

function takeBatch(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
}

function giveBatch(memory: ArrayBuffer): void {
  if (spare.length < MAX_SPARE && memory.byteLength === BATCH) spare.push(Buffer.from(memory));
}

let idleTimer: NodeJS.Timeout | undefined;

/** A job ended: with none left for a while, the spare batches go (their memory is given back when collected). */
function jobEnded(): void {
  runningJobs = Math.max(0, runningJobs - 1);
  if (runningJobs > 0) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (runningJobs > 0) return;
    spare.length = 0;
    collectGarbage();
  }, 2000);
  idleTimer.unref();
}

interface JobState {
  outstanding: number;
  onAck?: () => void;
  onDigest?: (crc: string) => void;
  onFail?: (err: Error) => void;
}

class CrcWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, JobState>();
  failed = false;

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'crc64-worker.js'));
    this.worker.on('message', (reply: CrcReply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      if (reply.type === 'ack') {
        giveBatch(reply.buffer);
        job.outstanding -= reply.bytes;
        job.onAck?.();
      } else {
        this.remove(reply.id);
        job.onDigest?.(reply.crc);
      }
    });
    const fail = (err: Error): void => {
      this.failed = true;
      for (const job of this.jobs.values()) job.onFail?.(err);
      this.jobs.clear();
      this.worker.unref();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`CRC-64 worker exited (${code})`)));
    // An idle pool must not keep a finished process alive: referenced only while it has jobs.
    this.worker.unref();
  }

  add(id: number, job: JobState): void {
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
  }

  remove(id: number): void {
    if (this.jobs.delete(id) && this.jobs.size === 0) this.worker.unref();
  }

  post(message: CrcRequest, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }
}

/** Whether hashing on the event loop is cheaper than handing the bytes to a worker. */
const INLINE_IS_CHEAPER = crc64Accelerated;

let pool: CrcWorker[] | undefined;
let respawnsLeft = 8;
let nextId = 1;

function poolSize(): number {
  return Math.max(0, Math.min(4, os.availableParallelism() - 1));
}

/** The pool's threads (for the status of the process and for tests that make one fail). */
export function crcWorkerThreads(): readonly Worker[] {
  return (pool ?? []).filter((w) => !w.failed).map((w) => w.worker);
}

/** The least busy worker, or undefined when hashing inline (one CPU, or the workers could not start). */
function pickWorker(): CrcWorker | undefined {
  if (pool === undefined) {
    try {
      pool = Array.from({ length: poolSize() }, () => new CrcWorker());
    } catch {
      pool = [];
    }
  }
  // A worker that died is replaced, a few times at most (a worker that cannot start at all means hashing inline).
  pool = pool.map((w) => {
    if (!w.failed || respawnsLeft <= 0) return w;
    respawnsLeft--;
    try {
      return new CrcWorker();
    } catch {
      return w;
    }
  });
  const live = pool.filter((w) => !w.failed);
  if (live.length === 0) return undefined;
  return live.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
}

/** 'auto': inline when that is cheaper (native CRC-64) or there are no workers; 'workers': on a worker when any can
 *  run (for tests of the fallback's path on a machine that has the native CRC-64). */
export type CrcPlacement = 'auto' | 'workers';

/** A CRC-64/XZ over bytes given in order; `digest()` resolves to the unsigned decimal string COS sends. */
export class OffloadedCrc64 {
  private readonly id = nextId++;
  private readonly worker: CrcWorker | undefined;
  private readonly inline: Crc64 | undefined;
  private readonly state: JobState = { outstanding: 0 };
  private batch: Buffer | undefined;
  private filled = 0;
  private finished = false;
  /** Set when the worker died: updates are dropped and `digest()` rejects, so the transfer fails instead of hanging. */
  private failure: Error | undefined;

  /** Counted in runningJobs until digested or dropped. */
  private counted = false;

  constructor(placement: CrcPlacement = 'auto') {
    this.worker = placement === 'auto' && INLINE_IS_CHEAPER ? undefined : pickWorker();
    this.inline = this.worker ? undefined : new Crc64();
    // Only worker jobs count: their batches are what the idle clean-up drops. An inline job holds nothing of this
    // module's (a download's slabs go back through slab-pool.ts), and a collection 2 s after every download threw
    // away the transfer path's optimized code (why: buffer-pool.ts, IDLE_RELEASE_MS).
    if (this.worker) {
      runningJobs++;
      this.counted = true;
    }
    this.state.onFail = (err) => {
      this.failure = err;
      this.state.outstanding = 0;
      this.state.onAck?.();
    };
    this.worker?.add(this.id, this.state);
  }

  /** Adds bytes. Returns false when the worker is behind: wait for `whenRelieved` before sending much more. */
  update(chunk: Uint8Array): boolean {
    if (this.inline) {
      this.inline.update(chunk);
      return true;
    }
    if (this.failure) return true;
    let offset = 0;
    while (offset < chunk.length) {
      this.batch ??= takeBatch();
      const n = Math.min(BATCH - this.filled, chunk.length - offset);
      this.batch.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === BATCH) this.flush();
    }
    return this.state.outstanding <= MAX_OUTSTANDING;
  }

  /** Calls back once the worker has caught up below the limit. */
  whenRelieved(callback: () => void): void {
    if (this.state.outstanding <= MAX_OUTSTANDING) return callback();
    this.state.onAck = () => {
      if (this.state.outstanding > MAX_OUTSTANDING) return;
      this.state.onAck = undefined;
      callback();
    };
  }

  digest(): Promise<string> {
    if (this.inline) {
      this.uncount();
      return Promise.resolve(this.inline.digest());
    }
    const worker = this.worker as CrcWorker;
    this.flush();
    this.finished = true;
    return new Promise<string>((resolve, reject) => {
      if (this.failure || worker.failed) return reject(this.failure ?? new Error('CRC-64 worker failed'));
      this.state.onDigest = resolve;
      this.state.onFail = reject;
      worker.post({ type: 'digest', id: this.id });
    }).finally(() => this.uncount());
  }

  /** Forgets the job (a transfer that failed or was cancelled). */
  drop(): void {
    this.uncount();
    if (!this.worker || this.finished) return;
    this.finished = true;
    this.worker.remove(this.id);
    this.worker.post({ type: 'drop', id: this.id });
  }

  private uncount(): void {
    if (!this.counted) return;
    this.counted = false;
    jobEnded();
  }

  private flush(): void {
    if (!this.batch || this.filled === 0 || !this.worker || this.failure) return;
    const data = new Uint8Array(this.batch.buffer, this.batch.byteOffset, this.filled);
    this.state.outstanding += this.filled;
    this.worker.post({ type: 'update', id: this.id, data }, [this.batch.buffer as ArrayBuffer]);
    this.batch = undefined;
    this.filled = 0;
  }
}
