import { describe, expect, it } from 'vitest';
import { dequantizeRowQ4_1, dotRowQ4_1, quantizeRowQ4_1 } from '../../src/formats/q4_1.js';
import { ggmlDequantize } from '../helpers/ggml-port.js';
import { randomF32, rng } from '../helpers/random.js';
import { GGMLType } from '../../src/types.js';

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('Q4_1', () => {
  it('dequantizes a hand-made block at an odd offset', () => {
    const src = new Uint8Array(1 + 20);
    src.set([0x00, 0x3c, 0x00, 0xc0], 1); // d = 1, m = -2
    src[5] = 0x21; // e0 = 1 - 2 = -1, e16 = 2 - 2 = 0
    src[20] = 0xf0; // e15 = 0 - 2 = -2, e31 = 15 - 2 = 13
    const dst = new Float32Array(32);
    dequantizeRowQ4_1(src, 1, dst, 0, 32);
    const expected = new Array(32).fill(-2);
    expected[0] = -1;
    expected[16] = 0;
    expected[31] = 13;
    expect([...dst]).toEqual(expected);
    const x = randomF32(rng(3), 32);
    expect(dotRowQ4_1(src, 1, x, 0, 32)).toBeCloseTo(dot64(dst, x), 12);
  });

  it('quantizes a hand-worked block: d = (max - min) / 15, m = min', () => {
    // x = 0..15 then 15..0: min 0, max 15 -> d = 1 (0x3c00), m = 0, q = x
    const x = new Float32Array(32);
    for (let j = 0; j < 16; j++) {
      x[j] = j;
      x[16 + j] = 15 - j;
    }
    const out = new Uint8Array(20);
    quantizeRowQ4_1(x, 0, out, 0, 32);
    const expected = [0x00, 0x3c, 0x00, 0x00];
    for (let j = 0; j < 16; j++) expected.push(j | ((15 - j) << 4));
    expect([...out]).toEqual(expected);
  });

  it('round-trips within d/2 plus f16 rounding of d and m', () => {
    const x = randomF32(rng(7), 32 * 30, 2);
    for (let j = 0; j < 32; j++) x[j] += 50; // a block far from zero: m dominates
    const q = new Uint8Array(30 * 20);
    quantizeRowQ4_1(x, 0, q, 0, x.length);
    const y = new Float32Array(x.length);
    dequantizeRowQ4_1(q, 0, y, 0, y.length);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.Q4_1, q, x.length)]);
    for (let b = 0; b < 30; b++) {
      const blk = x.subarray(32 * b, 32 * b + 32);
      const min = Math.min(...blk);
      const d = (Math.max(...blk) - min) / 15;
      for (let j = 0; j < 32; j++) {
        const bound = d * (0.5 + 15 * 2 ** -11) + Math.abs(min) * 2 ** -11 + 1e-6;
        expect(Math.abs(y[32 * b + j] - blk[j])).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('dot equals the f64 dot of the dequantized row over a sub-range', () => {
    const rand = rng(10);
    const q = new Uint8Array(8 * 20);
    quantizeRowQ4_1(randomF32(rand, 256), 0, q, 0, 256);
    const w = new Float32Array(256);
    dequantizeRowQ4_1(q, 0, w, 0, 256);
    const x = randomF32(rand, 300);
    expect(dotRowQ4_1(q, 20, x, 5, 192)).toBeCloseTo(dot64(w.subarray(32, 224), x.subarray(5, 197)), 10);
  });
});
