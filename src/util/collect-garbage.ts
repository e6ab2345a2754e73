// One full garbage collection, on demand, for the moment transfers have ended and their buffers were dropped. V8
// gives a buffer's memory back only once it collects the Buffer object, and an idle process may not collect for a
// long time: measured, a gateway still held 118 MiB of freed upload buffers 30 s after its last upload. One
// collection of the gateway's small heap takes a few milliseconds. `gc` is not exposed without --expose-gc, so the
// flag is set at run time and the function taken from a fresh context (where V8 installs it); if that fails,
// collection is left to V8.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const found: unknown = vm.runInNewContext('gc');
      gc = typeof found === 'function' ? (found as () => void) : null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/** Requests this close together share one collection. */
const COALESCE_MS = 1000;
let scheduled: NodeJS.Timeout | undefined;

/**
 * Collects garbage within a second (best effort); freed buffers' memory then goes back to the system. Requests in
 * that second share one collection: the buffer pools drop their spares from timers of their own that fire a few ms
 * apart, and each full collection of the gateway's heap took ~10-20 ms (measured, back to back).
 */
export function collectGarbage(): void {
  if (scheduled) return;
  scheduled = setTimeout(() => {
    scheduled = undefined;
    collector()?.();
  }, COALESCE_MS);
  scheduled.unref();
}
