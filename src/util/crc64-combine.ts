// Combines CRC-64/XZ values of consecutive byte ranges (zlib's crc32_combine method, widened to 64 bits), so the
// whole-object CRC of a multipart upload comes from its parts' CRCs without hashing the data twice.

const POLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a(x) * b(x) modulo the (reflected) polynomial. */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: bigint[] = (() => {
  const table: bigint[] = [];
  let p = TOP >> 1n;
  table.push(p);
  for (let k = 1; k < 64; k++) {
    p = multModP(p, p);
    table.push(p);
  }
  return table;
})();

function x2nModP(n: bigint, k: number): bigint {
  let p = TOP;
  while (n) {
    if (n & 1n) p = multModP(X2N[k & 63], p);
    n >>= 1n;
    k++;
  }
  return p;
}

/** CRC of A followed by B, from crc(A), crc(B) and B's length in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return multModP(x2nModP(BigInt(lengthB), 3), crcA) ^ crcB;
}
