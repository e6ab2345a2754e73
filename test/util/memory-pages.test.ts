// Giving a kept buffer's pages back (native/memory.c through src/util/memory-pages.ts): the process's resident
// memory drops, the buffer stays usable and reads as zeros, and bytes in pages the buffer shares with other memory
// are never touched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { canDiscardPages, discardPages } from '../../src/util/memory-pages';

const MIB = 1024 * 1024;
const PAGE = 4096;

function residentMiB(): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(line?.[1]) / 1024;
}

test('the addon is in use where it was built on Linux (and must be, where CI installs the compiler)', () => {
  if (process.env.COS_FTP_EXPECT_NATIVE_CRC64 === '1') assert.equal(canDiscardPages, true, 'dist/native/memory.node was built');
  if (!canDiscardPages) assert.equal(discardPages(Buffer.alloc(PAGE * 4)), false, 'no addon: the caller is told to drop the buffer');
});

test('a 64 MiB buffer gives its memory back, stays usable, and reads as zeros until written', { skip: !canDiscardPages }, () => {
  const buffer = Buffer.allocUnsafeSlow(64 * MIB);
  buffer.fill(7);
  const before = residentMiB();
  assert.equal(discardPages(buffer), true);
  const after = residentMiB();
  assert.ok(before - after >= 60, `resident memory ${before.toFixed(0)} → ${after.toFixed(0)} MiB`);
  assert.equal(buffer.length, 64 * MIB);
  assert.equal(buffer.subarray(PAGE, -PAGE).indexOf(7), -1, 'every whole page given back reads as zeros');
  buffer.fill(9);
  assert.equal(buffer[0] + buffer[buffer.length - 1], 18, 'written again like any buffer');
  assert.ok(residentMiB() - after >= 60, 'the pages are back once written');
});

test('only whole pages inside the buffer are given back: bytes in shared pages keep their values', { skip: !canDiscardPages }, () => {
  const memory = Buffer.allocUnsafeSlow(8 * PAGE);
  memory.fill(5);
  // A view from 100 bytes past memory's start to 50 bytes into a later page: its whole pages are those between.
  const start = 100;
  const view = memory.subarray(start, start + 5 * PAGE + 50);
  assert.equal(discardPages(view), true);
  const zeros = [...memory].map((byte, offset) => (byte === 0 ? offset : -1)).filter((offset) => offset >= 0);
  assert.ok(zeros.length > 0 && zeros.length % PAGE === 0, `whole pages zeroed (${zeros.length} bytes)`);
  assert.ok(zeros[0] >= start && zeros[zeros.length - 1] < start + view.length, 'nothing outside the view');
  assert.equal(memory[start - 1], 5);
  assert.equal(memory[start + view.length], 5);
  // A buffer with no whole page inside: nothing to give back, nothing changed.
  const small = memory.subarray(10, 60);
  small.fill(3);
  assert.equal(discardPages(small), true);
  assert.equal(small.every((byte) => byte === 3), true);
});

test('anything but a buffer view is refused', { skip: !canDiscardPages }, () => {
  assert.throws(() => discardPages('text' as unknown as Uint8Array), TypeError);
});
