// Large read buffers ("slabs", 1 MiB) that are used again instead of allocated per MiB. A download reads the
// store's answer straight into a slab and hands views of it on; allocating a fresh slab per MiB made V8 run a full
// collection every ~25 MiB (external memory pressure): measured, 20 major collections and 0.7 CPU s per GiB more.
//
// Ownership is counted per slab: one reference for its producer (while it fills the slab) and one per view lent
// out. A view comes back through `releaseChunk` from whoever consumed it last (the FTP data socket, once the write
// has completed); only a view lent by `lend` counts, and only once, so a foreign buffer, a copy or a second release
// changes nothing. A view that never comes back is simply collected with its slab: forgetting a release costs
// speed, never correctness. Spare slabs are dropped once none has been taken for 2 s, so an idle process gives
// their memory back.
import { collectGarbage } from './collect-garbage';

export const SLAB_BYTES = 1024 * 1024;
/** Spare slabs kept at most (more in use at once are allocated and left to the collector). */
const MAX_SPARE = 32;
const IDLE_MS = 2000;

interface SlabState {
  slab: Buffer;
  refs: number;
}

const spare: Buffer[] = [];
const slabs = new WeakMap<ArrayBuffer, SlabState>();
const lent = new WeakMap<Uint8Array, SlabState>();
let idleTimer: NodeJS.Timeout | undefined;

/** A slab for a producer to fill; give it up with `dropSlab` when it moves on. */
export function takeSlab(): Buffer {
  armIdle();
  const slab = spare.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
  slabs.set(slab.buffer as ArrayBuffer, { slab, refs: 1 });
  return slab;
}

/** The producer is done with the slab (it may still be lent out). No-op for a buffer not from `takeSlab`. */
export function dropSlab(slab: Buffer): void {
  const state = slabs.get(slab.buffer as ArrayBuffer);
  if (state && state.slab === slab) unref(state);
}

/** A view of `slab[from, to)` to hand on; for a slab not from `takeSlab`, a plain view. */
export function lend(slab: Buffer, from: number, to: number): Buffer {
  const view = slab.subarray(from, to);
  const state = slabs.get(slab.buffer as ArrayBuffer);
  if (state && state.slab === slab) {
    state.refs++;
    lent.set(view, state);
  }
  return view;
}

/** Whoever consumed a chunk last says so: if it was lent from a slab, its slab may be used again. */
export function releaseChunk(chunk: Uint8Array): void {
  const state = lent.get(chunk);
  if (!state) return;
  lent.delete(chunk);
  unref(state);
}

function unref(state: SlabState): void {
  if (--state.refs > 0) return;
  slabs.delete(state.slab.buffer as ArrayBuffer);
  if (spare.length < MAX_SPARE) spare.push(state.slab);
}

function armIdle(): void {
  if (idleTimer) {
    idleTimer.refresh();
    return;
  }
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (spare.length === 0) return;
    spare.length = 0;
    collectGarbage();
  }, IDLE_MS);
  idleTimer.unref();
}
