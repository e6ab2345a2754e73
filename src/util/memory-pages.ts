// Giving a long-lived buffer's memory back to the system without dropping the buffer, through the addon
// native/memory.c (see there; why: docs/hot-path.md, "Part buffers after idle"). Without the addon (no C compiler
// at build time) or off Linux, `discardPages` answers false and callers keep their portable behaviour: drop the
// buffer and let a collection free it.
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
