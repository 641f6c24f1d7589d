/**
 * Real weights: the TinyStories-656K files were made by llama-quantize from one F32 original, so
 * every quantized tensor must (a) re-encode byte for byte from the F32 tensor with our quantizers
 * and (b) dequantize to within the type's per-element error bound of the F32 values.
 *
 * Per-element bounds (block statistics taken from the F32 source; 2^-11 is f16's relative rounding):
 *   F16   |x|·2^-11            BF16  |x|·2^-8
 *   Q8_0  d·(1/2 + 127·2^-11), d = max|x|/127
 *   Q4_0  d·(1/2 + 8·2^-11),  d = max|x|/8, or d·(1 + …) for the clamped top level
 *   Q5_0  d·(1/2 + 16·2^-11), d = max|x|/16, likewise
 *   Q4_1  d·(1/2 + 15·2^-11) + |min|·2^-11, d = (max − min)/15
 *   Q5_1  d·(1/2 + 31·2^-11) + |min|·2^-11, d = (max − min)/31
 * plus 2^-20 absolute for f16 scales in the subnormal range.
 */
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../../testing/models.js';
import { getFormat } from '../../src/formats/index.js';
import { GGMLType, rowBytes, typeName } from '../../src/types.js';
import { readGgufTensors, tensorIn } from '../helpers/gguf-tensors.js';

function f32Tensor(path: string, name: string): Float32Array {
  const file = readGgufTensors(path);
  const t = tensorIn(file, name);
  expect(t.type).toBe(GGMLType.F32);
  const dv = new DataView(file.bytes.buffer, file.bytes.byteOffset + t.offset, t.nElements * 4);
  return Float32Array.from({ length: t.nElements }, (_, i) => dv.getFloat32(4 * i, true));
}

/** The largest allowed |dequantized − source| for each element of `x` stored as `type`. */
function errorBounds(type: GGMLType, x: Float32Array): Float32Array {
  const bound = new Float32Array(x.length);
  const e16 = 2 ** -11;
  const slack = 2 ** -20;
  if (type === GGMLType.F16 || type === GGMLType.BF16) {
    const rel = type === GGMLType.F16 ? e16 : 2 ** -8;
    for (let i = 0; i < x.length; i++) bound[i] = Math.abs(x[i]) * rel + 2 ** -25;
    return bound;
  }
  for (let b = 0; b < x.length; b += 32) {
    const blk = x.subarray(b, b + 32);
    let max = 0; // signed value of largest magnitude
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of blk) {
      if (Math.abs(v) > Math.abs(max)) max = v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (let j = 0; j < 32; j++) {
      const v = blk[j];
      let e: number;
      switch (type) {
        case GGMLType.Q8_0: {
          const d = Math.abs(max) / 127;
          e = d * (0.5 + 127 * e16);
          break;
        }
        case GGMLType.Q4_0:
        case GGMLType.Q5_0: {
          const levels = type === GGMLType.Q4_0 ? 8 : 16;
          const d = max / -levels;
          const clamped = v / d > levels - 0.5;
          e = Math.abs(d) * ((clamped ? 1 : 0.5) + levels * e16);
          break;
        }
        case GGMLType.Q4_1:
        case GGMLType.Q5_1: {
          const top = type === GGMLType.Q4_1 ? 15 : 31;
          const d = (hi - lo) / top;
          e = d * (0.5 + top * e16) + Math.abs(lo) * e16;
          break;
        }
        default:
          throw new Error(`no bound for ${typeName(type)}`);
      }
      bound[b + j] = e + slack;
    }
  }
  return bound;
}

const FILES = ['F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1'] as const;

describe.each(FILES)('TinyStories-656K-%s.gguf against the F32 original', (fileType) => {
  const f32Path = modelPath('TinyStories-656K-F32.gguf');
  const path = modelPath(`TinyStories-656K-${fileType}.gguf`);
  const file = readGgufTensors(path);
  const quantized = [...file.tensors.values()].filter((t) => t.type !== GGMLType.F32);

  it('holds the expected tensor types', () => {
    const types = new Set(quantized.map((t) => typeName(t.type)));
    expect(quantized.length).toBe(15);
    expect(types.has(fileType)).toBe(true);
    // llama.cpp keeps token_embd at Q8_0 in the 4- and 5-bit files
    if (fileType.startsWith('Q4') || fileType.startsWith('Q5')) expect(tensorIn(file, 'token_embd.weight').type).toBe(GGMLType.Q8_0);
  });

  it('every tensor dequantizes to within its per-element bound of the F32 weights', () => {
    for (const t of quantized) {
      const src = f32Tensor(f32Path, t.name);
      const got = new Float32Array(t.nElements);
      getFormat(t.type).dequantizeRow(file.bytes, t.offset, got, 0, t.nElements);
      const bound = errorBounds(t.type, src);
      let worst = 0;
      for (let i = 0; i < src.length; i++) {
        const err = Math.abs(got[i] - src[i]);
        if (err > bound[i]) expect.fail(`${t.name}[${i}] (${typeName(t.type)}): ${got[i]} vs ${src[i]}, bound ${bound[i]}`);
        worst = Math.max(worst, err / bound[i]);
      }
      // the bound is not vacuous: quantization error reaches a good part of it somewhere
      if (t.type !== GGMLType.F16 && t.type !== GGMLType.BF16) expect(worst).toBeGreaterThan(0.5);
    }
  });

  it('every tensor re-quantizes from the F32 weights to the identical bytes', () => {
    for (const t of quantized) {
      const src = f32Tensor(f32Path, t.name);
      const format = getFormat(t.type);
      const n = rowBytes(t.type, t.nElements);
      const out = new Uint8Array(n);
      format.quantizeRow!(src, 0, out, 0, t.nElements);
      const ref = file.bytes.subarray(t.offset, t.offset + n);
      for (let i = 0; i < n; i++) {
        if (out[i] !== ref[i]) expect.fail(`${t.name} (${format.name}) differs at byte ${i}: ${out[i]} vs ${ref[i]}`);
      }
    }
  });
});
