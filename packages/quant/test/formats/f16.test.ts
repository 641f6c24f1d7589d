import { describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  dequantizeRowBF16,
  dequantizeRowF16,
  dotRowBF16,
  dotRowF16,
  f32ToBf16,
  f32ToFp16,
  fp16ToF32,
  quantizeRowBF16,
  quantizeRowF16,
  readFp16,
} from '../../src/formats/f16.js';
import { ggmlFp16ToFp32, ggmlFp32ToFp16 } from '../helpers/ggml-port.js';
import { randomF32, rng } from '../helpers/random.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(bits: number): number {
  u32[0] = bits;
  return f32[0];
}
function bitsOf(v: number): number {
  f32[0] = v;
  return u32[0];
}

describe('fp16ToF32', () => {
  it('decodes known bit patterns', () => {
    expect(fp16ToF32(0x3c00)).toBe(1);
    expect(fp16ToF32(0xc000)).toBe(-2);
    expect(fp16ToF32(0x3555)).toBe(0.333251953125);
    expect(fp16ToF32(0x7bff)).toBe(65504);
    expect(fp16ToF32(0x0400)).toBe(2 ** -14);
    expect(fp16ToF32(0x0001)).toBe(2 ** -24);
    expect(fp16ToF32(0x83ff)).toBe(-1023 * 2 ** -24);
    expect(fp16ToF32(0x7c00)).toBe(Infinity);
    expect(fp16ToF32(0xfc00)).toBe(-Infinity);
    expect(fp16ToF32(0x7e00)).toBeNaN();
    expect(Object.is(fp16ToF32(0x8000), -0)).toBe(true);
  });

  it('agrees with ggml bit-trick decoder on all 65536 patterns', () => {
    for (let h = 0; h < 65536; h++) {
      const a = fp16ToF32(h);
      const b = ggmlFp16ToFp32(h);
      if (Number.isNaN(b)) expect(a).toBeNaN();
      else if (!Object.is(a, b)) expect.fail(`0x${h.toString(16)}: ${a} != ${b}`);
    }
  });

  it('reads little-endian halves at odd offsets', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x3c, 0x00, 0xc0]);
    expect(readFp16(bytes, 1)).toBe(1);
    expect(readFp16(bytes, 3)).toBe(-2);
  });
});

describe('f32ToFp16', () => {
  it('rounds to nearest, ties to even', () => {
    expect(f32ToFp16(1)).toBe(0x3c00);
    expect(f32ToFp16(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 (even) and 0x3c01
    expect(f32ToFp16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    expect(f32ToFp16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(f32ToFp16(-2)).toBe(0xc000);
    expect(f32ToFp16(65504)).toBe(0x7bff);
    expect(f32ToFp16(65519.99)).toBe(0x7bff);
    expect(f32ToFp16(65520)).toBe(0x7c00); // tie rounds to even = overflow
    expect(f32ToFp16(1e10)).toBe(0x7c00);
    expect(f32ToFp16(-Infinity)).toBe(0xfc00);
    expect(f32ToFp16(NaN) & 0x7fff).toBe(0x7e00);
    expect(f32ToFp16(-0)).toBe(0x8000);
  });

  it('handles the subnormal range with ties to even', () => {
    expect(f32ToFp16(2 ** -24)).toBe(0x0001);
    expect(f32ToFp16(2 ** -25)).toBe(0x0000); // tie between 0 (even) and 1
    expect(f32ToFp16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 (even)
    expect(f32ToFp16(2 ** -25 + 2 ** -40)).toBe(0x0001);
    expect(f32ToFp16(-1023.5 * 2 ** -24)).toBe(0x8400); // rounds up into the smallest normal
    expect(f32ToFp16(1e-30)).toBe(0);
  });

  it('rounds the input to f32 first, like ggml whose input is a float', () => {
    // 1 + 2^-11 + 2^-30 is above the half tie as a double, but exactly the tie as an f32.
    expect(f32ToFp16(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c00);
  });

  it('inverts fp16ToF32 on every finite half', () => {
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (f32ToFp16(fp16ToF32(h)) !== h) expect.fail(`0x${h.toString(16)}`);
    }
  });

  it('agrees with ggml bit-trick encoder at every half midpoint and on random f32 bit patterns', () => {
    const check = (v: number) => {
      const a = f32ToFp16(v);
      const b = ggmlFp32ToFp16(v);
      if (a !== b) expect.fail(`${v} (0x${bitsOf(v).toString(16)}): 0x${a.toString(16)} != 0x${b.toString(16)}`);
    };
    for (let h = 0; h < 0x7c00; h++) {
      for (const s of [0, 0x8000]) {
        const lo = fp16ToF32(h | s);
        const hi = fp16ToF32((h + 1) | s);
        const mid = Math.fround((lo + hi) / 2);
        check(mid);
        check(fromBits(bitsOf(mid) + 1));
        check(fromBits(bitsOf(mid) - 1));
      }
    }
    const rand = rng(7);
    for (let i = 0; i < 300_000; i++) check(fromBits(Math.floor(rand() * 2 ** 32)));
  });
});

describe('bf16', () => {
  it('decodes and encodes with round-to-nearest-even', () => {
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc040)).toBe(-3);
    expect(bf16ToF32(0x7f80)).toBe(Infinity);
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(fromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(f32ToBf16(fromBits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(f32ToBf16(fromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16(fromBits(0x7f7fffff))).toBe(0x7f80); // max f32 rounds to Inf
    expect(f32ToBf16(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});

describe('F16 rows', () => {
  it('dequantizes hand-made bytes at an odd offset', () => {
    // junk, 1.0, -2.0, 0.5, 65504, junk
    const src = new Uint8Array([0xaa, 0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0xaa]);
    const dst = new Float32Array(6).fill(9);
    dequantizeRowF16(src, 1, dst, 1, 4);
    expect([...dst]).toEqual([9, 1, -2, 0.5, 65504, 9]);
    const x = new Float32Array([7, 1, 2, 3, 4]);
    expect(dotRowF16(src, 1, x, 1, 4)).toBe(1 * 1 - 2 * 2 + 0.5 * 3 + 65504 * 4);
  });

  it('round-trips within half an ulp of f16 (relative 2^-11)', () => {
    const x = randomF32(rng(3), 1000, 100);
    const bytes = new Uint8Array(2003);
    quantizeRowF16(x, 0, bytes, 3, 1000);
    const y = new Float32Array(1000);
    dequantizeRowF16(bytes, 3, y, 0, 1000);
    for (let i = 0; i < 1000; i++) {
      expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 + 2 ** -25);
      expect(bytes[3 + 2 * i] | (bytes[4 + 2 * i] << 8)).toBe(ggmlFp32ToFp16(x[i]));
    }
  });
});

describe('BF16 rows', () => {
  it('dequantizes hand-made bytes at an odd offset and dots', () => {
    // 1.0 (0x3f80), -3.0 (0xc040), 0.15625 (0x3e20)
    const src = new Uint8Array([0x00, 0x80, 0x3f, 0x40, 0xc0, 0x20, 0x3e]);
    const dst = new Float32Array(3);
    dequantizeRowBF16(src, 1, dst, 0, 3);
    expect([...dst]).toEqual([1, -3, 0.15625]);
    expect(dotRowBF16(src, 1, new Float32Array([2, 1, 4]), 0, 3)).toBe(2 - 3 + 0.625);
  });

  it('round-trips within relative 2^-8', () => {
    const x = randomF32(rng(4), 500, 10);
    const bytes = new Uint8Array(1000);
    quantizeRowBF16(x, 0, bytes, 0, 500);
    const y = new Float32Array(500);
    dequantizeRowBF16(bytes, 0, y, 0, 500);
    for (let i = 0; i < 500; i++) expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -8);
  });
});
