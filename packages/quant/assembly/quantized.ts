// Matmul kernels for the quantized weight types against quantized activations (activations.ts).
//
// Every type is handled as a sequence of 32-element groups (sub-blocks of the K-quants' 256-element
// super-blocks). For group g of a weight row the accessors below give
//   unpack(k)  the group's weights as four i16x8 vectors in the activations' EO16 order,
//   scale      the float that scales the group's integer dot (block scale, or d · sub-scale),
//   minA/minB  the coefficients of the group's (or its 16-value halves') Σx̃, for formats whose
//              values carry a min or a float offset: x = d·q + m, or q stored with a bias;
// formats whose bias is an integer multiple of the scale (Q4_0: q − 8, Q5_0: q − 16) subtract
// bias · Σq from the integer dot instead, exactly.
//
// Each output is accumulated as one f32 sum, group by group: acc += f32(Σ w·q) · (scale · d), then
// acc += minA · s (and minB · s'). The integer dots are exact, so an output depends only on that
// sequence of float operations, which every kernel performs lane by lane in the same order: a
// matmul equals a sequence of matvecs bit for bit, and results do not depend on how rows are split
// across threads.
//   matvec (decode): the four lanes of a vector are four weight rows, taken from the four quarters
//     of the row range. Reading four distant rows at once gives the hardware prefetchers four
//     streams to follow; from one stream they fetch too little ahead to keep a core busy when the
//     weights come from DRAM (measured: 2.4 → 7.7 GB/s for Q4_0 on one core). Each activation
//     group is loaded once for the four rows.
//   panels (prefill): the four lanes are the four tokens of an activation panel; each weight group
//     is unpacked once per panel.
// In both, the four per-lane integer dots are summed across with one transposing reduction, so each
// group costs one conversion and one multiply-add for four outputs.
//   In the relaxed-SIMD build both kernels take the byte dot (relaxed8, relaxedQ6) for the formats
//   whose weights fit 7 bits: in decode it multiplies 16 pairs per instruction where the i16 dot
//   multiplies 8, and the weights skip the EO16 split (measured on one core, weights from DRAM:
//   Q4_0 matvec 29 → 39 GOP/s, Q4_K 16 → 26, Q6_K 12 → 19).
//
// V8 schedules each basic block breadth-first, which keeps every value of a large block live at
// once and spills; so loop bodies are kept to one sub-block, and where a K-quant sub-block's shifts
// depend on its index, each variant is a branch of its own with constant shifts (variant()).
//
// Functions are @inline with a constant `kind` so the optimizer specializes one copy per type, with
// the other types' branches folded away.

import {
  Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, loadF16,
} from './common';
import { PANEL, activationStride, dOffset, s32Offset, s16Offset, qsumOffset, q8Offset } from './activations';

// @ts-ignore: decorator
@inline function isK(kind: i32): bool {
  return kind == Q2_K || kind == Q3_K || kind == Q4_K || kind == Q5_K || kind == Q6_K;
}

/** Formats whose min/offset term uses per-16 activation sums. */
// @ts-ignore: decorator
@inline function minPer16(kind: i32): bool {
  return kind == Q2_K || kind == Q3_K || kind == Q6_K;
}

/** Formats with a float min/offset term. */
// @ts-ignore: decorator
@inline function hasMin(kind: i32): bool {
  return kind == Q4_1 || kind == Q5_1 || isK(kind);
}

/**
 * log2 of the integer bias subtracted from the stored values (x = d · (q − bias)): Q4_0 stores
 * q + 8, Q5_0 q + 16; 0 for formats without one.
 */
// @ts-ignore: decorator
@inline function biasShift(kind: i32): i32 {
  return kind == Q4_0 ? 3 : kind == Q5_0 ? 4 : 0;
}

/** [a, b, c, d] from four floats. */
// @ts-ignore: decorator
@inline function lanes(a: f32, b: f32, c: f32, d: f32): v128 {
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a), 1, b), 2, c), 3, d);
}

// @ts-ignore: decorator
@inline function blockBytes(kind: i32): usize {
  switch (kind) {
    case Q4_0: return 18;
    case Q4_1: return 20;
    case Q5_0: return 22;
    case Q5_1: return 24;
    case Q8_0: return 34;
    case IQ4_NL: return 18;
    case Q2_K: return 84;
    case Q3_K: return 110;
    case Q4_K: return 144;
    case Q5_K: return 176;
    default: return 210; // Q6_K
  }
}

/** 32-groups per block: 8 for the K-quants' super-blocks, 1 otherwise. */
// @ts-ignore: decorator
@inline function groupsPerBlock(kind: i32): i32 {
  return isK(kind) ? 8 : 1;
}

/** Sign-extends the even bytes of `v` into i16 lanes. */
// @ts-ignore: decorator
@inline function evenI8(v: v128): v128 {
  return i16x8.shr_s(i16x8.shl(v, 8), 8);
}

/** Sign-extends the odd bytes of `v` into i16 lanes. */
// @ts-ignore: decorator
@inline function oddI8(v: v128): v128 {
  return i16x8.shr_s(v, 8);
}

/**
 * Bits [from, from + width) of each u16 lane of `v`, moved to bit `to`, with one shift and one mask
 * at most (none where the arguments make them no-ops); meant for constant arguments.
 */
// @ts-ignore: decorator
@inline function bits(v: v128, from: i32, width: i32, to: i32): v128 {
  const m: i32 = ((1 << width) - 1) << to;
  const mask = i16x8.splat(<i16>m);
  if (from == to) return v128.and(v, mask);
  if (from < to) return v128.and(i16x8.shl(v, to - from), mask);
  const s = i16x8.shr_u(v, from - to);
  return from + width == 16 && to == 0 ? s : v128.and(s, mask);
}

/**
 * Vector k of the 32 nibbles packed in `v` as Q4_0 packs them (low nibbles elements 0..15, high
 * nibbles 16..31), in EO16 order.
 */
// @ts-ignore: decorator
@inline function nibbles(v: v128, k: i32): v128 {
  const M4 = i16x8.splat(0x0f);
  if (k == 0) return v128.and(v, M4);
  if (k == 1) return v128.and(i16x8.shr_u(v, 8), M4);
  if (k == 2) return v128.and(i16x8.shr_u(v, 4), M4);
  return i16x8.shr_u(v, 12);
}

/** The Q5 fifth bit of the lanes selected by `mask` (one bit per i16 lane), as 16 or 0. */
// @ts-ignore: decorator
@inline function bit5(bits: v128, mask: v128): v128 {
  return v128.and(i16x8.eq(v128.and(bits, mask), mask), i16x8.splat(16));
}

/**
 * Q4_K/Q5_K: the j-th 6-bit scale (packed with the mins in 12 bytes at `p`). Branch-free (both
 * cases are computed from in-bounds loads and one is selected), so that j may be a loop variable.
 */
// @ts-ignore: decorator
@inline function k4Scale(p: usize, j: i32): u32 {
  const a = <u32>load<u8>(p + (j & 3)); // s[j] for j < 4, s[j − 4] for j >= 4
  const b = <u32>load<u8>(p + (j & 3) + 8); // s[j + 4] for j >= 4
  return select<u32>((b & 0xf) | ((a >> 6) << 4), a & 63, j >= 4);
}

/** Q4_K/Q5_K: the j-th 6-bit min, branch-free like k4Scale. */
// @ts-ignore: decorator
@inline function k4Min(p: usize, j: i32): u32 {
  const c = <u32>load<u8>(p + j + 4);
  const a = <u32>load<u8>(p + j);
  return select<u32>((c >> 4) | ((a >> 6) << 4), c & 63, j >= 4);
}

/** Q3_K: the g-th of 16 signed 6-bit scales packed in 12 bytes at `p` (branch-free). */
// @ts-ignore: decorator
@inline function q3Scale(p: usize, g: i32): i32 {
  const low = (<i32>load<u8>(p + (g & 7)) >> ((g >> 3) << 2)) & 0xf;
  const high = (<i32>load<u8>(p + 8 + (g & 3)) >> ((g >> 2) << 1)) & 3;
  return (low | (high << 4)) - 32;
}

/** The integer sub-scale of 16-value half `h` of sub-block `j` (Q2_K, Q3_K, Q6_K). */
// @ts-ignore: decorator
@inline function subScale(kind: i32, b: usize, j: i32, h: i32): i32 {
  if (kind == Q6_K) return <i32>load<i8>(b + 192 + (j << 1) + h);
  if (kind == Q3_K) return q3Scale(b + 96, (j << 1) + h);
  return <i32>load<u8>(b + (j << 1) + h) & 0xf; // Q2_K
}

/**
 * Weights k (0..3) of sub-block `j` of the block or super-block at `b` (j = 0 for the formats
 * without sub-blocks), as i16x8 in EO16 order: k = 0/1 the even/odd elements of the first 16,
 * k = 2/3 those of the second 16. `x` must be the constant variant(kind, j). Loads and shifts
 * shared between the four calls are merged by the engine.
 */
// @ts-ignore: decorator
@inline function unpack(kind: i32, b: usize, j: i32, x: i32, k: i32): v128 {
  const M3 = i16x8.splat(0x03);
  const ONE = i16x8.splat(0x01);
  const hi = k >= 2; // second 16 elements
  const odd = k & 1; // odd elements: the high byte of each u16 lane
  const half: usize = hi ? 16 : 0;
  if (kind == Q4_0 || kind == Q4_1) {
    // qs[16]: low nibbles are elements 0..15, high nibbles 16..31.
    return nibbles(v128.load(b + (kind == Q4_0 ? 2 : 4)), k);
  }
  if (kind == Q5_0 || kind == Q5_1) {
    // qh (u32) holds the fifth bit of element i at bit i.
    const qh = load<u32>(b + (kind == Q5_0 ? 2 : 4));
    const v = v128.load(b + (kind == Q5_0 ? 6 : 8));
    const bits = i16x8.splat(<i16>(hi ? qh >> 16 : qh));
    const mask = odd ? i16x8(2, 8, 32, 128, 512, 2048, 8192, -32768) : i16x8(1, 4, 16, 64, 256, 1024, 4096, 16384);
    return v128.or(nibbles(v, k), bit5(bits, mask));
  }
  if (kind == Q8_0) {
    const v = v128.load(b + 2 + half);
    return odd ? oddI8(v) : evenI8(v);
  }
  if (kind == IQ4_NL) {
    const table = i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    const v = v128.load(b + 2);
    const x = i8x16.swizzle(table, hi ? i8x16.shr_u(v, 4) : v128.and(v, i8x16.splat(0x0f)));
    return odd ? oddI8(x) : evenI8(x);
  }
  if (kind == Q4_K || kind == Q5_K) return unpackK4(kind, b, j >> 1, x, j, k);
  if (kind == Q6_K) return i16x8.mul(unpackQ6(b, j >> 2, x, k), i16x8.splat(<i16>subScale(kind, b, j, hi ? 1 : 0)));
  if (kind == Q3_K) {
    // qs[32·(j/4)..] bits 2m..2m+1 (m = j % 4), plus hmask bit j as the third bit; stored values
    // are q − 4 with q in 0..7, the −4 handled by minA/minB.
    const v = v128.load(b + 32 + (<usize>(j >> 2) << 5) + half);
    const h = v128.load(b + half);
    const q = v128.or(
      v128.and(i16x8.shr_u(v, ((j & 3) << 1) + (odd ? 8 : 0)), M3),
      i16x8.shl(v128.and(i16x8.shr_u(h, j + (odd ? 8 : 0)), ONE), 2),
    );
    return i16x8.mul(q, i16x8.splat(<i16>subScale(kind, b, j, hi ? 1 : 0)));
  }
  // Q2_K: qs[32·(j/4)..] bits 2m..2m+1; one 4-bit scale (and 4-bit min) per 16 values.
  const v = v128.load(b + 16 + (<usize>(j >> 2) << 5) + half);
  const q = v128.and(i16x8.shr_u(v, ((j & 3) << 1) + (odd ? 8 : 0)), M3);
  return i16x8.mul(q, i16x8.splat(<i16>subScale(kind, b, j, hi ? 1 : 0)));
}

/**
 * Q4_K/Q5_K weights k of sub-block j = 2c + e: 64-element chunk c is 32 bytes of qs, sub-block 2c
 * in the low nibbles and 2c + 1 in the high ones. With `e` a constant every shift is one.
 */
// @ts-ignore: decorator
@inline function unpackK4(kind: i32, b: usize, c: i32, e: i32, j: i32, k: i32): v128 {
  const odd = k & 1;
  const half: usize = k >= 2 ? 16 : 0;
  const v = v128.load(b + (kind == Q4_K ? 16 : 48) + (<usize>c << 5) + half);
  let q = bits(v, (e << 2) + (odd << 3), 4, 0);
  if (kind == Q5_K) {
    // qh[l] bit j is the fifth bit of element 32j + l.
    const h = i16x8.shr_u(v128.load(b + 16 + half), j);
    q = v128.or(q, bits(h, odd << 3, 1, 4));
  }
  return q;
}

/**
 * Q6_K weights k of sub-block 4h + m, unscaled (0..63, the −32 offset left to the min term): half
 * h of the super-block uses ql[64h..] and qh[32h..]; sub-block m takes the low (m < 2) or high
 * nibbles of ql[32·(m & 1)..] and bits 2m..2m+1 of qh. With `m` a constant every shift is one.
 */
// @ts-ignore: decorator
@inline function unpackQ6(b: usize, h: i32, m: i32, k: i32): v128 {
  const odd = k & 1;
  const half: usize = k >= 2 ? 16 : 0;
  const l = v128.load(b + (<usize>h << 6) + (<usize>(m & 1) << 5) + half);
  const q = v128.load(b + 128 + (<usize>h << 5) + half);
  return v128.or(bits(l, ((m >> 1) << 2) + (odd << 3), 4, 0), bits(q, (m << 1) + (odd << 3), 2, 4));
}

/**
 * Q3_K weights k of sub-block j = 4·(j / 4) + m, unscaled (0..7, the −4 offset left to the min
 * term): bits 2m..2m+1 of qs[32·(j/4)..] plus hmask bit j as the third bit. With `m` a constant
 * every shift but the hmask one is one.
 */
// @ts-ignore: decorator
@inline function unpackQ3(b: usize, j: i32, m: i32, k: i32): v128 {
  const odd = k & 1;
  const half: usize = k >= 2 ? 16 : 0;
  const v = v128.load(b + 32 + (<usize>(j >> 2) << 5) + half);
  const h = i16x8.shr_u(v128.load(b + half), j);
  return v128.or(bits(v, (m << 1) + (odd << 3), 2, 0), bits(h, odd << 3, 1, 2));
}

/**
 * The 16 signed 6-bit scales of the Q3_K super-block at `b` as i8x16 (scale g in byte g): the low
 * 4 bits of scale g are nibble g / 8 of byte g % 8, the high 2 bits are bits 2·(g / 4) of byte
 * 8 + g % 4.
 */
// @ts-ignore: decorator
@inline function q3Scales(b: usize): v128 {
  const lo8 = v128.load64_zero(b + 96);
  const F = i8x16.splat(0x0f);
  const low = v128.shuffle<u8>(v128.and(lo8, F), v128.and(i16x8.shr_u(lo8, 4), F), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const w = load<u32>(b + 104);
  const hi2 = v128.and(i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(w), 1, w >> 2), 2, w >> 4), 3, w >> 6), i32x4.splat(0x03030303));
  return i8x16.sub(v128.or(low, i16x8.shl(hi2, 4)), i8x16.splat(32));
}

/**
 * The compile-time variant of sub-block `j` that fixes its shifts: j % 2 for Q4_K/Q5_K, j % 4 for
 * Q6_K, 0 otherwise. Kernels branch on it and pass it to unpack() as a constant.
 */
// @ts-ignore: decorator
@inline function variant(kind: i32, j: i32): i32 {
  return kind == Q4_K || kind == Q5_K ? j & 1 : kind == Q6_K ? j & 3 : 0;
}

/** The float scaling sub-block `j`'s integer dot. */
// @ts-ignore: decorator
@inline function scale(kind: i32, b: usize, j: i32): f32 {
  if (kind == Q4_K || kind == Q5_K) return loadF16(b) * <f32>k4Scale(b + 4, j);
  if (kind == Q6_K) return loadF16(b + 208);
  if (kind == Q3_K) return loadF16(b + 108);
  if (kind == Q2_K) return loadF16(b + 80);
  return loadF16(b);
}

/** Coefficient of Σx̃ over sub-block `j` (or over its first 16 values for the per-16 formats). */
// @ts-ignore: decorator
@inline function minA(kind: i32, b: usize, j: i32): f32 {
  if (kind == Q4_1 || kind == Q5_1) return loadF16(b + 2);
  if (kind == Q4_K || kind == Q5_K) return -loadF16(b + 2) * <f32>k4Min(b + 4, j);
  if (kind == Q6_K) return <f32>-32 * loadF16(b + 208) * <f32>subScale(kind, b, j, 0);
  if (kind == Q3_K) return <f32>-4 * loadF16(b + 108) * <f32>subScale(kind, b, j, 0);
  if (kind == Q2_K) return -loadF16(b + 82) * <f32>(<i32>load<u8>(b + (j << 1)) >> 4);
  return 0;
}

/** Coefficient of Σx̃ over the second 16 values of sub-block `j` (per-16 formats). */
// @ts-ignore: decorator
@inline function minB(kind: i32, b: usize, j: i32): f32 {
  if (kind == Q6_K) return <f32>-32 * loadF16(b + 208) * <f32>subScale(kind, b, j, 1);
  if (kind == Q3_K) return <f32>-4 * loadF16(b + 108) * <f32>subScale(kind, b, j, 1);
  if (kind == Q2_K) return -loadF16(b + 82) * <f32>(<i32>load<u8>(b + (j << 1) + 1) >> 4);
  return 0;
}

/** Σ w·q of four weight vectors against the 32 activation integers at `q`, as four partial sums. */
// @ts-ignore: decorator
@inline function dot32(w0: v128, w1: v128, w2: v128, w3: v128, q: usize): v128 {
  const s01 = i32x4.add(i32x4.dot_i16x8_s(w0, v128.load(q)), i32x4.dot_i16x8_s(w1, v128.load(q, 16)));
  const s23 = i32x4.add(i32x4.dot_i16x8_s(w2, v128.load(q, 32)), i32x4.dot_i16x8_s(w3, v128.load(q, 48)));
  return i32x4.add(s01, s23);
}

/**
 * Σ w·q over sub-block `j` at `b` against the 32 activation integers at `q`, as four partial sums;
 * for the formats whose variant() is always 0.
 */
// @ts-ignore: decorator
@inline function dotGroup(kind: i32, b: usize, j: i32, q: usize): v128 {
  return dot32(unpack(kind, b, j, 0, 0), unpack(kind, b, j, 0, 1), unpack(kind, b, j, 0, 2), unpack(kind, b, j, 0, 3), q);
}

/** [Σa, Σb, Σc, Σd]: the lane sums of four vectors, by one transposing reduction. */
// @ts-ignore: decorator
@inline function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<u32>(a, b, 0, 4, 1, 5), v128.shuffle<u32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<u32>(c, d, 0, 4, 1, 5), v128.shuffle<u32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<u32>(ab, cd, 0, 1, 4, 5), v128.shuffle<u32>(ab, cd, 2, 3, 6, 7));
}

/**
 * acc plus sub-block `j`'s contribution for four weight rows (blocks at `bA`..`bD`) against one
 * token whose sub-block has its integers at `q` and its scalars at `pd` (d), `p32` (s32), `p16`
 * (first s16 half; the second is `sStep` further) and `psum` (qsum).
 */
// @ts-ignore: decorator
@inline function rowsStep(
  kind: i32, j: i32, acc: v128, bA: usize, bB: usize, bC: usize, bD: usize,
  q: usize, q8: usize, pd: usize, p32: usize, p16: usize, psum: usize, sStep: usize,
): v128 {
  let isum: v128;
  if (relaxed8(kind)) {
    const a0 = v128.load(q8), a1 = v128.load(q8, 16);
    isum = sum4x16(kind, rowDot8(kind, bA, j, 0, a0, a1), rowDot8(kind, bB, j, 0, a0, a1), rowDot8(kind, bC, j, 0, a0, a1), rowDot8(kind, bD, j, 0, a0, a1));
  } else {
    isum = sum4(dotGroup(kind, bA, j, q), dotGroup(kind, bB, j, q), dotGroup(kind, bC, j, q), dotGroup(kind, bD, j, q));
  }
  if (biasShift(kind) != 0) isum = i32x4.sub(isum, i32x4.splat(load<i32>(psum) << biasShift(kind)));
  const wd = lanes(scale(kind, bA, j), scale(kind, bB, j), scale(kind, bC, j), scale(kind, bD, j));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(wd, f32x4.splat(load<f32>(pd)))));
  if (hasMin(kind)) {
    const ma = lanes(minA(kind, bA, j), minA(kind, bB, j), minA(kind, bC, j), minA(kind, bD, j));
    if (minPer16(kind)) {
      const mb = lanes(minB(kind, bA, j), minB(kind, bB, j), minB(kind, bC, j), minB(kind, bD, j));
      acc = f32x4.add(acc, f32x4.mul(ma, f32x4.splat(load<f32>(p16))));
      acc = f32x4.add(acc, f32x4.mul(mb, f32x4.splat(load<f32>(p16 + sStep))));
    } else {
      acc = f32x4.add(acc, f32x4.mul(ma, f32x4.splat(load<f32>(p32))));
    }
  }
  return acc;
}

/**
 * Four weight rows (at `pA`..`pD`) against one token, as [rowA, rowB, rowC, rowD]. The token's
 * group g has its integers at aq + g·qStep, its scalars (d, s32, qsum) at ad/as32/asum + g·sStep
 * and its s16 halves at as16 + (2g + half)·sStep.
 */
// @ts-ignore: decorator
@inline function fourRows(
  kind: i32, pA: usize, pB: usize, pC: usize, pD: usize, cols: i32,
  aq: usize, qStep: usize, aq8: usize, ad: usize, as32: usize, as16: usize, asum: usize, sStep: usize,
): v128 {
  const SUB = groupsPerBlock(kind);
  const nb = cols >> 5;
  let acc = f32x4.splat(0);
  let bA = pA, bB = pB, bC = pC, bD = pD;
  let q = aq, q8 = aq8, pd = ad, p32 = as32, p16 = as16, psum = asum;
  for (let g = 0; g < nb; g++) {
    const j = g & (SUB - 1); // sub-block within the (super-)block
    acc = rowsStep(kind, j, acc, bA, bB, bC, bD, q, q8, pd, p32, p16, psum, sStep);
    q += qStep; q8 += qStep >> 1; pd += sStep; p32 += sStep; p16 += 2 * sStep; psum += sStep;
    if (j == SUB - 1) {
      const bb = blockBytes(kind);
      bA += bb; bB += bb; bC += bb; bD += bb;
    }
  }
  return acc;
}

/** [x >> 8k & 0xff for each i32 lane x] as floats: byte k of every lane. */
// @ts-ignore: decorator
@inline function laneByte(v: v128, k: i32): v128 {
  return f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(v, k << 3), i32x4.splat(0xff)));
}

/**
 * Q4_K/Q5_K sub-block j = 2c + e (e constant) for four rows, given the rows' d in `D`, their −dmin
 * in `NDM` and their decoded 6-bit scales and mins as bytes of `SC`/`MN` (byte j % 4 of each lane).
 */
// @ts-ignore: decorator
@inline function stepK4(
  kind: i32, e: i32, j: i32, acc: v128, bA: usize, bB: usize, bC: usize, bD: usize,
  D: v128, NDM: v128, SC: v128, MN: v128, q: usize, q8: usize, pd: usize, p32: usize,
): v128 {
  const c = j >> 1;
  if (relaxed8(kind)) {
    const a0 = v128.load(q8), a1 = v128.load(q8, 16);
    const isum8 = sum4x16(kind, rowDot8(kind, bA, j, e, a0, a1), rowDot8(kind, bB, j, e, a0, a1), rowDot8(kind, bC, j, e, a0, a1), rowDot8(kind, bD, j, e, a0, a1));
    return stepK4Tail(acc, isum8, j, D, NDM, SC, MN, pd, p32);
  }
  const isum = sum4(
    dot32(unpackK4(kind, bA, c, e, j, 0), unpackK4(kind, bA, c, e, j, 1), unpackK4(kind, bA, c, e, j, 2), unpackK4(kind, bA, c, e, j, 3), q),
    dot32(unpackK4(kind, bB, c, e, j, 0), unpackK4(kind, bB, c, e, j, 1), unpackK4(kind, bB, c, e, j, 2), unpackK4(kind, bB, c, e, j, 3), q),
    dot32(unpackK4(kind, bC, c, e, j, 0), unpackK4(kind, bC, c, e, j, 1), unpackK4(kind, bC, c, e, j, 2), unpackK4(kind, bC, c, e, j, 3), q),
    dot32(unpackK4(kind, bD, c, e, j, 0), unpackK4(kind, bD, c, e, j, 1), unpackK4(kind, bD, c, e, j, 2), unpackK4(kind, bD, c, e, j, 3), q),
  );
  return stepK4Tail(acc, isum, j, D, NDM, SC, MN, pd, p32);
}

/** stepK4's float part, given the four rows' integer dots `isum`. */
// @ts-ignore: decorator
@inline function stepK4Tail(acc: v128, isum: v128, j: i32, D: v128, NDM: v128, SC: v128, MN: v128, pd: usize, p32: usize): v128 {
  const wd = f32x4.mul(D, laneByte(SC, j & 3));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(wd, f32x4.splat(load<f32>(pd)))));
  return f32x4.add(acc, f32x4.mul(f32x4.mul(NDM, laneByte(MN, j & 3)), f32x4.splat(load<f32>(p32))));
}

/** The two 16-value halves' partial dots of Q6_K sub-block 4h + m (m constant) of the row at `b`. */
// @ts-ignore: decorator
@inline function halvesQ6(b: usize, h: i32, m: i32, q: usize, second: bool): v128 {
  return second
    ? i32x4.add(i32x4.dot_i16x8_s(unpackQ6(b, h, m, 2), v128.load(q, 32)), i32x4.dot_i16x8_s(unpackQ6(b, h, m, 3), v128.load(q, 48)))
    : i32x4.add(i32x4.dot_i16x8_s(unpackQ6(b, h, m, 0), v128.load(q)), i32x4.dot_i16x8_s(unpackQ6(b, h, m, 1), v128.load(q, 16)));
}

/** [the signed byte at pA + o, …, pD + o] as i32 lanes. */
// @ts-ignore: decorator
@inline function byteLanes(pA: usize, pB: usize, pC: usize, pD: usize, o: usize): v128 {
  return i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(<i32>load<i8>(pA + o)),
    1, <i32>load<i8>(pB + o)), 2, <i32>load<i8>(pC + o)), 3, <i32>load<i8>(pD + o));
}

/**
 * Q6_K sub-block j = 4h + m (m constant) for four rows with d in `D`. The halves' integer dots are
 * reduced across the rows first and then multiplied by the rows' per-16 scales, which gives the
 * same integers as scaling the weights (as the panel kernel does) at a fraction of the cost.
 */
// @ts-ignore: decorator
@inline function stepQ6(
  m: i32, j: i32, acc: v128, bA: usize, bB: usize, bC: usize, bD: usize, D: v128,
  q: usize, q8: usize, pd: usize, p16: usize, sStep: usize,
): v128 {
  const h = j >> 2;
  let H0: v128, H1: v128;
  if (relaxedQ6()) {
    const a0 = v128.load(q8), a1 = v128.load(q8, 16);
    H0 = sum4x16(Q6_K, half8(bA, j, m, 0, a0), half8(bB, j, m, 0, a0), half8(bC, j, m, 0, a0), half8(bD, j, m, 0, a0));
    H1 = sum4x16(Q6_K, half8(bA, j, m, 1, a1), half8(bB, j, m, 1, a1), half8(bC, j, m, 1, a1), half8(bD, j, m, 1, a1));
  } else {
    H0 = sum4(halvesQ6(bA, h, m, q, false), halvesQ6(bB, h, m, q, false), halvesQ6(bC, h, m, q, false), halvesQ6(bD, h, m, q, false));
    H1 = sum4(halvesQ6(bA, h, m, q, true), halvesQ6(bB, h, m, q, true), halvesQ6(bC, h, m, q, true), halvesQ6(bD, h, m, q, true));
  }
  const so: usize = 192 + (<usize>j << 1);
  const S0 = byteLanes(bA, bB, bC, bD, so), S1 = byteLanes(bA, bB, bC, bD, so + 1);
  const isum = i32x4.add(i32x4.mul(H0, S0), i32x4.mul(H1, S1));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(D, f32x4.splat(load<f32>(pd)))));
  const D32 = f32x4.mul(f32x4.splat(-32), D);
  acc = f32x4.add(acc, f32x4.mul(f32x4.mul(D32, f32x4.convert_i32x4_s(S0)), f32x4.splat(load<f32>(p16))));
  return f32x4.add(acc, f32x4.mul(f32x4.mul(D32, f32x4.convert_i32x4_s(S1)), f32x4.splat(load<f32>(p16 + sStep))));
}

/**
 * Bytes n and n + 1 of each of `a`..`d`, as [a, b, c, d] i32 lanes each holding byte n in bits
 * 0..7 and byte n + 1 in bits 8..15.
 */
// @ts-ignore: decorator
@inline function bytePairOf4(a: v128, b: v128, c: v128, d: v128, n: i32): v128 {
  const idx = i16x8.splat(<i16>(n | ((n + 1) << 8)));
  const ab = v128.shuffle<u16>(i8x16.swizzle(a, idx), i8x16.swizzle(b, idx), 0, 8, 1, 9, 2, 10, 3, 11);
  const cd = v128.shuffle<u16>(i8x16.swizzle(c, idx), i8x16.swizzle(d, idx), 0, 8, 1, 9, 2, 10, 3, 11);
  return i32x4.extend_low_i16x8_u(v128.shuffle<u32>(ab, cd, 0, 4, 1, 5));
}

/** The two 16-value halves' partial dots of Q3_K sub-block j (j % 4 = m, constant) of the row at `b`. */
// @ts-ignore: decorator
@inline function halvesQ3(b: usize, j: i32, m: i32, q: usize, second: bool): v128 {
  return second
    ? i32x4.add(i32x4.dot_i16x8_s(unpackQ3(b, j, m, 2), v128.load(q, 32)), i32x4.dot_i16x8_s(unpackQ3(b, j, m, 3), v128.load(q, 48)))
    : i32x4.add(i32x4.dot_i16x8_s(unpackQ3(b, j, m, 0), v128.load(q)), i32x4.dot_i16x8_s(unpackQ3(b, j, m, 1), v128.load(q, 16)));
}

/**
 * Q3_K sub-block j (j % 4 = m, constant) for four rows with d in `D` and decoded scales in
 * `sA`..`sD` (q3Scales): as stepQ6, halves reduced across the rows, then multiplied by the
 * per-16 scales.
 */
// @ts-ignore: decorator
@inline function stepQ3(
  m: i32, j: i32, acc: v128, bA: usize, bB: usize, bC: usize, bD: usize, D: v128,
  sA: v128, sB: v128, sC: v128, sD: v128, q: usize, pd: usize, p16: usize, sStep: usize,
): v128 {
  const H0 = sum4(halvesQ3(bA, j, m, q, false), halvesQ3(bB, j, m, q, false), halvesQ3(bC, j, m, q, false), halvesQ3(bD, j, m, q, false));
  const H1 = sum4(halvesQ3(bA, j, m, q, true), halvesQ3(bB, j, m, q, true), halvesQ3(bC, j, m, q, true), halvesQ3(bD, j, m, q, true));
  const pair = bytePairOf4(sA, sB, sC, sD, 2 * j);
  const S0 = i32x4.shr_s(i32x4.shl(pair, 24), 24), S1 = i32x4.shr_s(i32x4.shl(pair, 16), 24);
  const isum = i32x4.add(i32x4.mul(H0, S0), i32x4.mul(H1, S1));
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(D, f32x4.splat(load<f32>(pd)))));
  const D4 = f32x4.mul(f32x4.splat(-4), D);
  acc = f32x4.add(acc, f32x4.mul(f32x4.mul(D4, f32x4.convert_i32x4_s(S0)), f32x4.splat(load<f32>(p16))));
  return f32x4.add(acc, f32x4.mul(f32x4.mul(D4, f32x4.convert_i32x4_s(S1)), f32x4.splat(load<f32>(p16 + sStep))));
}

/**
 * fourRows for Q3_K, Q4_K, Q5_K and Q6_K: each super-block's scales are decoded once for the four
 * rows (with vector operations, instead of per row and sub-block), and each sub-block is a small
 * branch of its own with its shifts constant.
 */
// @ts-ignore: decorator
@inline function fourRowsK(
  kind: i32, pA: usize, pB: usize, pC: usize, pD: usize, cols: i32,
  aq: usize, qStep: usize, aq8: usize, ad: usize, as32: usize, as16: usize, sStep: usize,
): v128 {
  const nsb = cols >> 8;
  let acc = f32x4.splat(0);
  let bA = pA, bB = pB, bC = pC, bD = pD;
  let q = aq, q8 = aq8, pd = ad, p32 = as32, p16 = as16;
  for (let s = 0; s < nsb; s++) {
    if (kind == Q3_K) {
      const D = lanes(loadF16(bA + 108), loadF16(bB + 108), loadF16(bC + 108), loadF16(bD + 108));
      const sA = q3Scales(bA), sB = q3Scales(bB), sC = q3Scales(bC), sD = q3Scales(bD);
      for (let j = 0; j < 8; j++) {
        const m = j & 3;
        if (m == 0) acc = stepQ3(0, j, acc, bA, bB, bC, bD, D, sA, sB, sC, sD, q, pd, p16, sStep);
        else if (m == 1) acc = stepQ3(1, j, acc, bA, bB, bC, bD, D, sA, sB, sC, sD, q, pd, p16, sStep);
        else if (m == 2) acc = stepQ3(2, j, acc, bA, bB, bC, bD, D, sA, sB, sC, sD, q, pd, p16, sStep);
        else acc = stepQ3(3, j, acc, bA, bB, bC, bD, D, sA, sB, sC, sD, q, pd, p16, sStep);
        q += qStep; pd += sStep; p16 += 2 * sStep;
      }
    } else if (kind == Q6_K) {
      const D = lanes(loadF16(bA + 208), loadF16(bB + 208), loadF16(bC + 208), loadF16(bD + 208));
      for (let j = 0; j < 8; j++) {
        const m = j & 3;
        if (m == 0) acc = stepQ6(0, j, acc, bA, bB, bC, bD, D, q, q8, pd, p16, sStep);
        else if (m == 1) acc = stepQ6(1, j, acc, bA, bB, bC, bD, D, q, q8, pd, p16, sStep);
        else if (m == 2) acc = stepQ6(2, j, acc, bA, bB, bC, bD, D, q, q8, pd, p16, sStep);
        else acc = stepQ6(3, j, acc, bA, bB, bC, bD, D, q, q8, pd, p16, sStep);
        q += qStep; q8 += qStep >> 1; pd += sStep; p16 += 2 * sStep;
      }
    } else {
      const D = lanes(loadF16(bA), loadF16(bB), loadF16(bC), loadF16(bD));
      const NDM = f32x4.neg(lanes(loadF16(bA + 2), loadF16(bB + 2), loadF16(bC + 2), loadF16(bD + 2)));
      // The 12 scale bytes of each row, transposed so that lane r holds row r's bytes 0..3 (LO),
      // 4..7 (MID) and 8..11 (HI); then the 6-bit scales and mins of sub-blocks 0..3 and 4..7 as
      // bytes, four per lane (llama.cpp's unpacking, lane-wise).
      const vA = v128.load(bA + 4), vB = v128.load(bB + 4), vC = v128.load(bC + 4), vD = v128.load(bD + 4);
      const t0 = v128.shuffle<u32>(vA, vB, 0, 4, 1, 5), t1 = v128.shuffle<u32>(vC, vD, 0, 4, 1, 5);
      const t2 = v128.shuffle<u32>(vA, vB, 2, 6, 3, 7), t3 = v128.shuffle<u32>(vC, vD, 2, 6, 3, 7);
      const LO = v128.shuffle<u32>(t0, t1, 0, 1, 4, 5), MID = v128.shuffle<u32>(t0, t1, 2, 3, 6, 7);
      const HI = v128.shuffle<u32>(t2, t3, 0, 1, 4, 5);
      const K1 = i32x4.splat(0x3f3f3f3f), K2 = i32x4.splat(0x0f0f0f0f), K3 = i32x4.splat(0x03030303);
      const scLo = v128.and(LO, K1), mnLo = v128.and(MID, K1);
      const scHi = v128.or(v128.and(HI, K2), i32x4.shl(v128.and(i32x4.shr_u(LO, 6), K3), 4));
      const mnHi = v128.or(v128.and(i32x4.shr_u(HI, 4), K2), i32x4.shl(v128.and(i32x4.shr_u(MID, 6), K3), 4));
      for (let j = 0; j < 8; j++) {
        const SC = j < 4 ? scLo : scHi, MN = j < 4 ? mnLo : mnHi;
        if (j & 1) acc = stepK4(kind, 1, j, acc, bA, bB, bC, bD, D, NDM, SC, MN, q, q8, pd, p32);
        else acc = stepK4(kind, 0, j, acc, bA, bB, bC, bD, D, NDM, SC, MN, q, q8, pd, p32);
        q += qStep; q8 += qStep >> 1; pd += sStep; p32 += sStep;
      }
    }
    const bb = blockBytes(kind);
    bA += bb; bB += bb; bC += bb; bD += bb;
  }
  return acc;
}

/**
 * Formats whose kernels (panel and matrix-vector), in the relaxed-SIMD build, multiply bytes: their
 * stored weights (0..31, offsets and mins left to the bias and min terms) are valid i7 operands of
 * i16x8.relaxed_dot_i8x16_i7x16_s, whose result is then fully specified. One such instruction
 * multiplies 16 pairs where i32x4.dot_i16x8_s multiplies 8, and the weights need no EO16 split.
 */
// @ts-ignore: decorator
@inline function relaxed8(kind: i32): bool {
  return ASC_FEATURE_RELAXED_SIMD && (kind == Q4_0 || kind == Q4_1 || kind == Q5_0 || kind == Q5_1 || kind == Q4_K || kind == Q5_K);
}

/**
 * Q6_K in the relaxed-SIMD build: its unscaled 6-bit weights (0..63) are valid i7 operands too, but
 * its per-16 scales keep the two halves of a sub-block apart, so it has a path of its own.
 */
// @ts-ignore: decorator
@inline function relaxedQ6(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/** The relaxed8 formats with 4-bit weights, whose four-token reduction can stay in i16 longer. */
// @ts-ignore: decorator
@inline function fourBit(kind: i32): bool {
  return kind == Q4_0 || kind == Q4_1 || kind == Q4_K;
}

/**
 * Weights 16h..16h + 15 of sub-block `j` at `b` as bytes in natural order (relaxed8 formats).
 * `x` must be the constant variant(kind, j).
 */
// @ts-ignore: decorator
@inline function unpack8(kind: i32, b: usize, j: i32, x: i32, h: i32): v128 {
  const M4 = i8x16.splat(0x0f);
  const half: usize = h ? 16 : 0;
  if (kind == Q4_0 || kind == Q4_1) {
    const v = v128.load(b + (kind == Q4_0 ? 2 : 4));
    return h ? v128.and(i16x8.shr_u(v, 4), M4) : v128.and(v, M4);
  }
  if (kind == Q5_0 || kind == Q5_1) {
    const qh = load<u32>(b + (kind == Q5_0 ? 2 : 4));
    const v = v128.load(b + (kind == Q5_0 ? 6 : 8));
    const q = h ? v128.and(i16x8.shr_u(v, 4), M4) : v128.and(v, M4);
    // Byte i of the half takes bit i of the half's 16 qh bits: bytes 0..7 from the low qh byte.
    const hb = i8x16.swizzle(i16x8.splat(<i16>(h ? qh >> 16 : qh)), i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const m = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    return v128.or(q, v128.and(i8x16.eq(v128.and(hb, m), m), i8x16.splat(16)));
  }
  if (kind == Q6_K) {
    // As unpackQ6, with x = m: low (m < 2) or high nibbles of ql, bits 2m..2m+1 of qh on top.
    const l = v128.load(b + (<usize>(j >> 2) << 6) + (<usize>(x & 1) << 5) + half);
    const t = v128.load(b + 128 + (<usize>(j >> 2) << 5) + half);
    const lo = x >= 2 ? v128.and(i16x8.shr_u(l, 4), M4) : v128.and(l, M4);
    const M = i8x16.splat(0x30);
    const top = x == 0 ? v128.and(i16x8.shl(t, 4), M) : x == 1 ? v128.and(i16x8.shl(t, 2), M) : x == 2 ? v128.and(t, M) : v128.and(i16x8.shr_u(t, 2), M);
    return v128.or(lo, top);
  }
  // Q4_K/Q5_K sub-block j = 2c + x: nibble x of the 32 bytes of chunk c; Q5_K's fifth bit of
  // element l is bit j of qh[l].
  const v = v128.load(b + (kind == Q4_K ? 16 : 48) + (<usize>(j >> 1) << 5) + half);
  let q = x ? v128.and(i16x8.shr_u(v, 4), M4) : v128.and(v, M4);
  if (kind == Q5_K) {
    const bit: i32 = 1 << j;
    const m = i8x16.splat(<i8>bit);
    q = v128.or(q, v128.and(i8x16.eq(v128.and(v128.load(b + 16 + half), m), m), i8x16.splat(16)));
  }
  return q;
}

/** One token's Σ w·q over a sub-block from its 32 activation bytes at `q8`, as eight i16 partial sums. */
// @ts-ignore: decorator
@inline function dot8(w0: v128, w1: v128, q8: usize): v128 {
  // The plain build must not compile the instruction at all (relaxed8 is false there).
  if (!ASC_FEATURE_RELAXED_SIMD) return unreachable();
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(q8), w0), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(q8, 16), w1));
}

/** dot8 of one weight row's sub-block `j` (x = variant(kind, j)) against activation bytes a0, a1. */
// @ts-ignore: decorator
@inline function rowDot8(kind: i32, b: usize, j: i32, x: i32, a0: v128, a1: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return unreachable();
  return i16x8.add(
    i16x8.relaxed_dot_i8x16_i7x16_s(a0, unpack8(kind, b, j, x, 0)),
    i16x8.relaxed_dot_i8x16_i7x16_s(a1, unpack8(kind, b, j, x, 1)),
  );
}

/**
 * Q6_K: Σ w·q over half `h` of sub-block `j` (x = j % 4) against activation bytes `a`, as eight
 * i16 partial sums.
 */
// @ts-ignore: decorator
@inline function half8(b: usize, j: i32, x: i32, h: i32, a: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return unreachable();
  return i16x8.relaxed_dot_i8x16_i7x16_s(a, unpack8(Q6_K, b, j, x, h));
}

/** The byte dot of weights `w` against the 16 activation bytes at `q8`. */
// @ts-ignore: decorator
@inline function half8w(w: v128, q8: usize): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return unreachable();
  return i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(q8), w);
}

/**
 * [Σa, Σb, Σc, Σd] of four dot8 (or half8) partial sums. A dot8 lane is at most 4 · 31 · 127 in
 * magnitude, a Q6_K half8 lane 2 · 63 · 127: pairs of lanes fit i16, and for 4-bit weights
 * (4 · 15 · 127) so do fours, which saves widening twice.
 */
// @ts-ignore: decorator
@inline function sum4x16(kind: i32, a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i16x8.add(v128.shuffle<u32>(a, b, 0, 4, 1, 5), v128.shuffle<u32>(a, b, 2, 6, 3, 7));
  const cd = i16x8.add(v128.shuffle<u32>(c, d, 0, 4, 1, 5), v128.shuffle<u32>(c, d, 2, 6, 3, 7));
  if (fourBit(kind)) {
    return i32x4.extadd_pairwise_i16x8_s(i16x8.add(v128.shuffle<u32>(ab, cd, 0, 1, 4, 5), v128.shuffle<u32>(ab, cd, 2, 3, 6, 7)));
  }
  const AB = i32x4.extadd_pairwise_i16x8_s(ab), CD = i32x4.extadd_pairwise_i16x8_s(cd);
  return i32x4.add(v128.shuffle<u32>(AB, CD, 0, 1, 4, 5), v128.shuffle<u32>(AB, CD, 2, 3, 6, 7));
}

/**
 * Weight vector k of sub-block `j` at `b` (x = variant(kind, j)) in the form the panel kernel
 * multiplies: for the byte-dot paths (relaxed8, relaxed Q6_K) the two 16-byte halves (k = 0, 1; k
 * = 2, 3 unused), otherwise the four EO16 i16x8 vectors of unpack().
 */
// @ts-ignore: decorator
@inline function panelWeights(kind: i32, b: usize, j: i32, x: i32, k: i32): v128 {
  if (relaxed8(kind) || (kind == Q6_K && relaxedQ6())) return k < 2 ? unpack8(kind, b, j, x, k) : v128.splat<i32>(0);
  return unpack(kind, b, j, x, k);
}

/**
 * The integer dots of one sub-block's weights `w0`..`w3` (panelWeights) against the PANEL tokens
 * of a full panel whose sub-block has its integers at `q` / `q8` and its scalars at `ps` + the
 * array's offset, with the integer bias taken off: [token 0, …, token 3].
 */
// @ts-ignore: decorator
@inline function panelDots(
  kind: i32, j: i32, b: usize, w0: v128, w1: v128, w2: v128, w3: v128, q: usize, q8: usize, ps: usize, sumOff: usize,
): v128 {
  let isum: v128;
  if (relaxed8(kind)) {
    isum = sum4x16(kind, dot8(w0, w1, q8), dot8(w0, w1, q8 + 32), dot8(w0, w1, q8 + 64), dot8(w0, w1, q8 + 96));
  } else if (kind == Q6_K && relaxedQ6()) {
    // The halves' dots, then their per-16 scales: the same integers as scaling the weights.
    const H0 = sum4x16(kind, half8w(w0, q8), half8w(w0, q8 + 32), half8w(w0, q8 + 64), half8w(w0, q8 + 96));
    const H1 = sum4x16(kind, half8w(w1, q8 + 16), half8w(w1, q8 + 48), half8w(w1, q8 + 80), half8w(w1, q8 + 112));
    isum = i32x4.add(i32x4.mul(H0, i32x4.splat(subScale(kind, b, j, 0))), i32x4.mul(H1, i32x4.splat(subScale(kind, b, j, 1))));
  } else {
    isum = sum4(dot32(w0, w1, w2, w3, q), dot32(w0, w1, w2, w3, q + 64), dot32(w0, w1, w2, w3, q + 128), dot32(w0, w1, w2, w3, q + 192));
  }
  if (biasShift(kind) != 0) isum = i32x4.sub(isum, i32x4.shl(v128.load(ps + sumOff), biasShift(kind)));
  return isum;
}

/**
 * acc plus a sub-block's float part for the PANEL tokens of a panel: its integer dots `isum`
 * times the weights' scale `wd` and the tokens' d, plus the min terms (`ma`, and `mb` for the
 * per-16 formats: minA / minB as vectors) against the tokens' sums at `ps` + s32Off / `p16`.
 */
// @ts-ignore: decorator
@inline function panelAccumulate(
  kind: i32, acc: v128, isum: v128, wd: v128, ma: v128, mb: v128, ps: usize, dOff: usize, s32Off: usize, p16: usize,
): v128 {
  acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(wd, v128.load(ps + dOff))));
  if (hasMin(kind)) {
    if (minPer16(kind)) {
      acc = f32x4.add(acc, f32x4.mul(ma, v128.load(p16)));
      acc = f32x4.add(acc, f32x4.mul(mb, v128.load(p16, PANEL << 2)));
    } else {
      acc = f32x4.add(acc, f32x4.mul(ma, v128.load(ps + s32Off)));
    }
  }
  return acc;
}

/**
 * acc plus sub-block `j`'s contribution for one weight row (block at `b`) against the PANEL tokens
 * of a full panel whose sub-block has its integers at `q` and its scalars at `ps` + the array's
 * offset (s16 at `p16`). `x` is the constant variant(kind, j).
 */
// @ts-ignore: decorator
@inline function tokensStep(
  kind: i32, j: i32, x: i32, acc: v128, b: usize, q: usize, q8: usize, ps: usize, dOff: usize, s32Off: usize, sumOff: usize, p16: usize,
): v128 {
  const w0 = panelWeights(kind, b, j, x, 0), w1 = panelWeights(kind, b, j, x, 1);
  const w2 = panelWeights(kind, b, j, x, 2), w3 = panelWeights(kind, b, j, x, 3);
  const isum = panelDots(kind, j, b, w0, w1, w2, w3, q, q8, ps, sumOff);
  const ma = hasMin(kind) ? f32x4.splat(minA(kind, b, j)) : f32x4.splat(0);
  const mb = minPer16(kind) ? f32x4.splat(minB(kind, b, j)) : f32x4.splat(0);
  return panelAccumulate(kind, acc, isum, f32x4.splat(scale(kind, b, j)), ma, mb, ps, dOff, s32Off, p16);
}

/**
 * One weight row (at `row`) against the PANEL tokens of a full activation panel at `panel`, as
 * [token 0, …, token 3]: the same per-output operations as fourRows, with tokens in the lanes.
 */
// @ts-ignore: decorator
@inline function fourTokens(kind: i32, row: usize, cols: i32, panel: usize): v128 {
  const SUB = groupsPerBlock(kind);
  const nb = cols >> 5;
  const dOff = dOffset(nb, PANEL), s32Off = s32Offset(nb, PANEL), sumOff = qsumOffset(nb, PANEL);
  let acc = f32x4.splat(0);
  let b = row, q = panel, ps = panel, p16 = panel + s16Offset(nb, PANEL), q8 = panel + q8Offset(nb, PANEL);
  for (let g = 0; g < nb; g++) {
    const j = g & (SUB - 1); // sub-block within the (super-)block
    // One branch per variant, so that each is compiled with its shifts constant.
    const x = variant(kind, j);
    if (x == 1) acc = tokensStep(kind, j, 1, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16);
    else if (kind == Q6_K && x == 2) acc = tokensStep(kind, j, 2, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16);
    else if (kind == Q6_K && x == 3) acc = tokensStep(kind, j, 3, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16);
    else acc = tokensStep(kind, j, 0, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16);
    q += PANEL << 6;
    q8 += PANEL << 5;
    ps += PANEL << 2;
    p16 += PANEL << 3;
    if (j == SUB - 1) b += blockBytes(kind);
  }
  return acc;
}

/**
 * The second panel's accumulator in eightTokens. A function returns one value, and the step is a
 * function so that each variant is compiled with its shifts constant; a global is per instance,
 * and every thread has its own instance.
 */
let accSecond: v128 = v128.splat<i32>(0);

/**
 * tokensStep for two full panels `P` bytes apart (`accA` the first's accumulator, the second's in
 * accSecond): the same operations per token as tokensStep, with the weights unpacked and the
 * weight scales decoded once for both panels.
 */
// @ts-ignore: decorator
@inline function tokensStep2(
  kind: i32, j: i32, x: i32, accA: v128, b: usize, q: usize, q8: usize, ps: usize,
  dOff: usize, s32Off: usize, sumOff: usize, p16: usize, P: usize,
): v128 {
  const w0 = panelWeights(kind, b, j, x, 0), w1 = panelWeights(kind, b, j, x, 1);
  const w2 = panelWeights(kind, b, j, x, 2), w3 = panelWeights(kind, b, j, x, 3);
  const wd = f32x4.splat(scale(kind, b, j));
  const ma = hasMin(kind) ? f32x4.splat(minA(kind, b, j)) : f32x4.splat(0);
  const mb = minPer16(kind) ? f32x4.splat(minB(kind, b, j)) : f32x4.splat(0);
  const isumB = panelDots(kind, j, b, w0, w1, w2, w3, q + P, q8 + P, ps + P, sumOff);
  accSecond = panelAccumulate(kind, accSecond, isumB, wd, ma, mb, ps + P, dOff, s32Off, p16 + P);
  const isumA = panelDots(kind, j, b, w0, w1, w2, w3, q, q8, ps, sumOff);
  return panelAccumulate(kind, accA, isumA, wd, ma, mb, ps, dOff, s32Off, p16);
}

/**
 * fourTokens for the two full panels at `panel` and `panel` + `P` (P = PANEL tokens' bytes): row
 * `row` against eight tokens, the outputs stored at `o` + t·outStride for token t = 0..7.
 */
// @ts-ignore: decorator
@inline function eightTokens(kind: i32, row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  const SUB = groupsPerBlock(kind);
  const nb = cols >> 5;
  const dOff = dOffset(nb, PANEL), s32Off = s32Offset(nb, PANEL), sumOff = qsumOffset(nb, PANEL);
  let acc = f32x4.splat(0);
  accSecond = f32x4.splat(0);
  let b = row, q = panel, ps = panel, p16 = panel + s16Offset(nb, PANEL), q8 = panel + q8Offset(nb, PANEL);
  for (let g = 0; g < nb; g++) {
    const j = g & (SUB - 1);
    const x = variant(kind, j);
    if (x == 1) acc = tokensStep2(kind, j, 1, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16, P);
    else if (kind == Q6_K && x == 2) acc = tokensStep2(kind, j, 2, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16, P);
    else if (kind == Q6_K && x == 3) acc = tokensStep2(kind, j, 3, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16, P);
    else acc = tokensStep2(kind, j, 0, acc, b, q, q8, ps, dOff, s32Off, sumOff, p16, P);
    q += PANEL << 6;
    q8 += PANEL << 5;
    ps += PANEL << 2;
    p16 += PANEL << 3;
    if (j == SUB - 1) b += blockBytes(kind);
  }
  const B = accSecond;
  store<f32>(o, f32x4.extract_lane(acc, 0));
  store<f32>(o + outStride, f32x4.extract_lane(acc, 1));
  store<f32>(o + 2 * outStride, f32x4.extract_lane(acc, 2));
  store<f32>(o + 3 * outStride, f32x4.extract_lane(acc, 3));
  store<f32>(o + 4 * outStride, f32x4.extract_lane(B, 0));
  store<f32>(o + 5 * outStride, f32x4.extract_lane(B, 1));
  store<f32>(o + 6 * outStride, f32x4.extract_lane(B, 2));
  store<f32>(o + 7 * outStride, f32x4.extract_lane(B, 3));
}

/*
 * Each kernel loop of each type is a function of its own (the *Of dispatchers below pick one for a
 * constant `kind`): Binaryen does not inline functions that hold loops, so quantizedMatmul stays a
 * smaller function that calls them. Inlined into it, the loops made one large function per type,
 * which V8 compiled less well (Q6_K prefill on SIMD128: 1.5× slower) and which took Binaryen's
 * optimizer eight minutes instead of under one once a second panel loop was added.
 */

/** fourTokens of row `row`, its four outputs stored at `o` + t·outStride for t = 0..3. */
// @ts-ignore: decorator
@inline function fourTokensStore(kind: i32, row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  const v = fourTokens(kind, row, cols, panel);
  store<f32>(o, f32x4.extract_lane(v, 0));
  store<f32>(o + outStride, f32x4.extract_lane(v, 1));
  store<f32>(o + 2 * outStride, f32x4.extract_lane(v, 2));
  store<f32>(o + 3 * outStride, f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function fourTokensOf(kind: i32, row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  if (kind == Q4_0) fourTokensQ40(row, cols, panel, o, outStride);
  else if (kind == Q4_1) fourTokensQ41(row, cols, panel, o, outStride);
  else if (kind == Q5_0) fourTokensQ50(row, cols, panel, o, outStride);
  else if (kind == Q5_1) fourTokensQ51(row, cols, panel, o, outStride);
  else if (kind == Q8_0) fourTokensQ80(row, cols, panel, o, outStride);
  else if (kind == IQ4_NL) fourTokensIQ4NL(row, cols, panel, o, outStride);
  else if (kind == Q2_K) fourTokensQ2K(row, cols, panel, o, outStride);
  else if (kind == Q3_K) fourTokensQ3K(row, cols, panel, o, outStride);
  else if (kind == Q4_K) fourTokensQ4K(row, cols, panel, o, outStride);
  else if (kind == Q5_K) fourTokensQ5K(row, cols, panel, o, outStride);
  else fourTokensQ6K(row, cols, panel, o, outStride);
}
function fourTokensQ40(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q4_0, row, cols, panel, o, outStride);
}
function fourTokensQ41(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q4_1, row, cols, panel, o, outStride);
}
function fourTokensQ50(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q5_0, row, cols, panel, o, outStride);
}
function fourTokensQ51(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q5_1, row, cols, panel, o, outStride);
}
function fourTokensQ80(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q8_0, row, cols, panel, o, outStride);
}
function fourTokensIQ4NL(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(IQ4_NL, row, cols, panel, o, outStride);
}
function fourTokensQ2K(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q2_K, row, cols, panel, o, outStride);
}
function fourTokensQ3K(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q3_K, row, cols, panel, o, outStride);
}
function fourTokensQ4K(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q4_K, row, cols, panel, o, outStride);
}
function fourTokensQ5K(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q5_K, row, cols, panel, o, outStride);
}
function fourTokensQ6K(row: usize, cols: i32, panel: usize, o: usize, outStride: usize): void {
  fourTokensStore(Q6_K, row, cols, panel, o, outStride);
}

// @ts-ignore: decorator
@inline function eightTokensOf(kind: i32, row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  if (kind == Q4_0) eightTokensQ40(row, cols, panel, P, o, outStride);
  else if (kind == Q4_1) eightTokensQ41(row, cols, panel, P, o, outStride);
  else if (kind == Q5_0) eightTokensQ50(row, cols, panel, P, o, outStride);
  else if (kind == Q5_1) eightTokensQ51(row, cols, panel, P, o, outStride);
  else if (kind == Q8_0) eightTokensQ80(row, cols, panel, P, o, outStride);
  else if (kind == IQ4_NL) eightTokensIQ4NL(row, cols, panel, P, o, outStride);
  else if (kind == Q2_K) eightTokensQ2K(row, cols, panel, P, o, outStride);
  else if (kind == Q3_K) eightTokensQ3K(row, cols, panel, P, o, outStride);
  else if (kind == Q4_K) eightTokensQ4K(row, cols, panel, P, o, outStride);
  else if (kind == Q5_K) eightTokensQ5K(row, cols, panel, P, o, outStride);
  else eightTokensQ6K(row, cols, panel, P, o, outStride);
}
function eightTokensQ40(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q4_0, row, cols, panel, P, o, outStride);
}
function eightTokensQ41(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q4_1, row, cols, panel, P, o, outStride);
}
function eightTokensQ50(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q5_0, row, cols, panel, P, o, outStride);
}
function eightTokensQ51(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q5_1, row, cols, panel, P, o, outStride);
}
function eightTokensQ80(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q8_0, row, cols, panel, P, o, outStride);
}
function eightTokensIQ4NL(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(IQ4_NL, row, cols, panel, P, o, outStride);
}
function eightTokensQ2K(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q2_K, row, cols, panel, P, o, outStride);
}
function eightTokensQ3K(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q3_K, row, cols, panel, P, o, outStride);
}
function eightTokensQ4K(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q4_K, row, cols, panel, P, o, outStride);
}
function eightTokensQ5K(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q5_K, row, cols, panel, P, o, outStride);
}
function eightTokensQ6K(row: usize, cols: i32, panel: usize, P: usize, o: usize, outStride: usize): void {
  eightTokens(Q6_K, row, cols, panel, P, o, outStride);
}

/** Each of the W tokens of the last, narrower panel at `panel` through matvec (see above). */
// @ts-ignore: decorator
@inline function matvecs(kind: i32, w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  for (let k = 0; k < W; k++) matvec(kind, w, rowBytes, cols, r0, r1, panel, W, k, out + <usize>k * outStride);
}
// @ts-ignore: decorator
@inline function matvecsOf(kind: i32, w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  if (kind == Q4_0) matvecsQ40(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q4_1) matvecsQ41(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q5_0) matvecsQ50(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q5_1) matvecsQ51(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q8_0) matvecsQ80(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == IQ4_NL) matvecsIQ4NL(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q2_K) matvecsQ2K(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q3_K) matvecsQ3K(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q4_K) matvecsQ4K(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else if (kind == Q5_K) matvecsQ5K(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
  else matvecsQ6K(w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ40(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q4_0, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ41(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q4_1, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ50(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q5_0, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ51(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q5_1, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ80(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q8_0, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsIQ4NL(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(IQ4_NL, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ2K(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q2_K, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ3K(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q3_K, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ4K(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q4_K, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ5K(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q5_K, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}
function matvecsQ6K(w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, out: usize, outStride: usize): void {
  matvecs(Q6_K, w, rowBytes, cols, r0, r1, panel, W, out, outStride);
}

/**
 * Rows [r0, r1) times token `k` of the activation panel of width `W` at `panel`; out + 4r gets row
 * r's result. Rows go four at a time, one from each quarter of the range; the last (r1 − r0) % 4
 * rows fill the lanes of one more call (repeating the last row where they run out).
 */
// @ts-ignore: decorator
@inline function matvec(
  kind: i32, w: usize, rowBytes: usize, cols: i32, r0: i32, r1: i32, panel: usize, W: i32, k: i32, out: usize,
): void {
  const nb = cols >> 5;
  const aq = panel + (<usize>k << 6);
  const aq8 = panel + q8Offset(nb, W) + (<usize>k << 5);
  const qStep = <usize>W << 6;
  const sStep = <usize>W << 2;
  const ko = <usize>k << 2;
  const ad = panel + dOffset(nb, W) + ko;
  const as32 = panel + s32Offset(nb, W) + ko;
  const as16 = panel + s16Offset(nb, W) + ko;
  const asum = panel + qsumOffset(nb, W) + ko;
  // Rows go in quads: quad i < quarter is rows r0 + i + {0, 1, 2, 3}·quarter; a last quad holds
  // the (r1 − r0) % 4 rows left, repeating the last one in the spare lanes. One call site, so the
  // (large) row kernel is compiled once per type.
  const quarter = (r1 - r0) >> 2;
  const rest = (r1 - r0) & 3;
  const quads = quarter + (rest != 0 ? 1 : 0);
  for (let i = 0; i < quads; i++) {
    const inner = i < quarter;
    const rA = inner ? r0 + i : r0 + 4 * quarter;
    const step = inner ? quarter : 1;
    const rB = min(rA + step, r1 - 1), rC = min(rA + 2 * step, r1 - 1), rD = min(rA + 3 * step, r1 - 1);
    const pA = w + <usize>rA * rowBytes, pB = w + <usize>rB * rowBytes, pC = w + <usize>rC * rowBytes, pD = w + <usize>rD * rowBytes;
    const v = kind == Q3_K || kind == Q4_K || kind == Q5_K || kind == Q6_K
      ? fourRowsK(kind, pA, pB, pC, pD, cols, aq, qStep, aq8, ad, as32, as16, sStep)
      : fourRows(kind, pA, pB, pC, pD, cols, aq, qStep, aq8, ad, as32, as16, asum, sStep);
    store<f32>(out + (<usize>rA << 2), f32x4.extract_lane(v, 0));
    if (inner || rest > 1) store<f32>(out + (<usize>rB << 2), f32x4.extract_lane(v, 1));
    if (inner || rest > 2) store<f32>(out + (<usize>rC << 2), f32x4.extract_lane(v, 2));
    if (inner) store<f32>(out + (<usize>rD << 2), f32x4.extract_lane(v, 3));
  }
}

/**
 * Tokens per pass over the weight rows in prefill (a multiple of 2 · PANEL): enough that the pass's
 * activations stay in L2 while every row of the weight matrix streams past them.
 */
// @ts-ignore: decorator
@inline function prefillChunk(tokStride: usize): i32 {
  const n = <i32>(<usize>786432 / tokStride) & ~(2 * PANEL - 1); // whole eightTokens passes
  return n < 2 * PANEL ? 2 * PANEL : n;
}

/**
 * Rows [r0, r1) of the weight matrix at `w` times `nTokens` quantized activation rows at `act`;
 * out[t·rows + r] (f32) for every token t. Full panels go through eightTokens (two at a time) or,
 * the last odd one, fourTokens; the tokens of a last, narrower panel (and a lone decode
 * token) through matvec; each of the three loops in a function of its own per type (above).
 */
// @ts-ignore: decorator
@inline function quantizedMatmul(
  kind: i32, w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, nTokens: i32, out: usize,
): void {
  const tokStride = activationStride(cols);
  const outStride = <usize>rows << 2;
  const full = nTokens & ~(PANEL - 1);
  const chunk = prefillChunk(tokStride);
  for (let tc = 0; tc < full; tc += chunk) {
    const te = min(full, tc + chunk);
    for (let r = r0; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      let t = tc;
      const P = <usize>PANEL * tokStride;
      for (; t + 2 * PANEL <= te; t += 2 * PANEL) {
        eightTokensOf(kind, row, cols, act + <usize>t * tokStride, P, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
      for (; t < te; t += PANEL) {
        fourTokensOf(kind, row, cols, act + <usize>t * tokStride, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
    }
  }
  const W = nTokens - full;
  if (W > 0) matvecsOf(kind, w, rowBytes, cols, r0, r1, act + <usize>full * tokStride, W, out + <usize>full * outStride, outStride);
}

export function matmulQ4_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ4_1(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_1, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_1(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_1, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ8_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q8_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulIQ4_NL(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(IQ4_NL, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ2_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q2_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ3_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q3_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ4_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ6_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q6_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
