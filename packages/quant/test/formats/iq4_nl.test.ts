import { describe, expect, it } from 'vitest';
import { dequantizeRowIQ4_NL, dotRowIQ4_NL } from '../../src/formats/iq4_nl.js';
import { ggmlDequantize } from '../helpers/ggml-port.js';
import { randomF32, randomRowBytes, rng } from '../helpers/random.js';
import { GGMLType } from '../../src/types.js';

// ggml-common.h kvalues_iq4nl, typed in again so a typo in the source table cannot hide.
const GRID = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('IQ4_NL', () => {
  it('dequantizes a hand-made block through the non-linear grid', () => {
    const src = new Uint8Array(3 + 18);
    src.set([0x00, 0x20], 3); // d = 2^-7
    for (let j = 0; j < 16; j++) src[5 + j] = j | ((15 - j) << 4); // e_j = grid[j], e_{16+j} = grid[15-j]
    const dst = new Float32Array(32);
    dequantizeRowIQ4_NL(src, 3, dst, 0, 32);
    const expected: number[] = [];
    for (let j = 0; j < 16; j++) expected.push(GRID[j] / 128);
    for (let j = 0; j < 16; j++) expected.push(GRID[15 - j] / 128);
    expect([...dst]).toEqual(expected);
  });

  it('matches ggml dequantize_row_iq4_nl on random blocks, and dot matches the dequantized row', () => {
    const rand = rng(21);
    const n = 32 * 24;
    const bytes = randomRowBytes(rand, GGMLType.IQ4_NL, n);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 5);
    const y = new Float32Array(n);
    dequantizeRowIQ4_NL(padded, 5, y, 0, n);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.IQ4_NL, bytes, n)]);
    const x = randomF32(rand, n + 4);
    expect(dotRowIQ4_NL(padded, 5, x, 4, n)).toBeCloseTo(dot64(y, x.subarray(4)), 10);
  });
});
