import { describe, expect, it } from 'vitest';
import { dequantizeRowQ8_0, dotRowQ8_0, quantizeRowQ8_0 } from '../../src/formats/q8_0.js';
import { ggmlDequantize, ggmlQuantizeRowQ8_0 } from '../helpers/ggml-port.js';
import { randomF32, rng } from '../helpers/random.js';
import { GGMLType } from '../../src/types.js';

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('Q8_0', () => {
  it('dequantizes a hand-made block at an odd offset', () => {
    const src = new Uint8Array(1 + 34);
    src.set([0x00, 0x30], 1); // d = 0.125
    src[3] = 0x7f; // 127
    src[4] = 0x80; // -128
    src[5] = 0xff; // -1
    src[34] = 0x02; // element 31: 2
    const dst = new Float32Array(32);
    dequantizeRowQ8_0(src, 1, dst, 0, 32);
    const expected = new Array(32).fill(0);
    expected[0] = 15.875;
    expected[1] = -16;
    expected[2] = -0.125;
    expected[31] = 0.25;
    expect([...dst]).toEqual(expected);
    const x = randomF32(rng(2), 32);
    expect(dotRowQ8_0(src, 1, x, 0, 32)).toBeCloseTo(dot64(dst, x), 12);
  });

  it('quantizes a hand-worked block, rounding halves away from zero', () => {
    // amax = 127 -> d = 1 (0x3c00), id = 1; roundf(-63.5) = -64, roundf(0.5) = 1, roundf(-2.5) = -3
    const x = new Float32Array(32);
    x.set([127, -63.5, 0.5, -0.5, 1.5, -2.5, 0.49]);
    const out = new Uint8Array(34);
    quantizeRowQ8_0(x, 0, out, 0, 32);
    expect([...out.subarray(0, 9)]).toEqual([0x00, 0x3c, 127, 256 - 64, 1, 255, 2, 256 - 3, 0]);
  });

  it('matches ggml quantize_row_q8_0_ref byte for byte on tricky inputs', () => {
    const rand = rng(12);
    const cases: Float32Array[] = [
      new Float32Array(32),
      Float32Array.from({ length: 32 }, (_, j) => -127 + j * 0.5), // negative max, many .5 ties
      Float32Array.from({ length: 32 }, (_, j) => (j % 2 ? -1 : 1) * (j + 0.5) * 3), // ties after scaling
      Float32Array.from({ length: 32 }, (_, j) => (j - 15) * 1e-9), // scale is an f16 subnormal / zero
      Float32Array.from({ length: 32 }, (_, j) => (j - 15) * 1e6), // scale overflows f16 to Inf
      randomF32(rand, 32 * 64, 5),
      Float32Array.from({ length: 32 * 16 }, () => Math.round((rand() * 2 - 1) * 40) / 4),
    ];
    for (const x of cases) {
      const out = new Uint8Array((x.length / 32) * 34 + 3);
      quantizeRowQ8_0(x, 0, out, 3, x.length);
      expect([...out.subarray(3)]).toEqual([...ggmlQuantizeRowQ8_0(x)]);
    }
  });

  it('round-trips within d/2 plus f16 scale rounding', () => {
    const x = randomF32(rng(6), 32 * 30, 4);
    const q = new Uint8Array(30 * 34);
    quantizeRowQ8_0(x, 0, q, 0, x.length);
    const y = new Float32Array(x.length);
    dequantizeRowQ8_0(q, 0, y, 0, y.length);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.Q8_0, q, x.length)]);
    for (let b = 0; b < 30; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
      const d = amax / 127;
      for (let j = 0; j < 32; j++) {
        expect(Math.abs(y[32 * b + j] - x[32 * b + j])).toBeLessThanOrEqual(d * (0.5 + 127 * 2 ** -11) + 1e-7);
      }
    }
  });

  it('dot equals the f64 dot of the dequantized row over a sub-range', () => {
    const rand = rng(9);
    const q = new Uint8Array(10 * 34);
    quantizeRowQ8_0(randomF32(rand, 320), 0, q, 0, 320);
    const w = new Float32Array(320);
    dequantizeRowQ8_0(q, 0, w, 0, 320);
    const x = randomF32(rand, 400);
    expect(dotRowQ8_0(q, 34 * 2, x, 13, 256)).toBeCloseTo(dot64(w.subarray(64, 320), x.subarray(13, 269)), 10);
  });
});
