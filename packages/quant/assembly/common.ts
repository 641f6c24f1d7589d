// Helpers shared by the kernels: ggml type ids, half-precision decoding and horizontal sums.

/** ggml type ids (the same numbers as GGMLType in src/types.ts). */
export const F32: i32 = 0;
export const F16: i32 = 1;
export const Q4_0: i32 = 2;
export const Q4_1: i32 = 3;
export const Q5_0: i32 = 6;
export const Q5_1: i32 = 7;
export const Q8_0: i32 = 8;
export const Q2_K: i32 = 10;
export const Q3_K: i32 = 11;
export const Q4_K: i32 = 12;
export const Q5_K: i32 = 13;
export const Q6_K: i32 = 14;
export const IQ4_NL: i32 = 20;
export const BF16: i32 = 30;

/**
 * IEEE half → float. Shifting the exponent+mantissa into float position and multiplying by 2^112
 * rebiases normals and turns subnormals into the right normal floats in one step; only Inf/NaN
 * (exponent 31) need their exponent forced to 255.
 */
// @ts-ignore: decorator
@inline export function f16ToF32(h: u32): f32 {
  const em = (h & 0x7fff) << 13;
  const finite = reinterpret<f32>(em) * reinterpret<f32>(0x77800000);
  const special = reinterpret<f32>(em | 0x7f800000);
  const mag = (h & 0x7c00) == 0x7c00 ? special : finite;
  return reinterpret<f32>(reinterpret<u32>(mag) | ((h & 0x8000) << 16));
}

/**
 * Byte address of the half → float table: 65536 f32 at the start of memory, the 256 KiB the arena
 * reserves for this module. Filled once by initTables(); turns each block-scale decode into a load.
 */
export const F16_TABLE: usize = 0;

/** The float value of the half at `p` (unaligned), via the table. */
// @ts-ignore: decorator
@inline export function loadF16(p: usize): f32 {
  return load<f32>(F16_TABLE + (<usize>load<u16>(p) << 2));
}

/**
 * Four halves, sign-extended to i32 lanes (i32x4.extend_*_i16x8_s) → four floats, as f16ToF32.
 * Shifted left by 13, a lane has the sign at bit 31 and exponent + mantissa at bits 27..13 (the
 * sign's copies on bits 28..30 are cleared); multiplying by 2^112 then rebiases normals and turns
 * subnormals into the right normal floats, sign included, so only Inf/NaN (exponent 31) need their
 * exponent forced to 255. Seven operations where handling the sign apart took nine.
 */
// @ts-ignore: decorator
@inline export function f16x4ToF32x4(h: v128): v128 {
  const bits = v128.and(i32x4.shl(h, 13), i32x4.splat(0x8fffffff));
  const finite = f32x4.mul(bits, f32x4.splat(reinterpret<f32>(0x77800000)));
  const EXP = i32x4.splat(0x0f800000);
  const special = i32x4.eq(v128.and(bits, EXP), EXP);
  return v128.bitselect(v128.or(bits, i32x4.splat(0x7f800000)), finite, special);
}

// @ts-ignore: decorator
@inline export function hsumF32(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline export function hsumI32(v: v128): i32 {
  return (i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1)) + (i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}

/**
 * Tokens handled per pass over a weight row in prefill: enough that the chunk's activations
 * (`tokStride` bytes each) stay in L2 while every row of the weight matrix streams past them.
 */
// @ts-ignore: decorator
@inline export function tokenChunk(tokStride: usize): i32 {
  const n = <i32>(<usize>196608 / tokStride) & ~3;
  return n < 4 ? 4 : n;
}
