import { describe, expect, it } from 'vitest';
import {
  dequantizeRowQ5_0,
  dequantizeRowQ5_1,
  dotRowQ5_0,
  dotRowQ5_1,
  quantizeRowQ5_0,
  quantizeRowQ5_1,
} from '../../src/formats/q5.js';
import { ggmlDequantize } from '../helpers/ggml-port.js';
import { randomF32, rng } from '../helpers/random.js';
import { GGMLType } from '../../src/types.js';

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('Q5_0', () => {
  it('dequantizes a hand-made block: fifth bits come from the little-endian qh word', () => {
    const src = new Uint8Array(2 + 22).fill(0);
    src.set([0x00, 0x38], 2); // d = 0.5
    src.set([0x01, 0x00, 0x01, 0x80], 4); // qh = 0x80010001: bits 0, 16, 31
    src[8] = 0x3f; // e0 = (15 | 16) - 16 = 15; e16 = (3 | 16) - 16 = 3
    const dst = new Float32Array(32);
    dequantizeRowQ5_0(src, 2, dst, 0, 32);
    const expected = new Array(32).fill(-8); // (0 - 16) * 0.5
    expected[0] = 7.5;
    expected[16] = 1.5;
    expected[31] = 0; // (0 | 16) - 16
    expect([...dst]).toEqual(expected);
    const x = randomF32(rng(4), 32);
    expect(dotRowQ5_0(src, 2, x, 0, 32)).toBeCloseTo(dot64(dst, x), 12);
  });

  it('quantizes a hand-worked block', () => {
    // x = -16..15: the extreme -16 gives d = 1, q = trunc(x + 16.5) = x + 16 = j
    const x = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const out = new Uint8Array(22);
    quantizeRowQ5_0(x, 0, out, 0, 32);
    const expected = [0x00, 0x3c, 0x00, 0x00, 0xff, 0xff];
    for (let j = 0; j < 16; j++) expected.push(j | (j << 4));
    expect([...out]).toEqual(expected);
  });

  it('round-trips within |d|/2 (|d| where clamped) plus f16 scale rounding', () => {
    const x = randomF32(rng(8), 32 * 30, 2);
    const q = new Uint8Array(30 * 22);
    quantizeRowQ5_0(x, 0, q, 0, x.length);
    const y = new Float32Array(x.length);
    dequantizeRowQ5_0(q, 0, y, 0, y.length);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.Q5_0, q, x.length)]);
    for (let b = 0; b < 30; b++) {
      let max = 0;
      for (let j = 0; j < 32; j++) if (Math.abs(x[32 * b + j]) > Math.abs(max)) max = x[32 * b + j];
      const d = max / -16;
      for (let j = 0; j < 32; j++) {
        const v = x[32 * b + j];
        const bound = Math.abs(d) * ((v / d > 15.5 ? 1 : 0.5) + 16 * 2 ** -11) + 1e-7;
        expect(Math.abs(y[32 * b + j] - v)).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('dot equals the f64 dot of the dequantized row over a sub-range', () => {
    const rand = rng(11);
    const q = new Uint8Array(8 * 22);
    quantizeRowQ5_0(randomF32(rand, 256), 0, q, 0, 256);
    const w = new Float32Array(256);
    dequantizeRowQ5_0(q, 0, w, 0, 256);
    const x = randomF32(rand, 300);
    expect(dotRowQ5_0(q, 22, x, 3, 224)).toBeCloseTo(dot64(w.subarray(32), x.subarray(3, 227)), 10);
  });
});

describe('Q5_1', () => {
  it('dequantizes a hand-made block', () => {
    const src = new Uint8Array(24);
    src.set([0x00, 0x34, 0x00, 0x3c], 0); // d = 0.25, m = 1
    src.set([0x00, 0x00, 0x00, 0x80], 4); // qh bit 31 only
    src[23] = 0xf1; // e15 = 1, e31 = 15 | 16 = 31
    const dst = new Float32Array(32);
    dequantizeRowQ5_1(src, 0, dst, 0, 32);
    const expected = new Array(32).fill(1);
    expected[15] = 1.25;
    expected[31] = 31 * 0.25 + 1;
    expect([...dst]).toEqual(expected);
    const x = randomF32(rng(5), 32);
    expect(dotRowQ5_1(src, 0, x, 0, 32)).toBeCloseTo(dot64(dst, x), 12);
  });

  it('quantizes a hand-worked block', () => {
    // x = 2 + j/4: min 2 (0x4000), d = 7.75 / 31 = 0.25 (0x3400), q = j
    const x = Float32Array.from({ length: 32 }, (_, j) => 2 + j * 0.25);
    const out = new Uint8Array(24);
    quantizeRowQ5_1(x, 0, out, 0, 32);
    const expected = [0x00, 0x34, 0x00, 0x40, 0x00, 0x00, 0xff, 0xff];
    for (let j = 0; j < 16; j++) expected.push(j | (j << 4));
    expect([...out]).toEqual(expected);
  });

  it('round-trips within d/2 plus f16 rounding of d and m', () => {
    const x = randomF32(rng(9), 32 * 30, 2);
    for (let j = 32; j < 64; j++) x[j] -= 20;
    const q = new Uint8Array(30 * 24);
    quantizeRowQ5_1(x, 0, q, 0, x.length);
    const y = new Float32Array(x.length);
    dequantizeRowQ5_1(q, 0, y, 0, y.length);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.Q5_1, q, x.length)]);
    for (let b = 0; b < 30; b++) {
      const blk = x.subarray(32 * b, 32 * b + 32);
      const min = Math.min(...blk);
      const d = (Math.max(...blk) - min) / 31;
      for (let j = 0; j < 32; j++) {
        const bound = d * (0.5 + 31 * 2 ** -11) + Math.abs(min) * 2 ** -11 + 1e-6;
        expect(Math.abs(y[32 * b + j] - blk[j])).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('dot equals the f64 dot of the dequantized row over a sub-range', () => {
    const rand = rng(12);
    const q = new Uint8Array(8 * 24);
    quantizeRowQ5_1(randomF32(rand, 256), 0, q, 0, 256);
    const w = new Float32Array(256);
    dequantizeRowQ5_1(q, 0, w, 0, 256);
    const x = randomF32(rand, 300);
    expect(dotRowQ5_1(q, 48, x, 1, 192)).toBeCloseTo(dot64(w.subarray(64), x.subarray(1, 193)), 10);
  });
});
