;; CRC-64/XZ, slicing-by-16, on the register before its final XOR (the caller keeps it as a BigInt).
;; Memory: sixteen 256-entry i64 tables at 0 (table t at t * 2048, filled by crc64.ts), the bytes to hash after them.
;; Byte k of each 16-byte block is looked up in table 15 - k (the first 8 bytes are XORed with the register first).
(module
  (memory (export "memory") 2)
  (func (export "update") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32) (local $end16 i32) (local $x i64) (local $y i64) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end16 (i32.sub (local.get $end) (i32.and (local.get $n) (i32.const 15))))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $x (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $y (i64.load offset=8 (local.get $p)))
        (local.set $a (i32.wrap_i64 (local.get $x)))
        (local.set $b (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 32))))
        (local.set $c (i32.wrap_i64 (local.get $y)))
        (local.set $d (i32.wrap_i64 (i64.shr_u (local.get $y) (i64.const 32))))
        (local.set $crc (i64.xor (i64.xor (i64.xor (i64.xor (i64.load offset=30720 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 3))) (i64.load offset=28672 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 3)))) (i64.xor (i64.load offset=26624 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 3))) (i64.load offset=24576 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 3))))) (i64.xor (i64.xor (i64.load offset=22528 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 3))) (i64.load offset=20480 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 3)))) (i64.xor (i64.load offset=18432 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 3))) (i64.load offset=16384 (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 3)))))) (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.shl (i32.and (local.get $c) (i32.const 255)) (i32.const 3))) (i64.load offset=12288 (i32.shl (i32.and (i32.shr_u (local.get $c) (i32.const 8)) (i32.const 255)) (i32.const 3)))) (i64.xor (i64.load offset=10240 (i32.shl (i32.and (i32.shr_u (local.get $c) (i32.const 16)) (i32.const 255)) (i32.const 3))) (i64.load offset=8192 (i32.shl (i32.shr_u (local.get $c) (i32.const 24)) (i32.const 3))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.shl (i32.and (local.get $d) (i32.const 255)) (i32.const 3))) (i64.load offset=4096 (i32.shl (i32.and (i32.shr_u (local.get $d) (i32.const 8)) (i32.const 255)) (i32.const 3)))) (i64.xor (i64.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $d) (i32.const 16)) (i32.const 255)) (i32.const 3))) (i64.load offset=0 (i32.shl (i32.shr_u (local.get $d) (i32.const 24)) (i32.const 3))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
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
