/**
 * IQ4_NL: blocks of 32 elements in 18 bytes, 4-bit indices into a fixed non-uniform grid.
 *
 *   byte 0..1   d       f16 scale
 *   byte 2..17  qs[16]  4-bit indices; qs[j] & 0x0f is element j, qs[j] >> 4 is element j + 16
 *
 *   x = d * IQ4_NL_VALUES[index]
 */
import { readFp16 } from './f16.js';

const QK = 32;
const BLOCK_BYTES = 18;

/** ggml's `kvalues_iq4nl`: denser near zero, where most weights are. */
export const IQ4_NL_VALUES: readonly number[] = Object.freeze([
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
]);

const GRID = Int8Array.from(IQ4_NL_VALUES);

export function dequantizeRowIQ4_NL(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += BLOCK_BYTES, y += QK) {
    const d = readFp16(src, b);
    for (let j = 0; j < 16; j++) {
      const q = src[b + 2 + j];
      dst[y + j] = d * GRID[q & 0x0f];
      dst[y + j + 16] = d * GRID[q >> 4];
    }
  }
}

export function dotRowIQ4_NL(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xi = xOffset, end = xOffset + n; xi < end; b += BLOCK_BYTES, xi += QK) {
    let s = 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 2 + j];
      s += GRID[q & 0x0f] * x[xi + j] + GRID[q >> 4] * x[xi + j + 16];
    }
    sum += readFp16(src, b) * s;
  }
  return sum;
}
