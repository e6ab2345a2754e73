// Part sizes of one multipart upload. COS allows at most 10,000 parts of 1 MB..5 GB each (the last may be smaller),
// and the length of an FTP upload is unknown until its end. Parts start at min_part_size (so small uploads buffer
// little) and double every `group` parts, `group` chosen as large as possible while 10,000 parts still hold
// single_file_max_size. With the default min_part_size (already raised to single_file_max_size / 10,000) the size
// never grows.

export const MAX_PART_COUNT = 10_000;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
/** COS refuses non-final parts under 1 MB (EntityTooSmall at Complete). */
export const MIN_PART_SIZE = 1024 * 1024;

export class PartSizer {
  readonly base: number;
  /** Parts per size step (the size doubles after each group). */
  readonly group: number;

  constructor(minPartSize: number, singleFileMaxSize: number, readonly maxParts: number = MAX_PART_COUNT) {
    this.base = Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, Math.floor(minPartSize)));
    this.group = chooseGroup(this.base, singleFileMaxSize, maxParts);
  }

  /** Size of part `partNumber` (1-based), for data parts counted from 1. */
  sizeOf(partNumber: number): number {
    const step = Math.floor((partNumber - 1) / this.group);
    return Math.min(MAX_PART_SIZE, this.base * 2 ** Math.min(step, 40));
  }

  /** Bytes that parts 1..count hold together. */
  capacity(count: number = this.maxParts): number {
    return capacityOf(this.base, this.group, count);
  }
}

function capacityOf(base: number, group: number, count: number): number {
  let total = 0;
  for (let first = 1; first <= count; first += group) {
    const parts = Math.min(group, count - first + 1);
    const size = Math.min(MAX_PART_SIZE, base * 2 ** Math.min(Math.floor((first - 1) / group), 40));
    total += parts * size;
  }
  return total;
}

function chooseGroup(base: number, maxBytes: number, maxParts: number): number {
  if (base * maxParts >= maxBytes) return maxParts;
  // Binary search the largest group whose capacity still covers maxBytes (capacity falls as group grows).
  let low = 1;
  let high = maxParts;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (capacityOf(base, mid, maxParts) >= maxBytes) low = mid;
    else high = mid - 1;
  }
  return low;
}
