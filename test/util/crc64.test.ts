// CRC-64/XZ: every implementation this build has (native by each path this CPU has: VPCLMULQDQ, PCLMULQDQ, the table;
// WebAssembly) against the check value of the CRC catalogue and against the JS implementation: every length up to 300,
// lengths around the 8-byte words, the native paths' 256-, 64- and 16-byte steps and the 64 KiB WebAssembly windows,
// unaligned views, random split points, and buffers of several MiB.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import { Crc64, JsCrc64, crc64, crc64Implementation, crc64Implementations, crc64NativeMethod } from '../../src/util/crc64';

const CHECK = BigInt('0x995DC9BBDF1939FA').toString(10);
const others = [...crc64Implementations].filter(([name]) => name !== 'js');

function js(bytes: Uint8Array): string {
  return new JsCrc64().update(bytes).digest();
}

test('the native CRC-64 is the one in use when it was built (and must be, where CI installs the compiler)', () => {
  const built = crc64Implementations.has('native');
  const requested = process.env.COS_FTP_CRC64; // a slower one asked for (README)
  const fastest = built ? 'native' : crc64Implementations.has('wasm') ? 'wasm' : 'js';
  assert.equal(crc64Implementation, requested === 'wasm' || requested === 'js' ? requested : fastest);
  assert.ok(crc64Implementations.has('wasm'), 'dist/src/util/crc64.wasm is built');
  // .ci/run installs gcc and sets this, so that CI runs the native path rather than quietly falling back.
  if (process.env.COS_FTP_EXPECT_NATIVE_CRC64 === '1') {
    assert.equal(crc64Implementation, 'native', 'dist/native/crc64.node was built (scripts/build-native.js)');
  }
  // The addon's CPU check agrees with the kernel's flags.
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuFlags())?.[1].trim().split(/\s+/));
  if (built && process.arch === 'x64' && flags.has('pclmulqdq')) {
    const wide = ['avx512f', 'avx512vl', 'vpclmulqdq'].every((flag) => flags.has(flag));
    assert.equal(crc64NativeMethod, wide ? 'vpclmulqdq' : 'pclmulqdq');
    assert.ok(crc64Implementations.has('native pclmulqdq'));
  }
});

function cpuFlags(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

test('every implementation gives the catalogue check value, 0 for no bytes, and ignores empty updates', () => {
  assert.equal(crc64(Buffer.from('123456789')), CHECK);
  assert.equal(crc64(Buffer.alloc(0)), '0');
  for (const [name, create] of crc64Implementations) {
    assert.equal(create().update(Buffer.from('123456789')).digest(), CHECK, name);
    assert.equal(create().digest(), '0', name);
    assert.equal(create().update(new Uint8Array(0)).update(Buffer.from('12345')).update(Buffer.alloc(0)).update(Buffer.from('6789')).digest(), CHECK, name);
    assert.equal(create().update(Buffer.from('123456789')).value(), BigInt(CHECK), name);
  }
});

test('every implementation equals JS for every length 0..300 and at every byteOffset 0..15', () => {
  const data = randomBytes(300 + 16);
  for (let length = 0; length <= 300; length++) {
    const offset = length % 16;
    const view = data.subarray(offset, offset + length);
    const expected = js(view);
    for (const [name, create] of others) assert.equal(create().update(view).digest(), expected, `${name}, length ${length}, offset ${offset}`);
  }
  // A plain Uint8Array view (not a Buffer) over a shared ArrayBuffer, unaligned.
  const view = new Uint8Array(data.buffer, data.byteOffset + 3, 257);
  for (const [name, create] of others) assert.equal(create().update(view).digest(), js(view), name);
});

test('every implementation equals JS near word, fold-step and window edges and for random lengths up to 4 MiB, however split', () => {
  const data = randomBytes(4 * 1024 * 1024 + 64);
  const lengths = [63, 64, 65, 79, 80, 127, 128, 129, 255, 256, 257, 271, 319, 320, 321, 511, 512, 513, 575, 1023, 1024, 1025, 65535, 65536, 65537, 131072 + 5];
  for (let i = 0; i < 6; i++) lengths.push(randomInt(1, 4 * 1024 * 1024));
  for (const length of lengths) {
    const offset = randomInt(0, 16);
    const slice = data.subarray(offset, offset + length);
    const expected = js(slice);
    for (const [name, create] of others) {
      assert.equal(create().update(slice).digest(), expected, `${name}, length ${length}`);
      // Random split points, from single bytes to pieces beyond the 64 KiB window.
      const split = create();
      for (let at = 0; at < length; ) {
        const step = Math.min(length - at, randomInt(0, 4) === 0 ? randomInt(1, 20) : randomInt(1, 200_000));
        split.update(slice.subarray(at, at + step));
        at += step;
      }
      assert.equal(split.digest(), expected, `${name}, length ${length}, split`);
    }
  }
});

test('large buffers: 64 MiB in one call equals the same bytes in 1 MiB pieces and WebAssembly', () => {
  const data = Buffer.allocUnsafe(64 * 1024 * 1024);
  for (let offset = 0; offset < data.length; offset += 1024 * 1024) randomBytes(1024 * 1024).copy(data, offset);
  const whole = new Crc64().update(data).digest();
  const pieces = new Crc64();
  for (let offset = 0; offset < data.length; offset += 1024 * 1024) pieces.update(data.subarray(offset, offset + 1024 * 1024));
  assert.equal(pieces.digest(), whole);
  const reference = crc64Implementations.get('wasm') ?? crc64Implementations.get('js');
  assert.ok(reference);
  assert.equal(reference().update(data).digest(), whole);
});
