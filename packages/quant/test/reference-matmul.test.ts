import { describe, expect, it } from 'vitest';
import { dequantizeTensor, GGMLType, matmulRef, rowBytes, TYPE_INFO, UnsupportedTypeError } from '../src/index.js';
import { randomF32, randomRowBytes, rng } from './helpers/random.js';

/** out[t*rows + r] by the definition: f64 sums over the whole tensor dequantized up front. */
function naive(w: Float32Array, rows: number, cols: number, x: Float32Array, nTokens: number): Float32Array {
  const out = new Float32Array(rows * nTokens);
  for (let t = 0; t < nTokens; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[t * cols + c];
      out[t * rows + r] = s;
    }
  }
  return out;
}

const TYPES = [GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q5_1, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q6_K, GGMLType.IQ4_NL];

describe('matmulRef', () => {
  it.each(TYPES.map((t) => [TYPE_INFO[t].name, t] as const))('%s: matches the definition at offsets, for 3 tokens', (_n, type) => {
    const rand = rng(700 + type);
    const rows = 6;
    const cols = 512;
    const nTokens = 3;
    const raw = randomRowBytes(rand, type, rows * cols);
    const wOffset = 8; // keeps F32 4-byte aligned, so the in-place path runs
    const w = new Uint8Array(wOffset + raw.length);
    w.set(raw, wOffset);
    const x = randomF32(rand, 5 + nTokens * cols);
    const wf = new Float32Array(rows * cols);
    dequantizeTensor(type, raw, 0, rows * cols, wf);
    const expected = naive(wf, rows, cols, x.subarray(5), nTokens);

    const out = new Float32Array(2 + rows * nTokens).fill(-7);
    matmulRef(type, w, wOffset, rows, cols, x, 5, nTokens, out, 2, new Float32Array(cols));
    expect([...out.subarray(2)]).toEqual([...expected]);
    expect(out[0]).toBe(-7);
    expect(out[1]).toBe(-7);
  });

  it('computes only rows [rowStart, rowEnd) and leaves the rest of out alone', () => {
    const rand = rng(801);
    const rows = 7;
    const cols = 256;
    const nTokens = 2;
    const w = randomRowBytes(rand, GGMLType.Q5_K, rows * cols);
    const x = randomF32(rand, nTokens * cols);
    const wf = new Float32Array(rows * cols);
    dequantizeTensor(GGMLType.Q5_K, w, 0, rows * cols, wf);
    const expected = naive(wf, rows, cols, x, nTokens);
    const out = new Float32Array(rows * nTokens).fill(NaN);
    matmulRef(GGMLType.Q5_K, w, 0, rows, cols, x, 0, nTokens, out, 0, new Float32Array(cols), 2, 5);
    for (let t = 0; t < nTokens; t++) {
      for (let r = 0; r < rows; r++) {
        if (r >= 2 && r < 5) expect(out[t * rows + r]).toBe(expected[t * rows + r]);
        else expect(out[t * rows + r]).toBeNaN();
      }
    }
  });

  it('reads aligned F32 weights in place (no scratch needed) and unaligned ones through scratch', () => {
    const rand = rng(802);
    const rows = 4;
    const cols = 64;
    const raw = randomRowBytes(rand, GGMLType.F32, rows * cols);
    const x = randomF32(rand, cols);
    const wf = new Float32Array(raw.buffer.slice(0));
    const expected = naive(wf, rows, cols, x, 1);

    const aligned = new Uint8Array(new ArrayBuffer(raw.length + 16), 4, raw.length + 12);
    aligned.set(raw, 4); // absolute byte offset 8
    const out = new Float32Array(rows);
    matmulRef(GGMLType.F32, aligned, 4, rows, cols, x, 0, 1, out, 0, new Float32Array(0), 1, 4);
    expect([...out.subarray(1)]).toEqual([...expected.subarray(1)]);

    const unaligned = new Uint8Array(raw.length + 3);
    unaligned.set(raw, 3);
    const out2 = new Float32Array(rows);
    expect(() => matmulRef(GGMLType.F32, unaligned, 3, rows, cols, x, 0, 1, out2, 0, new Float32Array(0))).toThrow(/scratch/);
    matmulRef(GGMLType.F32, unaligned, 3, rows, cols, x, 0, 1, out2, 0, new Float32Array(cols));
    expect([...out2]).toEqual([...expected]);
  });

  it('rejects unsupported types, short buffers and bad row ranges', () => {
    const cols = 256;
    const w = new Uint8Array(rowBytes(GGMLType.Q4_K, cols) * 2);
    const x = new Float32Array(cols);
    const out = new Float32Array(2);
    const scratch = new Float32Array(cols);
    expect(() => matmulRef(GGMLType.Q8_K, w, 0, 2, cols, x, 0, 1, out, 0, scratch)).toThrow(UnsupportedTypeError);
    expect(() => matmulRef(GGMLType.Q4_K, w, 0, 2, 100, x, 0, 1, out, 0, scratch)).toThrow(/block size/);
    expect(() => matmulRef(GGMLType.Q4_K, w, 1, 2, cols, x, 0, 1, out, 0, scratch)).toThrow(/weights need/);
    expect(() => matmulRef(GGMLType.Q4_K, w, 0, 2, cols, x, 0, 2, out, 0, scratch)).toThrow(/activations need/);
    expect(() => matmulRef(GGMLType.Q4_K, w, 0, 2, cols, x, 0, 1, out, 1, scratch)).toThrow(/output needs/);
    expect(() => matmulRef(GGMLType.Q4_K, w, 0, 2, cols, x, 0, 1, out, 0, scratch, 1, 3)).toThrow(/row range/);
  });
});

describe('dequantizeTensor', () => {
  it('dequantizes a multi-row tensor into dst at an offset, and checks sizes', () => {
    const rand = rng(900);
    const bytes = randomRowBytes(rand, GGMLType.Q6_K, 512);
    const dst = new Float32Array(515).fill(3);
    dequantizeTensor(GGMLType.Q6_K, bytes, 0, 512, dst, 2);
    const row0 = new Float32Array(256);
    const row1 = new Float32Array(256);
    dequantizeTensor(GGMLType.Q6_K, bytes, 0, 256, row0);
    dequantizeTensor(GGMLType.Q6_K, bytes, 210, 256, row1);
    expect([...dst.subarray(2, 514)]).toEqual([...row0, ...row1]);
    expect(dst[1]).toBe(3);
    expect(dst[514]).toBe(3);
    expect(() => dequantizeTensor(GGMLType.Q6_K, bytes, 1, 512, dst)).toThrow(/bytes/);
    expect(() => dequantizeTensor(GGMLType.Q6_K, bytes, 0, 512, new Float32Array(511))).toThrow(/dst needs/);
  });
});
