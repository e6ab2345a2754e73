// Owner: transfer layer. The file system's write() and read() delegate the byte streams to these.
import type { Readable, Writable } from 'node:stream';
import { openCosDownload } from './download-stream';
import type { TransferTarget } from './target';
import { CosUploadStream } from './upload-stream';

export type { TransferServices, TransferTarget } from './target';
export { CosUploadStream } from './upload-stream';
export { ReplyError } from './errors';

/**
 * A Writable that commits the object only when the client's data ends cleanly (STOR, or APPE/REST when append).
 * The STOR/APPE handlers call its `prepare()` before 150, which refuses an APPE/REST offset other than the size.
 */
export function openUpload(target: TransferTarget, opts: { append?: boolean; start?: number }): Writable {
  return new CosUploadStream(target, opts);
}

/** A Readable of the object from `start`; rejects (before any 150) when the object is missing. */
export async function openDownload(target: TransferTarget, opts: { start?: number }): Promise<Readable> {
  return openCosDownload(target, opts.start ?? 0);
}
