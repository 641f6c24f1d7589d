/**
 * F16 and BF16 weights, plus the scalar half-precision conversions every quantized format uses
 * for its block scales.
 *
 * Layout (both types): one element per "block", 2 bytes little-endian.
 *   F16:  IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits).
 *   BF16: the top 16 bits of an IEEE 754 binary32 (1 sign, 8 exponent, 7 mantissa bits).
 *
 * Block scales inside quantized blocks sit at arbitrary byte offsets, so values are always read
 * byte by byte (`readFp16`), never through a Uint16Array view that would need 2-byte alignment.
 * Like ggml, Legato assumes a little-endian host (every JS engine in practice).
 */

// One shared 4-byte scratch to reinterpret float bits without allocating per call.
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/** binary16 -> f32 for all 65536 bit patterns (256 KiB); ggml keeps the same table. */
const FP16_TABLE: Float32Array = buildFp16Table();

function buildFp16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v: number;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp === 31) v = mant === 0 ? Infinity : NaN;
    else v = (1024 + mant) * 2 ** (exp - 25);
    table[h] = sign * v;
  }
  return table;
}

/** Decodes binary16 bits (0..65535) to a number (exactly representable as f32). */
export function fp16ToF32(bits: number): number {
  return FP16_TABLE[bits & 0xffff];
}

/** Reads a little-endian binary16 at any byte offset. */
export function readFp16(src: Uint8Array, offset: number): number {
  return FP16_TABLE[src[offset] | (src[offset + 1] << 8)];
}

/** The IEEE binary32 bit pattern of `x` after rounding it to f32. */
export function f32Bits(x: number): number {
  bitsF32[0] = x;
  return bitsU32[0];
}

/**
 * Encodes `x` (first rounded to f32, as ggml's inputs are f32) as binary16 bits with
 * round-to-nearest-even, overflow to ±Inf, gradual underflow, like ggml's GGML_FP32_TO_FP16
 * (F16C `vcvtps2ph` with rounding mode 0, or its portable bit-trick fallback). NaN becomes the
 * quiet NaN 0x7e00 with the input's sign, as the fallback does.
 */
export function f32ToFp16(x: number): number {
  const u = f32Bits(x);
  const sign = (u >>> 16) & 0x8000;
  const abs = u & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  // 2^16 and above is past the largest half even before rounding.
  if (abs >= 0x47800000) return sign | 0x7c00;
  if (abs < 0x38800000) {
    // Below 2^-14: the result is a subnormal half, an integer multiple of 2^-24.
    bitsU32[0] = abs;
    const r = bitsF32[0] * 16777216; // exact: scaling by a power of two
    let q = Math.floor(r);
    const rest = r - q;
    if (rest > 0.5 || (rest === 0.5 && (q & 1) === 1)) q++;
    return sign | q; // q may reach 0x400, which is exactly the smallest normal's encoding
  }
  const exp = (abs >>> 23) - 127 + 15;
  const mant = abs & 0x7fffff;
  let h = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to 0x7c00 = Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** Decodes bfloat16 bits (0..65535) to a number. */
export function bf16ToF32(bits: number): number {
  bitsU32[0] = (bits & 0xffff) << 16;
  return bitsF32[0];
}

/**
 * Encodes `x` (first rounded to f32) as bfloat16 bits: round-to-nearest-even on the dropped 16
 * bits; NaN is kept and forced quiet. Same as ggml's GGML_FP32_TO_BF16.
 */
export function f32ToBf16(x: number): number {
  const u = f32Bits(x);
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

export function dequantizeRowF16(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let i = 0, o = srcOffset; i < n; i++, o += 2) {
    dst[dstOffset + i] = FP16_TABLE[src[o] | (src[o + 1] << 8)];
  }
}

export function dotRowF16(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let i = 0, o = srcOffset; i < n; i++, o += 2) {
    sum += FP16_TABLE[src[o] | (src[o + 1] << 8)] * x[xOffset + i];
  }
  return sum;
}

/** Stores n f32 values as binary16 (round-to-nearest-even). */
export function quantizeRowF16(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let i = 0, o = dstOffset; i < n; i++, o += 2) {
    const h = f32ToFp16(src[srcOffset + i]);
    dst[o] = h & 0xff;
    dst[o + 1] = h >>> 8;
  }
}

export function dequantizeRowBF16(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let i = 0, o = srcOffset; i < n; i++, o += 2) {
    bitsU32[0] = (src[o] << 16) | (src[o + 1] << 24);
    dst[dstOffset + i] = bitsF32[0];
  }
}

export function dotRowBF16(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let i = 0, o = srcOffset; i < n; i++, o += 2) {
    bitsU32[0] = (src[o] << 16) | (src[o + 1] << 24);
    sum += bitsF32[0] * x[xOffset + i];
  }
  return sum;
}

/** Stores n f32 values as bfloat16 (round-to-nearest-even). */
export function quantizeRowBF16(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let i = 0, o = dstOffset; i < n; i++, o += 2) {
    const h = f32ToBf16(src[srcOffset + i]);
    dst[o] = h & 0xff;
    dst[o + 1] = h >>> 8;
  }
}
