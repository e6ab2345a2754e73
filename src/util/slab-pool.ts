// Large read buffers ("slabs", 1 MiB) for the GetObject client, shared out as several views each. A download reads
// the store's answer straight into a slab and hands views of it on; a fresh slab per MiB made V8 run a full
// collection every ~25 MiB (external memory pressure): measured, 20 major collections and 0.7 CPU s per GiB more.
// The slabs themselves come from a BufferPool (buffer-pool.ts: spares kept, dropped when idle); what this adds is
// that one slab is lent out as many views.
//
// Ownership is counted per slab: one reference for its producer (while it fills the slab) and one per view lent
// out. A view comes back through `giveBack` from whoever consumed it last (the FTP data socket, once the write has
// completed); only a view made by `lend` counts, and only once, so a foreign buffer, a copy, a view of a view or a
// second give-back changes nothing. A view that never comes back is collected with its slab: forgetting to give
// back costs speed, never correctness.
import { BufferPool } from './buffer-pool';

export const SLAB_BYTES = 1024 * 1024;

/** Spare slabs kept at most (more in use at once are allocated and left to the collector). */
const slabs = new BufferPool(SLAB_BYTES, 32);

interface SlabState {
  slab: Buffer;
  refs: number;
  /** The producer has dropped it (counted once, however often it says so). */
  dropped: boolean;
}

const states = new WeakMap<Buffer, SlabState>();
const lent = new WeakMap<Uint8Array, SlabState>();

/** A slab for a producer to fill; give it up with `dropSlab` when it moves on. */
export function takeSlab(): Buffer {
  const slab = slabs.take();
  states.set(slab, { slab, refs: 1, dropped: false });
  return slab;
}

/** The producer is done with the slab (it may still be lent out). No-op for a buffer not from `takeSlab`. */
export function dropSlab(slab: Buffer): void {
  const state = states.get(slab);
  if (!state || state.dropped) return;
  state.dropped = true;
  unref(state);
}

/** A view of `slab[from, to)` to hand on; for a slab not from `takeSlab`, a plain view. */
export function lend(slab: Buffer, from: number, to: number): Buffer {
  const view = slab.subarray(from, to);
  const state = states.get(slab);
  if (state) {
    state.refs++;
    lent.set(view, state);
  }
  return view;
}

/** Whoever consumed a view last says so: if it was lent from a slab, its slab may be used again. */
export function giveBack(view: Uint8Array): void {
  const state = lent.get(view);
  if (!state) return;
  lent.delete(view);
  unref(state);
}

function unref(state: SlabState): void {
  if (--state.refs > 0) return;
  states.delete(state.slab);
  slabs.give(state.slab);
}
