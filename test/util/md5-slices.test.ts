// md5InSlices gives the Content-MD5 a one-go hash gives, however the bytes are split.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { md5InSlices } from '../../src/util/md5-slices';

test('md5InSlices equals one MD5 over the same bytes, for any split and size', async () => {
  const whole = randomBytes(3 * 1024 * 1024 + 17);
  const expected = createHash('md5').update(whole).digest('base64');
  const splits = [[whole], [whole.subarray(0, 1), whole.subarray(1)], [whole.subarray(0, 1024 * 1024 + 5), whole.subarray(1024 * 1024 + 5)]];
  for (const chunks of splits) assert.equal(await md5InSlices(chunks), expected);
  assert.equal(await md5InSlices([]), createHash('md5').digest('base64'));
  assert.equal(await md5InSlices([Buffer.alloc(0)]), createHash('md5').digest('base64'));
});
