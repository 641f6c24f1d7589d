/**
 * Q8_0: blocks of 32 elements in 34 bytes.
 *
 *   byte 0..1   d       f16 scale
 *   byte 2..33  qs[32]  int8 quants, element j = qs[j]
 *
 *   x = q * d
 */
import { f32ToFp16, readFp16 } from './f16.js';

const QK = 32;
const BLOCK_BYTES = 34;

export function dequantizeRowQ8_0(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += BLOCK_BYTES, y += QK) {
    const d = readFp16(src, b);
    for (let j = 0; j < QK; j++) dst[y + j] = ((src[b + 2 + j] << 24) >> 24) * d;
  }
}

export function dotRowQ8_0(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += BLOCK_BYTES, xi += QK) {
    let s = 0;
    for (let j = 0; j < QK; j++) s += ((src[b + 2 + j] << 24) >> 24) * x[xi + j];
    sum += readFp16(src, b) * s;
  }
  return sum;
}

/**
 * ggml's `quantize_row_q8_0_ref`, byte for byte: d = max|x| / 127, q = roundf(x / d) (halves
 * away from zero), every intermediate rounded to f32.
 */
export function quantizeRowQ8_0(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  const fround = Math.fround;
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK, b += BLOCK_BYTES) {
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const a = Math.abs(src[xi + j]);
      amax = amax > a ? amax : a; // ggml's MAX(): a NaN input propagates, as in C
    }
    const d = fround(amax / 127);
    const id = d !== 0 ? fround(1 / d) : 0;
    const h = f32ToFp16(d);
    dst[b] = h & 0xff;
    dst[b + 1] = h >>> 8;
    for (let j = 0; j < QK; j++) {
      const v = fround(src[xi + j] * id);
      // roundf rounds halves away from zero; Math.round would send -2.5 to -2.
      const r = Math.round(Math.abs(v));
      dst[b + 2 + j] = (v < 0 ? -r : r) & 0xff;
    }
  }
}
