/**
 * The K-quant quantizers against llama.cpp's own output: TinyLLama-v0-{Q4_K_M,Q5_K_M}.gguf were
 * made by llama-quantize from TinyLLama-v0-Q4_0.gguf (dequantized to f32, then
 * quantize_row_q{4,5,6}_K_ref), so re-quantizing the dequantized Q4_0 tensor must give the same
 * bytes. Those inputs sit on exact grids, so nearest_int ties are everywhere: any deviation from
 * ggml's f32 evaluation order shows up as a changed scale or quant.
 */
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../../testing/models.js';
import { getFormat } from '../../src/formats/index.js';
import { quantizeRowQ4_K, quantizeRowQ5_K, quantizeRowQ6_K } from '../../src/formats/kquants-quantize.js';
import { GGMLType, rowBytes, typeName } from '../../src/types.js';
import { readGgufTensors } from '../helpers/gguf-tensors.js';
import { rng } from '../helpers/random.js';

const KQUANTS = [GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K];

describe.each(['TinyLLama-v0-Q4_K_M.gguf', 'TinyLLama-v0-Q5_K_M.gguf'])('re-quantizing %s from its Q4_0 source', (name) => {
  const base = readGgufTensors(modelPath('TinyLLama-v0-Q4_0.gguf'));
  const file = readGgufTensors(modelPath(name));
  const kTensors = [...file.tensors.values()].filter((t) => KQUANTS.includes(t.type));

  it('has K-quant tensors to compare (ffn_down, the only rows of 256)', () => {
    expect(kTensors.length).toBe(8);
  });

  it('reproduces every Q4_K/Q5_K/Q6_K tensor byte for byte', () => {
    for (const t of kTensors) {
      const src = base.tensors.get(t.name)!;
      expect(src.type).toBe(GGMLType.Q4_0);
      const x = new Float32Array(src.nElements);
      getFormat(src.type).dequantizeRow(base.bytes, src.offset, x, 0, src.nElements);
      const bytes = rowBytes(t.type, t.nElements);
      const out = new Uint8Array(bytes);
      getFormat(t.type).quantizeRow!(x, 0, out, 0, t.nElements);
      const ref = file.bytes.subarray(t.offset, t.offset + bytes);
      let first = -1;
      for (let i = 0; i < bytes && first < 0; i++) if (out[i] !== ref[i]) first = i;
      if (first >= 0) expect.fail(`${t.name} (${typeName(t.type)}): first differing byte ${first} of ${bytes}`);
    }
  });
});

/** Gaussian weights of standard deviation 0.02, as in a trained layer. */
function gaussian(seed: number, n: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) * 0.02;
  return x;
}

function roundTripRelRms(type: GGMLType, x: Float32Array): number {
  const f = getFormat(type);
  const q = new Uint8Array(rowBytes(type, x.length));
  f.quantizeRow!(x, 0, q, 0, x.length);
  const y = new Float32Array(x.length);
  f.dequantizeRow(q, 0, y, 0, x.length);
  let se = 0;
  let sx = 0;
  for (let i = 0; i < x.length; i++) {
    se += (x[i] - y[i]) ** 2;
    sx += x[i] ** 2;
  }
  return Math.sqrt(se / sx);
}

describe('K-quant quantizers on synthetic data', () => {
  const x = gaussian(11, 256 * 32);

  // A uniform quantizer with 2^b levels over a Gaussian block's range leaves a relative RMS error
  // of about 2^-b · 1.2: 0.075 (4 bits), 0.037 (5), 0.019 (6); the K-quants' fitted scales and
  // mins must do at least that well, and better than the 32-element legacy formats.
  it.each([
    [GGMLType.Q4_K, 0.08, GGMLType.Q4_0],
    [GGMLType.Q5_K, 0.04, GGMLType.Q5_0],
    [GGMLType.Q6_K, 0.02, GGMLType.Q8_0],
  ])('%s round trip error is small', (type, bound, legacy) => {
    const e = roundTripRelRms(type, x);
    expect(e).toBeLessThan(bound);
    if (legacy !== GGMLType.Q8_0) expect(e).toBeLessThan(roundTripRelRms(legacy, x));
  });

  it.each(KQUANTS)('%s encodes an all-zero super-block as zeros', (type) => {
    const f = getFormat(type);
    const q = new Uint8Array(f.typeSize).fill(0xaa);
    f.quantizeRow!(new Float32Array(256), 0, q, 0, 256);
    const y = new Float32Array(256).fill(1);
    f.dequantizeRow(q, 0, y, 0, 256);
    expect([...y].every((v) => v === 0)).toBe(true);
  });

  it.each([
    [GGMLType.Q4_K, quantizeRowQ4_K],
    [GGMLType.Q5_K, quantizeRowQ5_K],
    [GGMLType.Q6_K, quantizeRowQ6_K],
  ] as const)('%s honours source and destination offsets', (type, quantize) => {
    const n = 512;
    const bytes = rowBytes(type, n);
    const alone = new Uint8Array(bytes);
    quantize(x, 256, alone, 0, n);
    const shifted = new Uint8Array(bytes + 7).fill(0x55);
    quantize(x, 256, shifted, 7, n);
    expect(shifted.subarray(7)).toEqual(alone);
    expect([...shifted.subarray(0, 7)].every((b) => b === 0x55)).toBe(true);
  });
});
