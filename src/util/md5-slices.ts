// MD5 (base64, as Content-MD5 wants it) of up to a part's worth of bytes without blocking the event loop for the
// whole of it: 1 MiB at a time (~2 ms), yielding to other sessions' I/O between slices. One 20 MiB hash in one go
// held every other session up for ~35 ms.
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

const SLICE = 1024 * 1024;

export async function md5InSlices(chunks: readonly Uint8Array[]): Promise<string> {
  const md5 = createHash('md5');
  let sinceYield = 0;
  for (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += SLICE) {
      const slice = chunk.subarray(offset, offset + SLICE);
      md5.update(slice);
      sinceYield += slice.length;
      if (sinceYield >= SLICE) {
        sinceYield = 0;
        await nextTurn();
      }
    }
  }
  return md5.digest('base64');
}
