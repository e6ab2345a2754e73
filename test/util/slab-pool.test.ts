// The read-slab pool: a slab is used again only once its producer and every view lent from it are done; foreign
// buffers, copies and second releases change nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLAB_BYTES, dropSlab, lend, giveBack, takeSlab } from '../../src/util/slab-pool';

test('a slab comes back only after the producer and every lent view are done, each counted once', () => {
  const slab = takeSlab();
  assert.equal(slab.length, SLAB_BYTES);
  const a = lend(slab, 0, 100);
  const b = lend(slab, 100, 300);
  assert.equal(b.length, 200);
  dropSlab(slab);
  dropSlab(slab); // the producer's second drop does not count either
  giveBack(a);
  giveBack(a); // a second release of the same view does not count
  giveBack(Buffer.from(b)); // nor does a copy
  giveBack(b.subarray(1)); // nor a view someone else made of it
  const other = takeSlab();
  assert.notEqual(other.buffer, slab.buffer, 'still lent: not handed out again');
  giveBack(b);
  const again = takeSlab();
  assert.equal(again.buffer, slab.buffer, 'all done: used again');
  dropSlab(other);
  dropSlab(again);
});

test('buffers not from the pool: lend gives a plain view, release and drop ignore them', () => {
  const own = Buffer.alloc(64);
  const view = lend(own, 8, 16);
  assert.equal(view.length, 8);
  giveBack(view);
  dropSlab(own);
  const slab = takeSlab();
  assert.notEqual(slab.buffer, own.buffer);
  dropSlab(slab);
});
