// The listing core against a brute-force reference: random keys (multi-byte, surrogate pairs, delimiters),
// inserts and deletes across block splits, paged with random prefixes, delimiters and page sizes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listPage } from '../../src/store/localcos/bucket-handlers';
import type { BucketState } from '../../src/store/localcos/catalog';
import { SortedKeys } from '../../src/store/localcos/key-order';

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const ALPHABET = ['a', 'b', '/', 'é', '😀', '\uff5e', ' ', '.'];

function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** Everything a full listing would return, in order, by the definition. */
function reference(keys: string[], prefix: string, delimiter: string): string[] {
  const items: string[] = [];
  for (const key of [...keys].sort(byUtf8)) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const item = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    if (items[items.length - 1] !== item) items.push(item);
  }
  return items;
}

describe('listing core', () => {
  it('pages exactly like the reference, through inserts and deletes', () => {
    const rnd = random(7);
    const word = (max: number): string =>
      Array.from({ length: 1 + Math.floor(rnd() * max) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join('');
    const bucket: BucketState = { name: 'b-1', created: 0, keys: new SortedKeys(), objects: new Map() };
    const live = new Set<string>();
    for (let i = 0; i < 6000; i++) {
      const key = word(8);
      bucket.keys.insert(key);
      live.add(key);
    }
    for (const key of [...live].filter(() => rnd() < 0.3)) {
      bucket.keys.remove(key);
      live.delete(key);
    }
    assert.equal(bucket.keys.size, live.size);
    for (let round = 0; round < 40; round++) {
      const prefix = rnd() < 0.3 ? '' : word(2);
      const delimiter = rnd() < 0.5 ? '' : ALPHABET[Math.floor(rnd() * 4)];
      const maxKeys = 1 + Math.floor(rnd() * 300);
      const expected = reference([...live], prefix, delimiter);
      const got: string[] = [];
      let marker = '';
      for (let pages = 0; pages < 10_000; pages++) {
        const page = listPage(bucket, prefix, delimiter, marker, maxKeys);
        const items = [...page.contents, ...page.prefixes].sort(byUtf8);
        got.push(...items);
        if (!page.truncated) break;
        assert.equal(page.nextMarker, items[items.length - 1]);
        marker = page.nextMarker as string;
      }
      assert.deepEqual(got, expected, `prefix ${JSON.stringify(prefix)} delimiter ${JSON.stringify(delimiter)} max ${maxKeys}`);
    }
  });
});
