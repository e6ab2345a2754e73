// Object keys kept sorted in UTF-8 byte order (the order COS lists in), with binary search, so listing a page
// costs O(log n + page) instead of a scan or sort of the whole bucket.

/**
 * Compares two strings in UTF-8 byte order. UTF-16 code-unit order differs from code-point (= UTF-8) order only
 * where surrogates meet U+E000..U+FFFF, so those units are remapped before comparing.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** A position in a SortedKeys; `block === blocks.length` is the end. */
export interface KeyCursor {
  block: number;
  index: number;
}

const BLOCK = 512;

/**
 * Keys in UTF-8 byte order, stored as a list of sorted blocks (at most 2 * BLOCK keys each), so an insert or
 * delete moves at most one block's worth of entries instead of the whole bucket's.
 */
export class SortedKeys {
  private blocks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** First position whose key does not satisfy `before` (which must be true for a prefix of the order). */
  private firstNot(before: (key: string) => boolean): KeyCursor {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = this.blocks[mid];
      if (before(block[block.length - 1])) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.blocks.length) return { block: lo, index: 0 };
    const block = this.blocks[lo];
    let a = 0;
    let b = block.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(block[mid])) a = mid + 1;
      else b = mid;
    }
    return { block: lo, index: a };
  }

  /** First key >= `key`. */
  lowerBound(key: string): KeyCursor {
    return this.firstNot((k) => compareUtf8(k, key) < 0);
  }

  /** First key > `key`. */
  upperBound(key: string): KeyCursor {
    return this.firstNot((k) => compareUtf8(k, key) <= 0);
  }

  /** First key after every key that starts with `prefix` (and after `prefix` itself). */
  afterPrefix(prefix: string): KeyCursor {
    return this.firstNot((k) => k.startsWith(prefix) || compareUtf8(k, prefix) < 0);
  }

  /** The key at a position, or undefined at the end. */
  keyAt(cursor: KeyCursor): string | undefined {
    return this.blocks[cursor.block]?.[cursor.index];
  }

  /** Moves the cursor one key on. */
  next(cursor: KeyCursor): void {
    cursor.index++;
    if (cursor.index >= (this.blocks[cursor.block]?.length ?? 0)) {
      cursor.block++;
      cursor.index = 0;
    }
  }

  has(key: string): boolean {
    return this.keyAt(this.lowerBound(key)) === key;
  }

  insert(key: string): void {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      this.count = 1;
      return;
    }
    const at = this.lowerBound(key);
    if (this.keyAt(at) === key) return;
    let { block, index } = at;
    if (block === this.blocks.length) {
      block = this.blocks.length - 1;
      index = this.blocks[block].length;
    }
    const target = this.blocks[block];
    if (index === target.length) target.push(key);
    else target.splice(index, 0, key);
    this.count++;
    if (target.length > 2 * BLOCK) this.blocks.splice(block + 1, 0, target.splice(BLOCK));
  }

  remove(key: string): void {
    const at = this.lowerBound(key);
    if (this.keyAt(at) !== key) return;
    const target = this.blocks[at.block];
    target.splice(at.index, 1);
    this.count--;
    if (target.length === 0) this.blocks.splice(at.block, 1);
  }

  /** Builds from an unsorted list in one sort (used when loading a data folder). */
  static from(keys: Iterable<string>): SortedKeys {
    const all = [...new Set(keys)].sort(compareUtf8);
    const sorted = new SortedKeys();
    for (let i = 0; i < all.length; i += BLOCK) sorted.blocks.push(all.slice(i, i + BLOCK));
    sorted.count = all.length;
    return sorted;
  }
}
