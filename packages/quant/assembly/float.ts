// Matmul kernels for F32, F16 and BF16 weights against f32 activations (no activation
// quantization: these types are used where precision matters more than speed).

import { F32, F16, BF16, f16ToF32, f16x4ToF32x4, hsumF32, tokenChunk } from './common';

/**
 * Four halves (sign-extended into i32 lanes) → floats, for finite halves only: keeping the sign
 * bit and the exponent+mantissa bits in float position and multiplying by 2^112 rebiases normals
 * and subnormals alike.
 */
// @ts-ignore: decorator
@inline function finiteF16x4(s: v128): v128 {
  const bits = v128.and(i32x4.shl(s, 13), i32x4.splat(0x8fffe000));
  return f32x4.mul(bits, f32x4.splat(reinterpret<f32>(0x77800000)));
}

/** Four of the eight weights starting at element i (the high four when `hi`) as f32x4; F32/BF16. */
// @ts-ignore: decorator
@inline function load4(kind: i32, row: usize, i: i32, hi: bool): v128 {
  if (kind == F32) return v128.load(row + (<usize>i << 2) + (hi ? 16 : 0));
  const h = v128.load(row + (<usize>i << 1));
  return i32x4.shl(hi ? i32x4.extend_high_i16x8_u(h) : i32x4.extend_low_i16x8_u(h), 16);
}

// @ts-ignore: decorator
@inline function loadOne(kind: i32, row: usize, i: i32): f32 {
  if (kind == F32) return load<f32>(row + (<usize>i << 2));
  const h = <u32>load<u16>(row + (<usize>i << 1));
  return kind == F16 ? f16ToF32(h) : reinterpret<f32>(h << 16);
}

/** One weight row against NT (1 or 4) f32 activation rows; two accumulators per token. */
// @ts-ignore: decorator
@inline function rowTile(kind: i32, NT: i32, row: usize, cols: i32, x0: usize, xStride: usize, out: usize, outStride: usize): void {
  const x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
  const zero = f32x4.splat(0);
  let a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
  const n8 = cols & ~7;
  for (let i = 0; i < n8; i += 8) {
    let wa: v128, wb: v128;
    if (kind == F16) {
      const h = v128.load(row + (<usize>i << 1));
      // Inf/NaN (exponent 31) are rare enough to take the exact but slower path for all eight.
      const exp = i16x8.splat(0x7c00);
      if (v128.any_true(i16x8.eq(v128.and(h, exp), exp))) {
        wa = f16x4ToF32x4(i32x4.extend_low_i16x8_s(h));
        wb = f16x4ToF32x4(i32x4.extend_high_i16x8_s(h));
      } else {
        wa = finiteF16x4(i32x4.extend_low_i16x8_s(h));
        wb = finiteF16x4(i32x4.extend_high_i16x8_s(h));
      }
    } else {
      wa = load4(kind, row, i, false);
      wb = load4(kind, row, i, true);
    }
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(wa, v128.load(x0 + o)));
    b0 = f32x4.add(b0, f32x4.mul(wb, v128.load(x0 + o, 16)));
    if (NT == 4) {
      a1 = f32x4.add(a1, f32x4.mul(wa, v128.load(x1 + o)));
      b1 = f32x4.add(b1, f32x4.mul(wb, v128.load(x1 + o, 16)));
      a2 = f32x4.add(a2, f32x4.mul(wa, v128.load(x2 + o)));
      b2 = f32x4.add(b2, f32x4.mul(wb, v128.load(x2 + o, 16)));
      a3 = f32x4.add(a3, f32x4.mul(wa, v128.load(x3 + o)));
      b3 = f32x4.add(b3, f32x4.mul(wb, v128.load(x3 + o, 16)));
    }
  }
  let t0 = hsumF32(f32x4.add(a0, b0)), t1 = hsumF32(f32x4.add(a1, b1));
  let t2 = hsumF32(f32x4.add(a2, b2)), t3 = hsumF32(f32x4.add(a3, b3));
  for (let i = n8; i < cols; i++) {
    const wv = loadOne(kind, row, i);
    const o = <usize>i << 2;
    t0 += wv * load<f32>(x0 + o);
    if (NT == 4) {
      t1 += wv * load<f32>(x1 + o);
      t2 += wv * load<f32>(x2 + o);
      t3 += wv * load<f32>(x3 + o);
    }
  }
  store<f32>(out, t0);
  if (NT == 4) {
    store<f32>(out + outStride, t1);
    store<f32>(out + 2 * outStride, t2);
    store<f32>(out + 3 * outStride, t3);
  }
}

// @ts-ignore: decorator
@inline function floatMatmul(
  kind: i32, w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, x: usize, nTokens: i32, out: usize,
): void {
  const xStride = <usize>cols << 2;
  const outStride = <usize>rows << 2;
  const chunk = tokenChunk(xStride);
  for (let tc = 0; tc < nTokens; tc += chunk) {
    const te = min(nTokens, tc + chunk);
    for (let r = r0; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      let t = tc;
      for (; t + 4 <= te; t += 4) {
        rowTile(kind, 4, row, cols, x + <usize>t * xStride, xStride, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
      for (; t < te; t++) {
        rowTile(kind, 1, row, cols, x + <usize>t * xStride, xStride, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
    }
  }
}

export function matmulF32(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, x: usize, n: i32, out: usize): void {
  floatMatmul(F32, w, rowBytes, rows, cols, r0, r1, x, n, out);
}
export function matmulF16(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, x: usize, n: i32, out: usize): void {
  floatMatmul(F16, w, rowBytes, rows, cols, r0, r1, x, n, out);
}
export function matmulBF16(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, x: usize, n: i32, out: usize): void {
  floatMatmul(BF16, w, rowBytes, rows, cols, r0, r1, x, n, out);
}
