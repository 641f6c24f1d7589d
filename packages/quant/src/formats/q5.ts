/**
 * Q5_0 and Q5_1: 5-bit quants in blocks of 32, the fifth bits packed in a 32-bit word.
 *
 * Q5_0, 22 bytes:
 *   byte 0..1   d       f16 scale
 *   byte 2..5   qh      u32 little-endian; bit j is the fifth bit of element j
 *   byte 6..21  qs[16]  low 4 bits; qs[j] & 0x0f is element j, qs[j] >> 4 is element j + 16
 *   x = (q - 16) * d
 *
 * Q5_1, 24 bytes:
 *   byte 0..1   d       f16 scale
 *   byte 2..3   m       f16 minimum
 *   byte 4..7   qh      as above
 *   byte 8..23  qs[16]  as above
 *   x = q * d + m
 */
import { f32ToFp16, readFp16 } from './f16.js';

const QK = 32;
const Q5_0_BYTES = 22;
const Q5_1_BYTES = 24;
const FLT_MAX = 3.4028234663852886e38;

function readU32(src: Uint8Array, o: number): number {
  return (src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24)) >>> 0;
}

function writeU32(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v & 0xff;
  dst[o + 1] = (v >>> 8) & 0xff;
  dst[o + 2] = (v >>> 16) & 0xff;
  dst[o + 3] = v >>> 24;
}

export function dequantizeRowQ5_0(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q5_0_BYTES, y += QK) {
    const d = readFp16(src, b);
    const qh = readU32(src, b + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[b + 6 + j];
      dst[y + j] = (((q & 0x0f) | (((qh >>> j) & 1) << 4)) - 16) * d;
      dst[y + j + 16] = (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
    }
  }
}

export function dotRowQ5_0(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += Q5_0_BYTES, xi += QK) {
    const qh = readU32(src, b + 2);
    let s = 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 6 + j];
      s += (((q & 0x0f) | (((qh >>> j) & 1) << 4)) - 16) * x[xi + j];
      s += (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * x[xi + j + 16];
    }
    sum += readFp16(src, b) * s;
  }
  return sum;
}

export function dequantizeRowQ5_1(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q5_1_BYTES, y += QK) {
    const d = readFp16(src, b);
    const m = readFp16(src, b + 2);
    const qh = readU32(src, b + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[b + 8 + j];
      dst[y + j] = ((q & 0x0f) | (((qh >>> j) & 1) << 4)) * d + m;
      dst[y + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
    }
  }
}

export function dotRowQ5_1(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += Q5_1_BYTES, xi += QK) {
    const qh = readU32(src, b + 4);
    let sq = 0;
    let sx = 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 8 + j];
      const x0 = x[xi + j];
      const x1 = x[xi + j + 16];
      sq += ((q & 0x0f) | (((qh >>> j) & 1) << 4)) * x0 + ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * x1;
      sx += x0 + x1;
    }
    sum += readFp16(src, b) * sq + readFp16(src, b + 2) * sx;
  }
  return sum;
}

/**
 * ggml's `quantize_row_q5_0_ref`: like Q4_0 with d = max / -16 and q = min(31, trunc(x / d + 16.5)).
 */
export function quantizeRowQ5_0(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  const fround = Math.fround;
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK, b += Q5_0_BYTES) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[xi + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fround(max / -16);
    const id = d !== 0 ? fround(1 / d) : 0;
    const h = f32ToFp16(d);
    dst[b] = h & 0xff;
    dst[b + 1] = h >>> 8;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(31, Math.trunc(fround(fround(src[xi + j] * id) + 16.5)));
      const q1 = Math.min(31, Math.trunc(fround(fround(src[xi + j + 16] * id) + 16.5)));
      dst[b + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
    }
    writeU32(dst, b + 2, qh >>> 0);
  }
}

/**
 * ggml's `quantize_row_q5_1_ref`: d = (max - min) / 31, m = min, q = trunc((x - min) / d + 0.5)
 * (no clamp in ggml either: the largest element lands on 31).
 */
export function quantizeRowQ5_1(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  const fround = Math.fround;
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK, b += Q5_1_BYTES) {
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < QK; j++) {
      const v = src[xi + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = fround(fround(max - min) / 31);
    const id = d !== 0 ? fround(1 / d) : 0;
    const hd = f32ToFp16(d);
    const hm = f32ToFp16(min);
    dst[b] = hd & 0xff;
    dst[b + 1] = hd >>> 8;
    dst[b + 2] = hm & 0xff;
    dst[b + 3] = hm >>> 8;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      // ggml stores through uint8_t, so keep only the low 8 bits of the truncated value.
      const q0 = Math.trunc(fround(fround(fround(src[xi + j] - min) * id) + 0.5)) & 0xff;
      const q1 = Math.trunc(fround(fround(fround(src[xi + j + 16] - min) * id) + 0.5)) & 0xff;
      dst[b + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= (((q0 & 0x10) >> 4) << j) | (((q1 & 0x10) >> 4) << (j + 16));
    }
    writeU32(dst, b + 4, qh >>> 0);
  }
}
