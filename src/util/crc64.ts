// CRC-64/XZ (COS calls it crc64ecma): reflected polynomial 0xC96C5795D7870F42, init and final XOR all ones.
// Every uploaded and downloaded byte is hashed, so this is on the hot path of every transfer. Three implementations,
// the first available is used:
// - native: a Node-API addon (native/crc64.c, compiled by `npm run build` when there is a C compiler) that folds with
//   carry-less multiplication (VPCLMULQDQ with AVX-512, else PCLMULQDQ), reading the bytes in place: 12-15 GiB/s with
//   PCLMULQDQ on this machine (0.07-0.09 CPU s per GiB); on a CPU without it, a table inside the addon (2 GiB/s);
// - wasm: slicing-by-16 in WebAssembly (crc64.wat), which has 64-bit integers: 1.9 GiB/s;
// - js: slicing-by-8 on two 32-bit halves (BigInt arithmetic per byte is far too slow), 0.85 GiB/s.
import fs from 'node:fs';
import path from 'node:path';
import { loadNativeAddon } from './native-addon';

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

function buildTables(count: number): { hi: Uint32Array[]; lo: Uint32Array[] } {
  const hi: Uint32Array[] = [];
  const lo: Uint32Array[] = [];
  for (let t = 0; t < count; t++) {
    hi.push(new Uint32Array(256));
    lo.push(new Uint32Array(256));
  }
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (carry) {
        h = (h ^ POLY_HI) >>> 0;
        l = (l ^ POLY_LO) >>> 0;
      }
    }
    hi[0][n] = h;
    lo[0][n] = l;
  }
  for (let n = 0; n < 256; n++) {
    let h = hi[0][n];
    let l = lo[0][n];
    for (let t = 1; t < count; t++) {
      // crc = table[crc & 0xff] ^ (crc >>> 8)
      const idx = l & 0xff;
      const nl = ((l >>> 8) | ((h & 0xff) << 24)) >>> 0;
      const nh = h >>> 8;
      h = (hi[0][idx] ^ nh) >>> 0;
      l = (lo[0][idx] ^ nl) >>> 0;
      hi[t][n] = h;
      lo[t][n] = l;
    }
  }
  return { hi, lo };
}

const { hi: TH, lo: TL } = buildTables(8);
const [H0, H1, H2, H3, H4, H5, H6, H7] = TH;
const [L0, L1, L2, L3, L4, L5, L6, L7] = TL;

/** Incremental CRC-64/XZ. `update` as often as needed, then `digest()` gives the unsigned decimal string COS sends. */
export interface Crc64Hasher {
  update(buf: Uint8Array): this;
  /** The CRC as an unsigned 64-bit BigInt. */
  value(): bigint;
  /** The CRC as COS writes it in `x-cos-hash-crc64ecma`: unsigned decimal. */
  digest(): string;
}

/** The pure-JS CRC-64 (the fallback, and the reference the WebAssembly one is tested against). */
export class JsCrc64 implements Crc64Hasher {
  // Internal register, not yet final-XORed (starts at all ones).
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(buf: Uint8Array): this {
    let h = this.hi;
    let l = this.lo;
    let i = 0;
    const n = buf.length;
    const end8 = n - (n % 8);
    while (i < end8) {
      const a = (l ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
      const b = (h ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
      h =
        H7[a & 0xff] ^ H6[(a >>> 8) & 0xff] ^ H5[(a >>> 16) & 0xff] ^ H4[a >>> 24] ^
        H3[b & 0xff] ^ H2[(b >>> 8) & 0xff] ^ H1[(b >>> 16) & 0xff] ^ H0[b >>> 24];
      l =
        L7[a & 0xff] ^ L6[(a >>> 8) & 0xff] ^ L5[(a >>> 16) & 0xff] ^ L4[a >>> 24] ^
        L3[b & 0xff] ^ L2[(b >>> 8) & 0xff] ^ L1[(b >>> 16) & 0xff] ^ L0[b >>> 24];
      i += 8;
    }
    while (i < n) {
      const idx = (l ^ buf[i]) & 0xff;
      const nl = (l >>> 8) | ((h & 0xff) << 24);
      const nh = h >>> 8;
      h = H0[idx] ^ nh;
      l = L0[idx] ^ nl;
      i++;
    }
    this.hi = h >>> 0;
    this.lo = l >>> 0;
    return this;
  }

  /** The CRC as an unsigned 64-bit BigInt. */
  value(): bigint {
    return (BigInt((this.hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((this.lo ^ 0xffffffff) >>> 0);
  }

  /** The CRC as COS writes it in `x-cos-hash-crc64ecma`: unsigned decimal. */
  digest(): string {
    return this.value().toString(10);
  }
}

/** The part of the WebAssembly global used here (the compiler's libraries declare it only with the DOM's). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface WasmCrc {
  memory: { buffer: ArrayBuffer };
  update(crc: bigint, pointer: number, length: number): bigint;
}

/** Where the hashed bytes are copied in the module's memory (the sixteen tables take the first 32 KiB), and how many at once. */
const DATA_OFFSET = 32 * 1024;
/** Slicing-by-16 in crc64.wat. */
const WASM_TABLES = 16;
const WINDOW = 64 * 1024;

function loadWasm(): { exports: WasmCrc; bytes: Uint8Array } | undefined {
  let module: object;
  try {
    module = new WebAssemblyApi.Module(fs.readFileSync(path.join(__dirname, 'crc64.wasm')));
  } catch {
    return undefined;
  }
  const exports = new WebAssemblyApi.Instance(module).exports as WasmCrc;
  const { hi, lo } = buildTables(WASM_TABLES);
  const words = new Uint32Array(exports.memory.buffer, 0, WASM_TABLES * 256 * 2);
  for (let t = 0; t < WASM_TABLES; t++) {
    for (let n = 0; n < 256; n++) {
      words[(t * 256 + n) * 2] = lo[t][n]; // little-endian i64: low word first
      words[(t * 256 + n) * 2 + 1] = hi[t][n];
    }
  }
  return { exports, bytes: new Uint8Array(exports.memory.buffer) };
}

const wasm = loadWasm();

/** The WebAssembly CRC-64: the register is kept as a (signed, as wasm's i64 is) BigInt between calls. */
class WasmCrc64 implements Crc64Hasher {
  private register = -1n;

  constructor(private readonly w: NonNullable<typeof wasm>) {}

  update(buf: Uint8Array): this {
    let register = this.register;
    for (let offset = 0; offset < buf.length; offset += WINDOW) {
      const piece = buf.subarray(offset, offset + WINDOW);
      this.w.bytes.set(piece, DATA_OFFSET);
      register = this.w.exports.update(register, DATA_OFFSET, piece.length);
    }
    this.register = register;
    return this;
  }

  value(): bigint {
    return BigInt.asUintN(64, ~this.register);
  }

  digest(): string {
    return this.value().toString(10);
  }
}

type NativeUpdate = (register: bigint, bytes: Uint8Array) => bigint;

/** What the addon native/crc64.c exports (see there). */
interface NativeCrc {
  /** The register after the bytes, by the fastest path of this CPU. */
  update: NativeUpdate;
  /** The same by one path: the table (a CPU without carry-less multiplication), PCLMULQDQ, VPCLMULQDQ (AVX-512). */
  updateTable: NativeUpdate;
  updatePclmulqdq?: NativeUpdate;
  updateVpclmulqdq?: NativeUpdate;
  /** The path `update` takes for long inputs. */
  method: 'vpclmulqdq' | 'pclmulqdq' | 'table';
}

/** dist/native/crc64.node, built by scripts/build-native.js when a C compiler was there. */
const native = loadNativeAddon<NativeCrc>(
  'crc64',
  (exports) => typeof exports.update === 'function' && typeof exports.updateTable === 'function',
  'CRC-64 uses WebAssembly',
);

const ALL_ONES = 0xffff_ffff_ffff_ffffn;

/** The native CRC-64: the register goes to the addon and back as an unsigned BigInt (cheaper per call than a shared
 *  typed array: 46 against 56-80 ns), and the bytes are read where they are. */
class NativeCrc64 implements Crc64Hasher {
  private register = ALL_ONES;

  constructor(private readonly step: NativeUpdate) {}

  update(buf: Uint8Array): this {
    this.register = this.step(this.register, buf);
    return this;
  }

  value(): bigint {
    return this.register ^ ALL_ONES;
  }

  digest(): string {
    return this.value().toString(10);
  }
}

export type Crc64ImplementationName = 'native' | 'wasm' | 'js';

/** Every implementation this build has, fastest first, and each path of the native one this CPU has ('native table'
 *  is the path of a CPU without carry-less multiplication: never chosen here, but tested everywhere). For tests and
 *  benchmarks. */
export const crc64Implementations: ReadonlyMap<Crc64ImplementationName | `native ${string}`, () => Crc64Hasher> = (() => {
  const found = new Map<Crc64ImplementationName | `native ${string}`, () => Crc64Hasher>();
  if (native) {
    const paths: [string, NativeUpdate | undefined][] = [
      ['vpclmulqdq', native.updateVpclmulqdq],
      ['pclmulqdq', native.updatePclmulqdq],
      ['table', native.updateTable],
    ];
    found.set('native', () => new NativeCrc64(native.update));
    for (const [name, update] of paths) if (update) found.set(`native ${name}`, () => new NativeCrc64(update));
  }
  if (wasm) found.set('wasm', () => new WasmCrc64(wasm));
  found.set('js', () => new JsCrc64());
  return found;
})();

/** Which implementation `Crc64` uses: the native one when the addon was built, else WebAssembly, else JS. */
export const crc64Implementation: Crc64ImplementationName = ((): Crc64ImplementationName => {
  // COS_FTP_CRC64=wasm or js runs a slower one instead, where it exists: to compare them, or to run the tests on the
  // fallback's paths on a machine that has the native one.
  const requested = process.env.COS_FTP_CRC64;
  if (requested === 'js' || (requested === 'wasm' && wasm)) return requested;
  return native ? 'native' : wasm ? 'wasm' : 'js';
})();

/** Whether `Crc64` uses the CPU's carry-less multiplication (the native implementation, not its table). */
export const crc64Accelerated = crc64Implementation === 'native' && native?.method !== 'table';

/** How the native implementation hashes long inputs on this CPU ('none' without the addon). */
export const crc64NativeMethod: NativeCrc['method'] | 'none' = native?.method ?? 'none';

const createDefault = crc64Implementations.get(crc64Implementation) as () => Crc64Hasher;

/** A new incremental CRC-64/XZ (native when built, else WebAssembly, else JS). */
export class Crc64 implements Crc64Hasher {
  private readonly impl: Crc64Hasher = createDefault();

  update(buf: Uint8Array): this {
    this.impl.update(buf);
    return this;
  }

  value(): bigint {
    return this.impl.value();
  }

  digest(): string {
    return this.impl.digest();
  }
}

/** CRC-64/XZ of one buffer, as an unsigned decimal string. */
export function crc64(buf: Uint8Array): string {
  return new Crc64().update(buf).digest();
}
