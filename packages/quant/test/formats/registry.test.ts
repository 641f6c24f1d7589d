import { describe, expect, it } from 'vitest';
import { allFormats, getFormat, UnsupportedTypeError } from '../../src/formats/index.js';
import { GGMLType, SUPPORTED_WEIGHT_TYPES, TYPE_INFO, rowBytes } from '../../src/types.js';
import { randomF32, randomRowBytes, rng } from '../helpers/random.js';

describe('format registry', () => {
  it('has exactly the supported weight types, with the geometry of TYPE_INFO', () => {
    expect(allFormats().map((f) => f.type).sort((a, b) => a - b)).toEqual([...SUPPORTED_WEIGHT_TYPES].sort((a, b) => a - b));
    for (const t of SUPPORTED_WEIGHT_TYPES) {
      const f = getFormat(t);
      expect(f.type).toBe(t);
      expect(f.name).toBe(TYPE_INFO[t].name);
      expect(f.blockSize).toBe(TYPE_INFO[t].blockSize);
      expect(f.typeSize).toBe(TYPE_INFO[t].typeSize);
    }
  });

  it('offers quantizers for the types Legato writes, and none for the others', () => {
    const writable = allFormats().filter((f) => f.quantizeRow).map((f) => f.name).sort();
    expect(writable).toEqual(['BF16', 'F16', 'F32', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0']);
  });

  it('rejects other types with an error naming the type and listing the supported ones', () => {
    let err: unknown;
    try {
      getFormat(GGMLType.Q8_K);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedTypeError);
    expect((err as UnsupportedTypeError).type).toBe(15);
    expect((err as Error).message).toMatch(/ggml type 15 \(Q8_K\)/);
    expect((err as Error).message).toMatch(/Q4_K \(12\)/);
    expect((err as Error).message).toMatch(/IQ4_NL \(20\)/);
    expect(() => getFormat(99)).toThrow(/ggml type 99 \(unknown\(99\)\)/);
    expect(() => getFormat(GGMLType.IQ4_XS)).toThrow(UnsupportedTypeError);
  });

  it.each(SUPPORTED_WEIGHT_TYPES.map((t) => [TYPE_INFO[t].name, t] as const))(
    '%s: dotRow equals the f64 dot of dequantizeRow over two rows at byte offsets',
    (_name, type) => {
      const f = getFormat(type);
      const rand = rng(500 + type);
      const cols = 512;
      const raw = randomRowBytes(rand, type, 2 * cols);
      const src = new Uint8Array(raw.length + 5);
      src.set(raw, 5);
      const x = randomF32(rand, cols + 1);
      for (let r = 0; r < 2; r++) {
        const off = 5 + r * rowBytes(type, cols);
        const w = new Float32Array(cols);
        f.dequantizeRow(src, off, w, 0, cols);
        let ref = 0;
        let mag = 0;
        for (let c = 0; c < cols; c++) {
          ref += w[c] * x[c + 1];
          mag += Math.abs(w[c] * x[c + 1]);
        }
        // dequantizeRow rounds each value to f32 (e.g. q*d + m), dotRow keeps it in f64.
        expect(Math.abs(f.dotRow(src, off, x, 1, cols) - ref)).toBeLessThanOrEqual(2 ** -22 * mag);
      }
    },
  );
});
