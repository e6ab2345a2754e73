// CRC-64/XZ (COS's x-cos-hash-crc64ecma) as a Node-API addon: carry-less multiplication folds the bytes — 256 at a
// time with VPCLMULQDQ on 512-bit registers (AVX-512) or 64 at a time with PCLMULQDQ — then 16 at a time, then a
// Barrett reduction gives the 64-bit register; a slicing-by-8 table does short inputs, the tail and CPUs without
// PCLMULQDQ. The CPU is checked at load time; the vector code is compiled with target attributes, so the file builds
// without -m flags.
//
// Exported to JS (src/util/crc64.ts keeps the register convention: init and final XOR all ones, done in JS):
//   update(register: bigint, bytes: Uint8Array): bigint - the register after the bytes, by the fastest path this CPU
//                                                         has (the bytes are read in place)
//   updateTable, updatePclmulqdq, updateVpclmulqdq       - the same by one path (the last two where the CPU has it;
//                                                         for tests and the micro benchmark)
//   method: 'vpclmulqdq' | 'pclmulqdq' | 'table'          - the path update() takes for long inputs
//
// Notation (everything is in the reflected bit order of CRC-64/XZ). P(x) = x^64 + P'(x); the reflected constant
// 0xC96C5795D7870F42 has bit i = coefficient of x^(63-i) of P'. A 64-bit word w stands for the polynomial with
// coefficient of x^(63-i) at bit i; a 128-bit register loaded little-endian from 16 message bytes has the message's
// j-th bit at bit j, standing for x^(127-j): its low half H holds the higher degrees (x^127..x^64), the high half L
// the lower (x^63..x^0). The CRC of a message M with the register r XORed into its first 64 bits is M(x)*x^64 mod P.
// A carry-less product of two such 64-bit words, read as a 128-bit register, is a(x)*b(x)*x (the bit positions add
// up to one short of the degrees), which the constants below absorb. Derivation of each constant:
//   Folding a 128-bit register X = H*x^64 + L forward over D bits onto the block D bits later:
//     X*x^D = H*x^(64+D) + L*x^D ≡ clmul(H, x^(D+63) mod P) + clmul(L, x^(D-1) mod P)  (each product carries *x)
//     D = 2048 (sixteen lanes, 256 bytes a step): x^2111 and x^2047; D = 512 (four lanes, 64 bytes): x^575 and
//     x^511; D = 128 (one register): x^191 and x^127.
//   Final step, X → Z ≡ X*x^64 (still 128 bits): H*x^128 + L*x^64 ≡ clmul(H, x^127 mod P) + L moved to the low half.
//   Barrett reduction of Z = Zh*x^64 + Zl: q = floor(Z / P) = floor(Zh * floor(x^128/P) / x^64)
//     = floor(Zh * floor(x^127/P) / x^63) = the low half of clmul(Zh, floor(x^127/P)) (its *x makes the /x^63 a /x^64);
//     Z mod P = the low 64 coefficients of Z + q*P, and q*P = clmul(q, (P-1)/x) + q (the *x again, plus P's x^0 term)
//     so the register is the high half of Z ^ clmul(q, (P-1)/x) ^ (q moved to the high half).
// All constants are computed by init_constants() from P alone (x^n mod P by repeated multiplication by x, the
// quotient by long division); the tests check the results against the JS implementation bit for bit.
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define CRC64_X86 1
#include <immintrin.h>
// The 512-bit path needs a compiler that knows VPCLMULQDQ's intrinsics (GCC 10, clang 8); without, PCLMULQDQ only.
#if (defined(__clang__) && __clang_major__ >= 8) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 10)
#define CRC64_WIDE 1
#endif
#endif

#define POLY UINT64_C(0xC96C5795D7870F42)

static uint64_t table[8][256];

#ifdef CRC64_X86
static int have_clmul;
#ifdef CRC64_WIDE
static int have_wide;
#endif
/** Fold constants {x^(D+63), x^(D-1)} mod P for D = 2048, 512 and 128; x^127 mod P for the last step; Barrett's pair. */
static uint64_t k2048[2], k512[2], k128[2], k64, barrett[2];

/** x^n mod P as a reflected word: multiplying by x shifts towards bit 0; x^64 (out of bit 0) becomes P'. */
static uint64_t xpow_mod(unsigned n) {
  uint64_t v = UINT64_C(1) << 63; // x^0
  while (n--) v = (v >> 1) ^ ((v & 1) ? POLY : 0);
  return v;
}

static uint64_t reverse64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
  return r;
}
#endif

static void init_constants(void) {
  for (unsigned n = 0; n < 256; n++) {
    uint64_t crc = n;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ ((crc & 1) ? POLY : 0);
    table[0][n] = crc;
  }
  for (unsigned n = 0; n < 256; n++) {
    for (int t = 1; t < 8; t++) table[t][n] = (table[t - 1][n] >> 8) ^ table[0][table[t - 1][n] & 0xff];
  }
#ifdef CRC64_X86
  k2048[0] = xpow_mod(2048 + 63);
  k2048[1] = xpow_mod(2048 - 1);
  k512[0] = xpow_mod(512 + 63);
  k512[1] = xpow_mod(512 - 1);
  k128[0] = xpow_mod(128 + 63);
  k128[1] = xpow_mod(128 - 1);
  k64 = xpow_mod(127);
  // floor(x^127 / P) by long division in the ordinary (unreflected) order, where bit i is x^i: the remainder starts
  // as x^127 and each quotient bit from x^63 down cancels the remainder's leading term with P shifted under it.
  const uint64_t p_low = reverse64(POLY); // P' unreflected; P = x^64 + P'
  uint64_t rem_hi = UINT64_C(1) << 63, rem_lo = 0; // x^127 as two words (x^127..x^64, x^63..x^0)
  uint64_t quotient = 0;
  for (int d = 127; d >= 64; d--) {
    if (!((rem_hi >> (d - 64)) & 1)) continue;
    const int s = d - 64; // subtract P * x^s: x^64 * x^s is the leading bit, P' * x^s spans both words
    quotient |= UINT64_C(1) << s;
    rem_hi ^= UINT64_C(1) << s;
    rem_lo ^= p_low << s;
    if (s) rem_hi ^= p_low >> (64 - s);
  }
  barrett[0] = reverse64(quotient);
  barrett[1] = (POLY << 1) | 1; // (P - 1) / x reflected: x^64's bit at 0, P' moved up one degree, its x^0 dropped
  have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#ifdef CRC64_WIDE
  have_wide = have_clmul && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("vpclmulqdq");
#endif
#endif
}

static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/** Slicing-by-8: eight bytes per step through eight tables. */
static uint64_t crc_table(uint64_t crc, const uint8_t *p, size_t n) {
  while (n >= 8) {
    const uint64_t v = crc ^ load_le64(p);
    crc = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^ table[4][(v >> 24) & 0xff] ^
          table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^ table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#ifdef CRC64_X86
/** X folded forward by the distance of k (see the derivation at the top), plus the block found there. */
__attribute__((target("pclmul,sse4.1"))) static inline __m128i fold(__m128i x, __m128i k, __m128i block) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), block);
}

/** The end of both carry-less paths: one register X folded over the next 16-byte blocks, reduced to the CRC register,
 *  and the remaining 0..15 bytes through the table. */
__attribute__((target("pclmul,sse4.1"))) static inline uint64_t finish(__m128i x, const uint8_t *p, size_t n) {
  const __m128i k1 = _mm_set_epi64x((long long)k128[1], (long long)k128[0]);
  while (n >= 16) {
    x = fold(x, k1, _mm_loadu_si128((const __m128i *)p));
    p += 16;
    n -= 16;
  }
  // Z ≡ X * x^64: the high-degree half times x^127 mod P, plus the low-degree half moved up by 64.
  const __m128i z = _mm_xor_si128(_mm_clmulepi64_si128(x, _mm_cvtsi64_si128((long long)k64), 0x00), _mm_srli_si128(x, 8));
  // Barrett: q in the low half of t, then Z ^ q*P; the register is the high half.
  const __m128i kb = _mm_set_epi64x((long long)barrett[1], (long long)barrett[0]);
  const __m128i t = _mm_clmulepi64_si128(z, kb, 0x00);
  const __m128i qp = _mm_xor_si128(_mm_clmulepi64_si128(t, kb, 0x10), _mm_slli_si128(t, 8));
  const uint64_t crc = (uint64_t)_mm_extract_epi64(_mm_xor_si128(z, qp), 1);
  return n ? crc_table(crc, p, n) : crc;
}

#define CLMUL_MIN 64

/** PCLMULQDQ, n >= CLMUL_MIN: four registers fold 64 bytes a step, then are folded into one. */
__attribute__((target("pclmul,sse4.1"))) static uint64_t crc_clmul(uint64_t crc, const uint8_t *p, size_t n) {
  if (n < CLMUL_MIN) return crc_table(crc, p, n);
  const __m128i *q = (const __m128i *)p;
  __m128i x0 = _mm_xor_si128(_mm_loadu_si128(q), _mm_cvtsi64_si128((long long)crc));
  __m128i x1 = _mm_loadu_si128(q + 1);
  __m128i x2 = _mm_loadu_si128(q + 2);
  __m128i x3 = _mm_loadu_si128(q + 3);
  p += 64;
  n -= 64;
  const __m128i k4 = _mm_set_epi64x((long long)k512[1], (long long)k512[0]);
  while (n >= 64) {
    q = (const __m128i *)p;
    x0 = fold(x0, k4, _mm_loadu_si128(q));
    x1 = fold(x1, k4, _mm_loadu_si128(q + 1));
    x2 = fold(x2, k4, _mm_loadu_si128(q + 2));
    x3 = fold(x3, k4, _mm_loadu_si128(q + 3));
    p += 64;
    n -= 64;
  }
  const __m128i k1 = _mm_set_epi64x((long long)k128[1], (long long)k128[0]);
  return finish(fold(fold(fold(x0, k1, x1), k1, x2), k1, x3), p, n);
}

#ifdef CRC64_WIDE
#define WIDE_TARGET "avx512f,avx512vl,vpclmulqdq,pclmul,sse4.1"
#define WIDE_MIN 256

/** Four 128-bit lanes folded at once (VPCLMULQDQ on 512-bit registers). */
__attribute__((target(WIDE_TARGET))) static inline __m512i fold4(__m512i x, __m512i k, __m512i block) {
  const __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00);
  const __m512i hi = _mm512_clmulepi64_epi128(x, k, 0x11);
  return _mm512_ternarylogic_epi64(lo, hi, block, 0x96); // lo ^ hi ^ block
}

/** VPCLMULQDQ with AVX-512, n >= WIDE_MIN: four 512-bit registers (sixteen 128-bit lanes) fold 256 bytes a step,
 *  are folded into one, which takes 64 bytes a step; its four lanes are folded into one 128-bit register. */
__attribute__((target(WIDE_TARGET))) static uint64_t crc_wide(uint64_t crc, const uint8_t *p, size_t n) {
  if (n < WIDE_MIN) return crc_clmul(crc, p, n);
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi64_si128((long long)crc)));
  __m512i x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128);
  __m512i x3 = _mm512_loadu_si512(p + 192);
  p += 256;
  n -= 256;
  const __m512i k16 = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k2048[1], (long long)k2048[0]));
  while (n >= 256) {
    x0 = fold4(x0, k16, _mm512_loadu_si512(p));
    x1 = fold4(x1, k16, _mm512_loadu_si512(p + 64));
    x2 = fold4(x2, k16, _mm512_loadu_si512(p + 128));
    x3 = fold4(x3, k16, _mm512_loadu_si512(p + 192));
    p += 256;
    n -= 256;
  }
  const __m512i k4 = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k512[1], (long long)k512[0]));
  __m512i x = fold4(fold4(fold4(x0, k4, x1), k4, x2), k4, x3);
  while (n >= 64) {
    x = fold4(x, k4, _mm512_loadu_si512(p));
    p += 64;
    n -= 64;
  }
  const __m128i k1 = _mm_set_epi64x((long long)k128[1], (long long)k128[0]);
  __m128i one = fold(_mm512_extracti32x4_epi32(x, 0), k1, _mm512_extracti32x4_epi32(x, 1));
  one = fold(one, k1, _mm512_extracti32x4_epi32(x, 2));
  one = fold(one, k1, _mm512_extracti32x4_epi32(x, 3));
  return finish(one, p, n);
}
#endif
#endif

/** The fastest path this CPU has (chosen when the library is loaded). */
static uint64_t (*crc_best)(uint64_t crc, const uint8_t *p, size_t n) = crc_table;
static const char *best_method = "table";

typedef uint64_t (*crc_function)(uint64_t crc, const uint8_t *p, size_t n);

/** update(register, bytes) → register; the C function that hashes is the JS function's data (update or table). */
static napi_value js_update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *hash;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &hash) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "update(register: bigint, bytes: Uint8Array)");
    return NULL;
  }
  uint64_t crc;
  bool lossless;
  if (napi_get_value_bigint_uint64(env, argv[0], &crc, &lossless) != napi_ok) {
    napi_throw_type_error(env, NULL, "the register must be a BigInt");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *bytes = NULL; // already at the view's byteOffset
  napi_value arraybuffer;
  bool is_typedarray = false;
  if (napi_is_typedarray(env, argv[1], &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, &arraybuffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "the bytes must be a Uint8Array or Buffer");
    return NULL;
  }
  if (length) crc = ((crc_function)hash)(crc, bytes, length);
  napi_value result;
  if (napi_create_bigint_uint64(env, crc, &result) != napi_ok) return NULL;
  return result;
}

static int export_function(napi_env env, napi_value exports, const char *name, crc_function hash) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, js_update, (void *)hash, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

__attribute__((constructor)) static void crc64_load(void) {
  init_constants();
#ifdef CRC64_WIDE
  if (have_wide) {
    crc_best = crc_wide;
    best_method = "vpclmulqdq";
    return;
  }
#endif
#ifdef CRC64_X86
  if (have_clmul) {
    crc_best = crc_clmul;
    best_method = "pclmulqdq";
  }
#endif
}

NAPI_MODULE_INIT() {
  // update: the fastest path; the others, where this CPU has them, for tests and the micro benchmark.
  if (!export_function(env, exports, "update", crc_best) || !export_function(env, exports, "updateTable", crc_table))
    return NULL;
#ifdef CRC64_X86
  if (have_clmul && !export_function(env, exports, "updatePclmulqdq", crc_clmul)) return NULL;
#endif
#ifdef CRC64_WIDE
  if (have_wide && !export_function(env, exports, "updateVpclmulqdq", crc_wide)) return NULL;
#endif
  napi_value method;
  if (napi_create_string_utf8(env, best_method, NAPI_AUTO_LENGTH, &method) != napi_ok ||
      napi_set_named_property(env, exports, "method", method) != napi_ok)
    return NULL;
  return exports;
}
