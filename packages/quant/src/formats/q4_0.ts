/**
 * Q4_0: blocks of 32 elements in 18 bytes.
 *
 *   byte 0..1   d       f16 scale
 *   byte 2..17  qs[16]  4-bit quants; qs[j] & 0x0f is element j, qs[j] >> 4 is element j + 16
 *
 *   x = (q - 8) * d
 */
import { f32ToFp16, readFp16 } from './f16.js';

const QK = 32;
const BLOCK_BYTES = 18;

export function dequantizeRowQ4_0(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += BLOCK_BYTES, y += QK) {
    const d = readFp16(src, b);
    for (let j = 0; j < 16; j++) {
      const q = src[b + 2 + j];
      dst[y + j] = ((q & 0x0f) - 8) * d;
      dst[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

export function dotRowQ4_0(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += BLOCK_BYTES, xi += QK) {
    let s = 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 2 + j];
      s += ((q & 0x0f) - 8) * x[xi + j] + ((q >> 4) - 8) * x[xi + j + 16];
    }
    sum += readFp16(src, b) * s;
  }
  return sum;
}

/**
 * ggml's `quantize_row_q4_0_ref`, byte for byte: the scale comes from the element of largest
 * magnitude *with its sign* (d = max / -8, so that element lands exactly on q = 0), and
 * q = min(15, trunc(x / d + 8.5)). Every intermediate is rounded to f32 as the C code does.
 */
export function quantizeRowQ4_0(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  const fround = Math.fround;
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK, b += BLOCK_BYTES) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[xi + j];
      // Strict comparison: the first element reaching the largest magnitude wins, as in ggml.
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fround(max / -8);
    const id = d !== 0 ? fround(1 / d) : 0;
    const h = f32ToFp16(d);
    dst[b] = h & 0xff;
    dst[b + 1] = h >>> 8;
    for (let j = 0; j < 16; j++) {
      const x0 = fround(src[xi + j] * id);
      const x1 = fround(src[xi + j + 16] * id);
      const q0 = Math.min(15, Math.trunc(fround(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fround(x1 + 8.5)));
      dst[b + 2 + j] = q0 | (q1 << 4);
    }
  }
}
