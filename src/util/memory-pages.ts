// Giving a long-lived buffer's memory back to the system without dropping the buffer, through the addon
// native/memory.c (see there; why: docs/hot-path.md, "Part buffers after idle"). Without the addon (no C compiler
// at build time) or off Linux, `discardPages` answers false and callers keep their portable behaviour: drop the
// buffer and let a collection free it.
import { collectGarbage } from './collect-garbage';
import { loadNativeAddon } from './native-addon';

interface NativeMemory {
  discardPages(buffer: Uint8Array): boolean;
}

const native = loadNativeAddon<NativeMemory>(
  'memory',
  (exports) => typeof exports.discardPages === 'function',
  'idle buffers are dropped and collected instead',
);

/** Whether `discardPages` can work here. */
export const canDiscardPages = native !== undefined && process.platform === 'linux';

/**
 * Gives the buffer's whole pages back to the system now (RSS drops); the buffer stays usable, and its bytes read as
 * zeros where they were given back. False if not done: then the caller should drop the buffer instead.
 */
export function discardPages(buffer: Uint8Array): boolean {
  return canDiscardPages && native !== undefined && native.discardPages(buffer);
}

/**
 * The idle step of a set of spare buffers: their pages are given back and the buffers may be kept (true), or, where
 * that cannot be done, the caller drops them (false). One collection follows when there is something to free: the
 * dropped spares, or buffers the caller left to the collector meanwhile (`dropped`); an idle process collects
 * nothing by itself (collect-garbage.ts), and a collection without need throws away the transfer path's optimized
 * code (docs/hot-path.md).
 */
export function giveBackIdle(spares: Iterable<Buffer>, dropped: boolean): boolean {
  let kept = true;
  for (const buffer of spares) {
    if (!discardPages(buffer)) {
      kept = false;
      break;
    }
  }
  if (!kept || dropped) collectGarbage();
  return kept;
}
