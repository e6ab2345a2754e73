// CRC-64/XZ: the WebAssembly implementation (built by `npm run build`) against the check value of the CRC catalogue
// and against the JS implementation, for lengths around its 8-byte words and 64 KiB windows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Crc64, JsCrc64, crc64, crc64Implementation } from '../../src/util/crc64';

test('the WebAssembly CRC-64 is the one in use, and gives the catalogue check value', () => {
  assert.equal(crc64Implementation, 'wasm', 'dist/src/util/crc64.wasm is built');
  assert.equal(crc64(Buffer.from('123456789')), BigInt('0x995DC9BBDF1939FA').toString(10));
  assert.equal(crc64(Buffer.alloc(0)), '0');
  assert.equal(new JsCrc64().update(Buffer.from('123456789')).digest(), BigInt('0x995DC9BBDF1939FA').toString(10));
});

test('WebAssembly and JS agree for every length near word and window edges, however the bytes are split', () => {
  const data = randomBytes(3 * 65536 + 300);
  for (const length of [1, 7, 8, 9, 15, 16, 17, 65535, 65536, 65537, 131072 + 5, data.length]) {
    const slice = data.subarray(0, length);
    const expected = new JsCrc64().update(slice).digest();
    assert.equal(new Crc64().update(slice).digest(), expected, `length ${length}`);
    const split = new Crc64();
    for (let offset = 0, step = 1; offset < length; offset += step, step = (step * 7 + 3) % 70001) {
      split.update(slice.subarray(offset, offset + step));
    }
    assert.equal(split.digest(), expected, `length ${length}, split`);
  }
});
