/**
 * Real K-quant and IQ4_NL weights: TinyLLama-v0-{Q2_K,Q4_K_M,Q5_K_M}.gguf were requantized by
 * llama-quantize from TinyLLama-v0-Q4_0.gguf, so each tensor is compared with the Q4_0 file's
 * tensor of the same name (the common source), and bit for bit with a literal port of ggml's
 * dequantize_row_*.
 *
 * Tolerances, relative to the source tensor's RMS (measured worst case over all tensors in
 * brackets): RMS error / max error
 *   Q3_K   0.20 / 0.65  [0.149 / 0.457]      IQ4_NL 0.11 / 0.50  [0.080 / 0.364]
 *   Q4_K   0.03 / 0.25  [0.021 / 0.153]      Q5_K   0.03 / 0.15  [0.020 / 0.095]
 *   Q6_K   0.015 / 0.05 [0.0094 / 0.033]     Q5_1   0.06 / 0.20  [0.044 / 0.118]
 *   Q8_0   0.01 / 0.03  [0.0050 / 0.015]
 *   Q5_0   exact: Q4_0's 16 levels (q − 8)·d are Q5_0 levels with d/2, and llama.cpp finds them.
 * A misread scale, min or bit plane moves whole sub-blocks and shows up as errors of order 1.
 */
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../../testing/models.js';
import { getFormat } from '../../src/formats/index.js';
import { GGMLType, rowBytes, typeName } from '../../src/types.js';
import { ggmlDequantize } from '../helpers/ggml-port.js';
import { readGgufTensors, tensorIn, type TensorLocation, type GgufTensors } from '../helpers/gguf-tensors.js';

const TOLERANCE: Partial<Record<GGMLType, { rms: number; max: number }>> = {
  [GGMLType.Q3_K]: { rms: 0.2, max: 0.65 },
  [GGMLType.IQ4_NL]: { rms: 0.11, max: 0.5 },
  [GGMLType.Q4_K]: { rms: 0.03, max: 0.25 },
  [GGMLType.Q5_K]: { rms: 0.03, max: 0.15 },
  [GGMLType.Q6_K]: { rms: 0.015, max: 0.05 },
  [GGMLType.Q5_1]: { rms: 0.06, max: 0.2 },
  [GGMLType.Q8_0]: { rms: 0.01, max: 0.03 },
  [GGMLType.Q5_0]: { rms: 0, max: 0 },
};

function dequant(file: GgufTensors, t: TensorLocation): Float32Array {
  const out = new Float32Array(t.nElements);
  getFormat(t.type).dequantizeRow(file.bytes, t.offset, out, 0, t.nElements);
  return out;
}

const FILES = [
  { file: 'TinyLLama-v0-Q2_K.gguf', types: ['Q3_K', 'IQ4_NL', 'Q4_0'] },
  { file: 'TinyLLama-v0-Q4_K_M.gguf', types: ['Q4_K', 'Q6_K', 'Q5_0', 'Q8_0', 'Q4_0'] },
  { file: 'TinyLLama-v0-Q5_K_M.gguf', types: ['Q5_K', 'Q6_K', 'Q5_1', 'Q8_0', 'Q4_0'] },
];

describe.each(FILES)('$file against TinyLLama-v0-Q4_0.gguf', ({ file: name, types }) => {
  const base = readGgufTensors(modelPath('TinyLLama-v0-Q4_0.gguf'));
  const file = readGgufTensors(modelPath(name));
  const weights = [...file.tensors.values()].filter((t) => t.type !== GGMLType.F32);

  it('holds the tensor types the model card lists', () => {
    expect([...new Set(weights.map((t) => typeName(t.type)))].sort()).toEqual([...types].sort());
  });

  it('dequantizes every tensor bit for bit like ggml', () => {
    for (const t of weights) {
      const got = dequant(file, t);
      const ref = ggmlDequantize(t.type, file.bytes.subarray(t.offset, t.offset + rowBytes(t.type, t.nElements)), t.nElements);
      for (let i = 0; i < got.length; i++) {
        if (!Object.is(got[i], ref[i])) expect.fail(`${t.name} (${typeName(t.type)})[${i}]: ${got[i]} vs ggml ${ref[i]}`);
      }
    }
  });

  it('dequantizes every requantized tensor close to the Q4_0 source', () => {
    for (const t of weights) {
      const src = tensorIn(base, t.name);
      expect(src.dims).toEqual(t.dims);
      const a = dequant(base, src);
      const b = dequant(file, t);
      if (t.type === GGMLType.Q4_0) {
        // output and token_embd were asked for as Q4_0 again: requantizing Q4_0 reproduces it
        const n = rowBytes(t.type, t.nElements);
        const same = Buffer.compare(file.bytes.subarray(t.offset, t.offset + n), base.bytes.subarray(src.offset, src.offset + n));
        expect(same, t.name).toBe(0);
        continue;
      }
      const tol = TOLERANCE[t.type as GGMLType];
      if (!tol) throw new Error(`no tolerance for ${typeName(t.type)}`);
      let ss = 0;
      let se = 0;
      let maxErr = 0;
      for (let i = 0; i < a.length; i++) {
        const e = b[i] - a[i];
        ss += a[i] * a[i];
        se += e * e;
        maxErr = Math.max(maxErr, Math.abs(e));
      }
      const rms = Math.sqrt(ss / a.length);
      const label = `${t.name} (${typeName(t.type)})`;
      expect(Math.sqrt(se / a.length) / rms, label).toBeLessThanOrEqual(tol.rms);
      expect(maxErr / rms, label).toBeLessThanOrEqual(tol.max);
    }
  });

  it('re-quantizes the legacy-type tensors from the source to the identical bytes', () => {
    for (const t of weights) {
      const format = getFormat(t.type);
      if (!format.quantizeRow) continue;
      const src = dequant(base, tensorIn(base, t.name));
      const n = rowBytes(t.type, t.nElements);
      const out = new Uint8Array(n);
      format.quantizeRow(src, 0, out, 0, t.nElements);
      const ref = file.bytes.subarray(t.offset, t.offset + n);
      for (let i = 0; i < n; i++) {
        if (out[i] !== ref[i]) expect.fail(`${t.name} (${format.name}) differs at byte ${i}`);
      }
    }
  });
});
