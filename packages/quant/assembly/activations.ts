// Activation quantization: each f32 input row is turned once per matmul into 8-bit integers with
// one f32 scale per 32 values (as ggml's Q8_0), so the weight kernels can multiply-accumulate in
// integers and apply one float multiply per 32 products.
//
// Tokens are stored in panels of PANEL consecutive tokens (the last panel of a matmul may be
// narrower: its width is W = min(PANEL, nTokens − first token)). Inside a panel the tokens are
// interleaved group by group, so that the prefill kernel, which multiplies one weight group by the
// panel's tokens at once, reads the panel's activations contiguously and each panel-wide scale with
// one vector load. A panel of W tokens is W · activationStride(cols) bytes and starts at
// act + first · activationStride(cols); with nb = cols / 32 groups it holds, in order:
//   q     i16[nb][W][32]  the integers, sign-extended to i16 so the kernels can use
//                         i32x4.dot_i16x8_s; within each 16-value half stored as the 8 even-indexed
//                         values then the 8 odd-indexed ones ("EO16" order). Packed weight bytes read
//                         as u16 lanes split naturally into even and odd elements, so weights never
//                         need a byte shuffle.
//   d     f32[nb][W]      scale of each 32-value group (max|x| / 127)
//   s32   f32[nb][W]      d · Σq over the group (for the weight formats with an offset or min)
//   s16   f32[nb][2][W]   d · Σq over each 16-value half (for the K-quants with per-16 mins)
//   qsum  i32[nb][W]      Σq over the group, exact (for the formats whose offset is an integer)
//   q8    i8[nb][W][32]   only in the relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD): the same
//                         integers as bytes in natural order, the operands of
//                         i16x8.relaxed_dot_i8x16_i7x16_s for the formats whose weights are 0..63
// A single token (decode) is a panel of width 1: plain consecutive arrays.

import { hsumI32 } from './common';

/** Tokens per activation panel (the lanes of a prefill kernel's vectors). */
export const PANEL: i32 = 4;

/** Bytes per token: 64 of integers and 20 of scales and sums per 32-value group (+32 of q8). */
// @ts-ignore: decorator
@inline export function activationStride(cols: i32): usize {
  return <usize>(cols >> 5) * (ASC_FEATURE_RELAXED_SIMD ? 116 : 84);
}

/** Offset of the d array in a panel of width `W` over `nb` groups (q is at 0). */
// @ts-ignore: decorator
@inline export function dOffset(nb: i32, W: i32): usize {
  return <usize>(nb * W) << 6;
}

/** Offset of the s32 array. */
// @ts-ignore: decorator
@inline export function s32Offset(nb: i32, W: i32): usize {
  return dOffset(nb, W) + (<usize>(nb * W) << 2);
}

/** Offset of the s16 array. */
// @ts-ignore: decorator
@inline export function s16Offset(nb: i32, W: i32): usize {
  return s32Offset(nb, W) + (<usize>(nb * W) << 2);
}

/** Offset of the qsum array. */
// @ts-ignore: decorator
@inline export function qsumOffset(nb: i32, W: i32): usize {
  return s16Offset(nb, W) + (<usize>(nb * W) << 3);
}

/** Offset of the q8 array (relaxed-SIMD build only). */
// @ts-ignore: decorator
@inline export function q8Offset(nb: i32, W: i32): usize {
  return qsumOffset(nb, W) + (<usize>(nb * W) << 2);
}

// @ts-ignore: decorator
@inline function quantize4(x: usize, off: usize, inv: f32): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + off), f32x4.splat(inv))));
}

/**
 * Writes 16 integers (four i32x4) in EO16 order at `dst` (and, in the relaxed build, as bytes at
 * `dst8`); returns their sum.
 */
// @ts-ignore: decorator
@inline function store16(dst: usize, dst8: usize, q0: v128, q1: v128, q2: v128, q3: v128): i32 {
  const lo = i16x8.narrow_i32x4_s(q0, q1);
  const hi = i16x8.narrow_i32x4_s(q2, q3);
  if (ASC_FEATURE_RELAXED_SIMD) v128.store(dst8, i8x16.narrow_i16x8_s(lo, hi));
  v128.store(dst, v128.shuffle<u8>(lo, hi, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29));
  v128.store(dst, v128.shuffle<u8>(lo, hi, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31), 16);
  return hsumI32(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)));
}

/**
 * Quantizes tokens [t0, t1) of the `nTokens` rows of `x` (rows of `cols` f32, `xStride` bytes
 * apart) into their panels at `act` (see the layout above).
 */
export function quantizeActivations(x: usize, xStride: usize, cols: i32, nTokens: i32, t0: i32, t1: i32, act: usize): void {
  const stride = activationStride(cols);
  const nb = cols >> 5;
  for (let t = t0; t < t1; t++) {
    const first = t & ~(PANEL - 1);
    const W = min(PANEL, nTokens - first);
    const k = t - first;
    const panel = act + <usize>first * stride;
    const dOff = dOffset(nb, W), s32Off = s32Offset(nb, W), s16Off = s16Offset(nb, W), sumOff = qsumOffset(nb, W);
    const q8Off = q8Offset(nb, W);
    const xr = x + <usize>t * xStride;
    for (let b = 0; b < nb; b++) {
      const xb = xr + (<usize>b << 7);
      const v0 = v128.load(xb), v1 = v128.load(xb, 16), v2 = v128.load(xb, 32), v3 = v128.load(xb, 48);
      const v4 = v128.load(xb, 64), v5 = v128.load(xb, 80), v6 = v128.load(xb, 96), v7 = v128.load(xb, 112);
      let m = f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3)));
      m = f32x4.max(m, f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))));
      const amax = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      const d: f32 = amax / 127;
      const inv: f32 = d != 0 ? <f32>1 / d : 0;
      const slot = <usize>(b * W + k);
      const q = panel + (slot << 6);
      const q8 = panel + q8Off + (slot << 5);
      const sumA = store16(q, q8, quantize4(xb, 0, inv), quantize4(xb, 16, inv), quantize4(xb, 32, inv), quantize4(xb, 48, inv));
      const sumB = store16(q + 32, q8 + 16, quantize4(xb, 64, inv), quantize4(xb, 80, inv), quantize4(xb, 96, inv), quantize4(xb, 112, inv));
      store<f32>(panel + dOff + (slot << 2), d);
      store<f32>(panel + s32Off + (slot << 2), d * <f32>(sumA + sumB));
      store<f32>(panel + s16Off + (<usize>(2 * b * W + k) << 2), d * <f32>sumA);
      store<f32>(panel + s16Off + (<usize>((2 * b + 1) * W + k) << 2), d * <f32>sumB);
      store<i32>(panel + sumOff + (slot << 2), sumA + sumB);
    }
  }
}
