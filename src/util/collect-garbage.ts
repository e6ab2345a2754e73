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

/** Collects garbage now (best effort); freed buffers' memory then goes back to the system. */
export function collectGarbage(): void {
  collector()?.();
}
