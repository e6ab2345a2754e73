// Combines CRC-64/XZ values of consecutive byte ranges (zlib's crc32_combine method, in 64 bits), so a multipart
// object's whole-object CRC comes from its parts' CRCs without reading the data again.

const POLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a(x) * b(x) modulo the polynomial, bit-reflected. */
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

// X2N[k] = x^(2^k) modulo the polynomial.
const X2N: bigint[] = [];
{
  let p = TOP >> 1n; // x^1
  X2N.push(p);
  for (let k = 1; k < 64; k++) {
    p = multModP(p, p);
    X2N.push(p);
  }
}

/** x^(n * 2^k) modulo the polynomial. */
function x2nModP(n: bigint, k: number): bigint {
  let p = TOP; // x^0
  while (n) {
    if (n & 1n) p = multModP(X2N[k & 63], p);
    n >>= 1n;
    k++;
  }
  return p;
}

/** CRC of A||B from crc(A), crc(B) and B's length in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return multModP(x2nModP(BigInt(lengthB), 3), crcA) ^ crcB;
}
