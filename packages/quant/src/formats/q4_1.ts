/**
 * Q4_1: blocks of 32 elements in 20 bytes.
 *
 *   byte 0..1   d       f16 scale
 *   byte 2..3   m       f16 minimum
 *   byte 4..19  qs[16]  4-bit quants; qs[j] & 0x0f is element j, qs[j] >> 4 is element j + 16
 *
 *   x = q * d + m
 */
import { f32ToFp16, readFp16 } from './f16.js';

const QK = 32;
const BLOCK_BYTES = 20;
const FLT_MAX = 3.4028234663852886e38;

export function dequantizeRowQ4_1(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += BLOCK_BYTES, y += QK) {
    const d = readFp16(src, b);
    const m = readFp16(src, b + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[b + 4 + j];
      dst[y + j] = (q & 0x0f) * d + m;
      dst[y + j + 16] = (q >> 4) * d + m;
    }
  }
}

export function dotRowQ4_1(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += BLOCK_BYTES, xi += QK) {
    let sq = 0;
    let sx = 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 4 + j];
      const x0 = x[xi + j];
      const x1 = x[xi + j + 16];
      sq += (q & 0x0f) * x0 + (q >> 4) * x1;
      sx += x0 + x1;
    }
    sum += readFp16(src, b) * sq + readFp16(src, b + 2) * sx;
  }
  return sum;
}

/**
 * ggml's `quantize_row_q4_1_ref`: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)),
 * every intermediate rounded to f32.
 */
export function quantizeRowQ4_1(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  const fround = Math.fround;
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK, b += BLOCK_BYTES) {
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < QK; j++) {
      const v = src[xi + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = fround(fround(max - min) / 15);
    const id = d !== 0 ? fround(1 / d) : 0;
    const hd = f32ToFp16(d);
    const hm = f32ToFp16(min);
    dst[b] = hd & 0xff;
    dst[b + 1] = hd >>> 8;
    dst[b + 2] = hm & 0xff;
    dst[b + 3] = hm >>> 8;
    for (let j = 0; j < 16; j++) {
      const x0 = fround(fround(src[xi + j] - min) * id);
      const x1 = fround(fround(src[xi + j + 16] - min) * id);
      const q0 = Math.min(15, Math.trunc(fround(x0 + 0.5)));
      const q1 = Math.min(15, Math.trunc(fround(x1 + 0.5)));
      dst[b + 4 + j] = q0 | (q1 << 4);
    }
  }
}
