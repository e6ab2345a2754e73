// Objects of COS's real size limits (5 GB) made cheaply: Upload Part - Copy of a whole single-segment object shares its
// bytes in the local store (the same Buffers in memory, a hard link on disk), so 80 copies of a 64 MiB piece make
// a 5 GiB object for the cost of the piece.
import type COS from 'cos-nodejs-sdk-v5';

export const PIECE_BYTES = 64 * 1024 * 1024;
/** 80 pieces: exactly 5 GiB, PUT Object - Copy's limit. */
export const PIECES_FOR_5_GIB = 80;

/**
 * `key` = `count` copies of the object `pieceKey`, then the object `tailKey` when given (all in `Bucket`).
 * The pieces must exist (put `pieceKey` as one PUT so it has one segment).
 */
export async function assembleFromPieces(
  cos: COS,
  at: { Bucket: string; Region: string },
  key: string,
  pieceKey: string,
  count: number,
  tailKey?: string,
): Promise<void> {
  const source = (k: string): string => `${at.Bucket}.cos.${at.Region}.myqcloud.com/${k}`;
  const init = await cos.multipartInit({ ...at, Key: key });
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  const sources = [...Array.from({ length: count }, () => pieceKey), ...(tailKey ? [tailKey] : [])];
  for (const [i, k] of sources.entries()) {
    const r = await cos.uploadPartCopy({ ...at, Key: key, UploadId: init.UploadId, PartNumber: i + 1, CopySource: source(k) });
    parts.push({ PartNumber: i + 1, ETag: r.ETag });
  }
  await cos.multipartComplete({ ...at, Key: key, UploadId: init.UploadId, Parts: parts });
}
