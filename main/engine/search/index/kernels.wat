;; The search index's kernels (see quantized-index.ts for the method). Assembled by
;; `npm run kernels` (test/tools/build-kernels.ts, with wabt) into kernels-wasm.ts, twice: as
;; written, and with every i8x16.swizzle made i8x16.relaxed_swizzle (relaxed SIMD). Our swizzle
;; indices are always nibbles (0-15), where the two agree; the relaxed one skips the fix-up for
;; out-of-range indices that V8 emits around pshufb and makes `scan` about twice as fast.
;;
;; All addresses are byte offsets into the one imported memory; JavaScript owns the layout. The
;; memory is shared (a SharedArrayBuffer) so that a second thread can scan half of the codes in
;; place (scan-thread.ts); the kernels themselves use no atomics: each thread writes only its own
;; output region, and the hand-over is ordered by the callers' Atomics.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; out[c] = Σ_j q[j]·rows[c·dim + j] for c < count: the query against each centroid (or each
  ;; training vector against each centroid). dim is a multiple of 16: four accumulators, so that
  ;; the adds do not wait on each other.
  (func (export "dots") (param $rows i32) (param $count i32) (param $dim i32) (param $q i32) (param $out i32)
    (local $c i32) (local $j i32) (local $row i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $row (local.get $rows))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $c) (local.get $count)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $dims
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
            (v128.load (i32.add (local.get $row) (local.get $j))) (v128.load (i32.add (local.get $q) (local.get $j))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul
            (v128.load offset=16 (i32.add (local.get $row) (local.get $j))) (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul
            (v128.load offset=32 (i32.add (local.get $row) (local.get $j))) (v128.load offset=32 (i32.add (local.get $q) (local.get $j))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul
            (v128.load offset=48 (i32.add (local.get $row) (local.get $j))) (v128.load offset=48 (i32.add (local.get $q) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 64)))
          (br_if $dims (i32.lt_u (local.get $j) (local.get $end))))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
            (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (local.set $row (i32.add (local.get $row) (local.get $end)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $rows_loop))))

  ;; out[c] = scale_c·Σ_j q[j]·v_c[j] for c < count: the query (f32) against 8-bit copies
  ;; (rerank-file.ts): record c at records + c·stride is an f32 scale, then dim int8 values
  ;; (dim a multiple of 16). Sixteen values a turn, widened to f32 in four lanes of four; four
  ;; accumulators, so that the adds do not wait on each other. In JavaScript the same dot costs
  ;; ~1.7 µs at 512-d, more than the read of the record.
  (func (export "dotsInt8") (param $records i32) (param $count i32) (param $stride i32) (param $dim i32) (param $q i32) (param $out i32)
    (local $c i32) (local $j i32) (local $row i32) (local $h i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $row (local.get $records))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $c) (local.get $count)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (local.set $h (local.get $q))
        (loop $dims
          ;; v: the next 16 int8 values (they start 4 bytes into the record)
          (local.set $v (v128.load offset=4 (i32.add (local.get $row) (local.get $j))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $h))
            (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $h))
            (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $h))
            (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $h))
            (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)))))))
          (local.set $h (i32.add (local.get $h) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $dims (i32.lt_u (local.get $j) (local.get $dim))))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
          (f32.mul (f32.load (local.get $row))
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
              (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0))))))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $rows_loop))))

  ;; Unnormalised fast Walsh-Hadamard transform of the n floats at x (n a power of two, ≥ 8),
  ;; in place. Strides 1 and 2 are done inside each group of four lanes by shuffles.
  (func (export "fwht") (param $x i32) (param $n i32)
    (local $i i32) (local $j i32) (local $h i32) (local $end i32) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    ;; strides 1 and 2: [a0+a1, a0-a1, a2+a3, a2-a3], then [b0+b2, b1+b3, b0-b2, b1-b3]
    (local.set $i (local.get $x))
    (loop $quads
      (local.set $a (v128.load (local.get $i)))
      (local.set $b (f32x4.add
        (i8x16.shuffle 0 1 2 3 0 1 2 3 8 9 10 11 8 9 10 11 (local.get $a) (local.get $a))
        (f32x4.mul (i8x16.shuffle 4 5 6 7 4 5 6 7 12 13 14 15 12 13 14 15 (local.get $a) (local.get $a))
                   (v128.const f32x4 1 -1 1 -1))))
      (v128.store (local.get $i) (f32x4.add
        (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))
        (f32x4.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $b) (local.get $b))
                   (v128.const f32x4 1 1 -1 -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $quads (i32.lt_u (local.get $i) (local.get $end))))
    ;; strides of 4 floats and up (h in bytes)
    (local.set $h (i32.const 16))
    (block $done
      (loop $strides
        (br_if $done (i32.ge_u (i32.add (local.get $x) (local.get $h)) (local.get $end)))
        (local.set $i (local.get $x))
        (loop $blocks
          (local.set $j (local.get $i))
          (loop $pairs
            (local.set $a (v128.load (local.get $j)))
            (local.set $b (v128.load (i32.add (local.get $j) (local.get $h))))
            (v128.store (local.get $j) (f32x4.add (local.get $a) (local.get $b)))
            (v128.store (i32.add (local.get $j) (local.get $h)) (f32x4.sub (local.get $a) (local.get $b)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br_if $pairs (i32.lt_u (local.get $j) (i32.add (local.get $i) (local.get $h)))))
          (local.set $i (i32.add (local.get $i) (i32.shl (local.get $h) (i32.const 1))))
          (br_if $blocks (i32.lt_u (local.get $i) (local.get $end))))
        (local.set $h (i32.shl (local.get $h) (i32.const 1)))
        (br $strides))))

  ;; The first pass: an upper bound on every slot's score, from its code, and the slots whose bound
  ;; reaches `threshold`. Codes are stored 16 slots to a block, byte p of the 16 codes side by side
  ;; (16 bytes), each byte two 4-bit groups; lut holds 32 bytes per code byte (16 u8 entries for the
  ;; low nibble, 16 for the high). For blocks first, first+step, ... < end:
  ;;   sum = Σ lut entries of the slot's nibbles (u16, by in-register table look-ups)
  ;;   bound = cst[cluster[slot]] + gain[slot]·(sum·delta + offset + width[slot]·omega)
  ;; (width: the slot's own estimation error, a u8 in units that omega turns into the margin).
  ;; Slots with bound ≥ threshold go to outSlots (i32) / outBounds (f32) while fewer than cap have;
  ;; returns how many passed (which may exceed cap: then only the first cap were written). With a
  ;; filter (a bitmap address, bit s & 7 of byte s >> 3 for slot s; 0 for none), only the slots it
  ;; has pass: a search among a tenth of the library keeps a tenth of the candidates.
  (func (export "scan")
    (param $codes i32) (param $first i32) (param $step i32) (param $end i32) (param $bytes i32)
    (param $lut i32) (param $cluster i32) (param $cst i32) (param $gain i32) (param $width i32)
    (param $delta f32) (param $offset f32) (param $omega f32) (param $threshold f32)
    (param $outSlots i32) (param $outBounds i32) (param $cap i32) (param $filter i32) (result i32)
    (local $b i32) (local $p i32) (local $l i32) (local $stop i32) (local $slot i32) (local $count i32)
    (local $mask i32) (local $lane i32) (local $k i32)
    (local $lo v128) (local $hi v128) (local $v v128) (local $r v128) (local $nib v128)
    (local $q v128) (local $bound v128) (local $base v128) (local $sums v128)
    (local.set $nib (i8x16.splat (i32.const 15)))
    (local.set $b (local.get $first))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $codes) (i32.mul (local.get $b) (i32.shl (local.get $bytes) (i32.const 4)))))
        (local.set $stop (i32.add (local.get $p) (i32.shl (local.get $bytes) (i32.const 4))))
        (local.set $l (local.get $lut))
        ;; two code bytes per turn (bytes is even)
        (loop $code_bytes
          (local.set $v (v128.load (local.get $p)))
          (local.set $r (i8x16.add_sat_u
            (i8x16.swizzle (v128.load (local.get $l)) (v128.and (local.get $v) (local.get $nib)))
            (i8x16.swizzle (v128.load offset=16 (local.get $l)) (i8x16.shr_u (local.get $v) (i32.const 4)))))
          (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_u (local.get $r))))
          (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_u (local.get $r))))
          (local.set $v (v128.load offset=16 (local.get $p)))
          (local.set $r (i8x16.add_sat_u
            (i8x16.swizzle (v128.load offset=32 (local.get $l)) (v128.and (local.get $v) (local.get $nib)))
            (i8x16.swizzle (v128.load offset=48 (local.get $l)) (i8x16.shr_u (local.get $v) (i32.const 4)))))
          (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_u (local.get $r))))
          (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_u (local.get $r))))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (local.set $l (i32.add (local.get $l) (i32.const 64)))
          (br_if $code_bytes (i32.lt_u (local.get $p) (local.get $stop))))
        ;; four lanes of four slots each: bound = cst + gain·(sum·delta + offset)
        (local.set $k (i32.const 0))
        (loop $quarters
          (local.set $slot (i32.add (i32.shl (local.get $b) (i32.const 4)) (i32.shl (local.get $k) (i32.const 2))))
          (local.set $sums
            (if (result v128) (i32.lt_u (local.get $k) (i32.const 2))
              (then (if (result v128) (i32.eqz (local.get $k))
                (then (i32x4.extend_low_i16x8_u (local.get $lo)))
                (else (i32x4.extend_high_i16x8_u (local.get $lo)))))
              (else (if (result v128) (i32.eq (local.get $k) (i32.const 2))
                (then (i32x4.extend_low_i16x8_u (local.get $hi)))
                (else (i32x4.extend_high_i16x8_u (local.get $hi)))))))
          (local.set $base (f32x4.splat (f32.load (i32.add (local.get $cst) (i32.shl
            (i32.load16_u (i32.add (local.get $cluster) (i32.shl (local.get $slot) (i32.const 1)))) (i32.const 2))))))
          (local.set $base (f32x4.replace_lane 1 (local.get $base) (f32.load (i32.add (local.get $cst) (i32.shl
            (i32.load16_u offset=2 (i32.add (local.get $cluster) (i32.shl (local.get $slot) (i32.const 1)))) (i32.const 2))))))
          (local.set $base (f32x4.replace_lane 2 (local.get $base) (f32.load (i32.add (local.get $cst) (i32.shl
            (i32.load16_u offset=4 (i32.add (local.get $cluster) (i32.shl (local.get $slot) (i32.const 1)))) (i32.const 2))))))
          (local.set $base (f32x4.replace_lane 3 (local.get $base) (f32.load (i32.add (local.get $cst) (i32.shl
            (i32.load16_u offset=6 (i32.add (local.get $cluster) (i32.shl (local.get $slot) (i32.const 1)))) (i32.const 2))))))
          (local.set $q (f32x4.add
            (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (local.get $sums)) (f32x4.splat (local.get $delta))) (f32x4.splat (local.get $offset)))
            (f32x4.mul (f32x4.splat (local.get $omega))
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero (i32.add (local.get $width) (local.get $slot)))))))))
          (local.set $bound (f32x4.add (local.get $base)
            (f32x4.mul (v128.load (i32.add (local.get $gain) (i32.shl (local.get $slot) (i32.const 2)))) (local.get $q))))
          (local.set $mask (i32x4.bitmask (f32x4.ge (local.get $bound) (f32x4.splat (local.get $threshold)))))
          ;; the filter's four bits of these slots (slot is a multiple of 4: bits slot & 4 .. + 3)
          (if (local.get $filter)
            (then (local.set $mask (i32.and (local.get $mask)
              (i32.shr_u (i32.load8_u (i32.add (local.get $filter) (i32.shr_u (local.get $slot) (i32.const 3))))
                         (i32.and (local.get $slot) (i32.const 4)))))))
          (if (local.get $mask)
            (then
              (local.set $lane (i32.const 0))
              (loop $lanes
                (if (i32.and (local.get $mask) (i32.shl (i32.const 1) (local.get $lane)))
                  (then
                    (if (i32.lt_u (local.get $count) (local.get $cap))
                      (then
                        (i32.store (i32.add (local.get $outSlots) (i32.shl (local.get $count) (i32.const 2)))
                          (i32.add (local.get $slot) (local.get $lane)))
                        (f32.store (i32.add (local.get $outBounds) (i32.shl (local.get $count) (i32.const 2)))
                          (if (result f32) (i32.lt_u (local.get $lane) (i32.const 2))
                            (then (if (result f32) (i32.eqz (local.get $lane))
                              (then (f32x4.extract_lane 0 (local.get $bound)))
                              (else (f32x4.extract_lane 1 (local.get $bound)))))
                            (else (if (result f32) (i32.eq (local.get $lane) (i32.const 2))
                              (then (f32x4.extract_lane 2 (local.get $bound)))
                              (else (f32x4.extract_lane 3 (local.get $bound)))))))))
                    (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 4))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $quarters (i32.lt_u (local.get $k) (i32.const 4))))
        (local.set $b (i32.add (local.get $b) (local.get $step)))
        (br $blocks)))
    (local.get $count)))
