import { describe, expect, it } from 'vitest';
import { dequantizeRowQ4_0, dotRowQ4_0, quantizeRowQ4_0 } from '../../src/formats/q4_0.js';
import { readFp16 } from '../../src/formats/f16.js';
import { ggmlDequantize, ggmlQuantizeRowQ4_0 } from '../helpers/ggml-port.js';
import { randomF32, rng } from '../helpers/random.js';
import { GGMLType } from '../../src/types.js';

function dot64(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('Q4_0', () => {
  it('dequantizes hand-made blocks at unaligned offsets', () => {
    const src = new Uint8Array(3 + 36).fill(0x88);
    src[0] = src[1] = src[2] = 0xee;
    // block 0: d = 0.5 (0x3800); qs[0] = 0x1f -> e0 = 7*0.5, e16 = -7*0.5; qs[1] = 0x80 -> e1 = -4, e17 = 0
    src.set([0x00, 0x38], 3);
    src[5] = 0x1f;
    src[6] = 0x80;
    // block 1: d = -1 (0xbc00); all qs 0x00 -> every element (0 - 8) * -1 = 8
    src.set([0x00, 0xbc], 21);
    src.fill(0x00, 23, 39);
    const dst = new Float32Array(70).fill(99);
    dequantizeRowQ4_0(src, 3, dst, 5, 64);
    const expected = new Array(64).fill(0);
    expected[0] = 3.5;
    expected[16] = -3.5;
    expected[1] = -4;
    expected[17] = 0;
    for (let i = 32; i < 64; i++) expected[i] = 8;
    expect([...dst.subarray(5, 69)]).toEqual(expected);
    expect(dst[4]).toBe(99);
    expect(dst[69]).toBe(99);

    const x = randomF32(rng(1), 64);
    expect(dotRowQ4_0(src, 3, x, 0, 64)).toBeCloseTo(dot64(dst.subarray(5, 69), x), 12);
  });

  it('quantizes a hand-worked block: the signed extreme sets d and lands on q = 0', () => {
    // x = -8..7 then 16 zeros: max |x| is -8, so d = -8 / -8 = 1 and q = trunc(x + 8.5) = x + 8.
    const x = new Float32Array(32);
    for (let j = 0; j < 16; j++) x[j] = j - 8;
    const out = new Uint8Array(18);
    quantizeRowQ4_0(x, 0, out, 0, 32);
    const expected = [0x00, 0x3c];
    for (let j = 0; j < 16; j++) expected.push(j | (8 << 4));
    expect([...out]).toEqual(expected);
  });

  it('quantizes a positive extreme with a negative scale, clamps at 15, rounds halves up in q', () => {
    // max = 4 -> d = -0.5 (0xb800), id = -2. 4 -> 0; -4 -> 16.5 -> 16 -> clamped to 15;
    // 1 -> 6.5 -> 6; -0.25 -> 9.0 -> 9 (the tie between 0 and -0.5 goes to -0.5).
    const x = new Float32Array(32);
    x[0] = 4;
    x[1] = -4;
    x[2] = 1;
    x[16] = -0.25;
    const out = new Uint8Array(18);
    quantizeRowQ4_0(x, 0, out, 0, 32);
    expect(readFp16(out, 0)).toBe(-0.5);
    expect(out[2] & 0x0f).toBe(0);
    expect(out[3] & 0x0f).toBe(15);
    expect(out[4] & 0x0f).toBe(6);
    expect(out[2] >> 4).toBe(9);
    expect(out[5]).toBe(0x88); // zeros: 0 * -2 + 8.5 -> 8
  });

  it('matches ggml quantize_row_q4_0_ref byte for byte on tricky inputs', () => {
    const rand = rng(11);
    const cases: Float32Array[] = [];
    cases.push(new Float32Array(32)); // all zeros: d = 0, id = 0, every q = 8
    const tieFirstPos = new Float32Array(32);
    tieFirstPos[3] = 1;
    tieFirstPos[9] = -1; // equal magnitudes: the first one (+1) wins, d = -0.125
    cases.push(tieFirstPos);
    const tieFirstNeg = new Float32Array(32);
    tieFirstNeg[3] = -1;
    tieFirstNeg[9] = 1;
    cases.push(tieFirstNeg);
    // every value an exact half-step: x/d + 8.5 lands on integers
    cases.push(Float32Array.from({ length: 32 }, (_, j) => (j - 16) * 0.25 + (j % 2 ? 0.125 : 0)));
    // negative max with values spread over the full range
    cases.push(Float32Array.from({ length: 32 }, (_, j) => -3 + (j * 6) / 31));
    // tiny values whose scale underflows f16, and huge ones whose scale overflows it
    cases.push(Float32Array.from({ length: 32 }, (_, j) => (j - 15) * 1e-9));
    cases.push(Float32Array.from({ length: 32 }, (_, j) => (j - 15) * 1e5));
    cases.push(randomF32(rand, 32 * 64, 2));
    cases.push(Float32Array.from({ length: 32 * 16 }, () => Math.round((rand() * 2 - 1) * 16) / 2));
    for (const x of cases) {
      const out = new Uint8Array((x.length / 32) * 18 + 1);
      quantizeRowQ4_0(x, 0, out, 1, x.length);
      expect([...out.subarray(1)]).toEqual([...ggmlQuantizeRowQ4_0(x)]);
    }
  });

  it('round-trips within |d|/2 (|d| where the top is clamped) plus f16 scale rounding', () => {
    const x = randomF32(rng(5), 32 * 40, 3);
    // make some blocks one-signed and some nearly constant
    for (let j = 0; j < 32; j++) x[j] = Math.abs(x[j]);
    for (let j = 32; j < 64; j++) x[j] = 1 + j * 1e-3;
    const q = new Uint8Array(40 * 18);
    quantizeRowQ4_0(x, 0, q, 0, x.length);
    const y = new Float32Array(x.length);
    dequantizeRowQ4_0(q, 0, y, 0, x.length);
    expect([...y]).toEqual([...ggmlDequantize(GGMLType.Q4_0, q, x.length)]);
    for (let b = 0; b < 40; b++) {
      let max = 0;
      for (let j = 0; j < 32; j++) if (Math.abs(x[32 * b + j]) > Math.abs(max)) max = x[32 * b + j];
      const d = Math.abs(max / 8);
      for (let j = 0; j < 32; j++) {
        const v = x[32 * b + j];
        const clamped = -v / (max / 8) > 7.5;
        const bound = d * ((clamped ? 1 : 0.5) + 8 * 2 ** -11) + 1e-7;
        expect(Math.abs(y[32 * b + j] - v)).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('dot equals the f64 dot of the dequantized row', () => {
    const rand = rng(8);
    const x = randomF32(rand, 32 * 20);
    const q = new Uint8Array(20 * 18);
    quantizeRowQ4_0(randomF32(rand, 32 * 20), 0, q, 0, 32 * 20);
    const w = new Float32Array(32 * 20);
    dequantizeRowQ4_0(q, 0, w, 0, w.length);
    expect(dotRowQ4_0(q, 0, x, 0, x.length)).toBeCloseTo(dot64(w, x), 10);
    // a sub-range: blocks 3..5 against x from an offset
    expect(dotRowQ4_0(q, 3 * 18, x, 7, 96)).toBeCloseTo(dot64(w.subarray(96, 192), x.subarray(7, 103)), 10);
  });
});
