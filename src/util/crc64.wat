;; CRC-64/XZ, slicing-by-8, on the register before its final XOR (the caller keeps it as a BigInt).
;; Memory: eight 256-entry i64 tables at 0 (table t at t * 2048, filled by crc64.ts), the bytes to hash after them.
;; The byte k of each 8-byte word is looked up in table 7 - k, as in the JS version in crc64.ts.
(module
  (memory (export "memory") 2)
  (func (export "update") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32) (local $end8 i32) (local $x i64) (local $lo i32) (local $hi i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end8 (i32.sub (local.get $end) (i32.and (local.get $n) (i32.const 7))))
    (block $words_done
      (loop $words
        (br_if $words_done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $x (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $lo (i32.wrap_i64 (local.get $x)))
        (local.set $hi (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 32))))
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.load offset=14336 (i32.shl (i32.and (local.get $lo) (i32.const 255)) (i32.const 3)))
                (i64.load offset=12288 (i32.shl (i32.and (i32.shr_u (local.get $lo) (i32.const 8)) (i32.const 255)) (i32.const 3))))
              (i64.xor
                (i64.load offset=10240 (i32.shl (i32.and (i32.shr_u (local.get $lo) (i32.const 16)) (i32.const 255)) (i32.const 3)))
                (i64.load offset=8192 (i32.shl (i32.shr_u (local.get $lo) (i32.const 24)) (i32.const 3)))))
            (i64.xor
              (i64.xor
                (i64.load offset=6144 (i32.shl (i32.and (local.get $hi) (i32.const 255)) (i32.const 3)))
                (i64.load offset=4096 (i32.shl (i32.and (i32.shr_u (local.get $hi) (i32.const 8)) (i32.const 255)) (i32.const 3))))
              (i64.xor
                (i64.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $hi) (i32.const 16)) (i32.const 255)) (i32.const 3)))
                (i64.load offset=0 (i32.shl (i32.shr_u (local.get $hi) (i32.const 24)) (i32.const 3)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $words)))
    (block $bytes_done
      (loop $bytes
        (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i64.xor
            (i64.load offset=0
              (i32.shl
                (i32.and (i32.xor (i32.wrap_i64 (local.get $crc)) (i32.load8_u (local.get $p))) (i32.const 255))
                (i32.const 3)))
            (i64.shr_u (local.get $crc) (i64.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $crc)))
