/**
 * The per-tensor type rules against the tensor types llama-quantize actually chose: the
 * TinyLLama-v0 K mixes (8 layers, ffn_down rows of 256, everything else rows of 64 → fallbacks;
 * made with --token-embedding-type q4_0 --output-tensor-type q4_0) and the TinyStories-656K
 * plain types (tied embeddings: token_embd gets the output rule). Also llama.cpp's tensor order.
 */
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../../testing/models.js';
import {
  chooseTensorTypes,
  compareTensorNames,
  LLAMA_FTYPE,
  parseQuantTarget,
  TensorTypeError,
  useMoreBits,
  type QuantTarget,
  type TensorDescriptor,
} from '../../src/quantize/mix.js';
import { GGMLType, typeName } from '../../src/types.js';
import { readGgufTensors, type GgufTensors } from '../helpers/gguf-tensors.js';

function descriptors(file: GgufTensors): TensorDescriptor[] {
  return [...file.tensors.values()].map((t) => ({ name: t.name, shape: t.dims, type: t.type }));
}

function typeTable(file: GgufTensors): Record<string, string> {
  return Object.fromEntries([...file.tensors.values()].map((t) => [t.name, typeName(t.type)]));
}

function chosenTable(target: QuantTarget, tensors: TensorDescriptor[], options = {}): Record<string, string> {
  const types = chooseTensorTypes(target, tensors, options);
  return Object.fromEntries(tensors.map((t, i) => [t.name, typeName(types[i])]));
}

describe('TinyLLama-v0 K mixes (from the Q4_0 file)', () => {
  const source = descriptors(readGgufTensors(modelPath('TinyLLama-v0-Q4_0.gguf')));
  const overrides = { tokenEmbeddingType: GGMLType.Q4_0, outputTensorType: GGMLType.Q4_0 };

  it.each([
    ['Q4_K_M', 'TinyLLama-v0-Q4_K_M.gguf'],
    ['Q5_K_M', 'TinyLLama-v0-Q5_K_M.gguf'],
  ] as const)('%s chooses every tensor type llama-quantize chose', (target, file) => {
    expect(chosenTable(target, source, overrides)).toEqual(typeTable(readGgufTensors(modelPath(file))));
  });

  it('without the overrides, token_embd falls back from Q4_K to Q5_0 and output gets Q8_0 (rows of 64)', () => {
    const got = chosenTable('Q4_K_M', source);
    expect(got['token_embd.weight']).toBe('Q5_0');
    expect(got['output.weight']).toBe('Q8_0');
    const expected = typeTable(readGgufTensors(modelPath('TinyLLama-v0-Q4_K_M.gguf')));
    delete expected['token_embd.weight'];
    delete expected['output.weight'];
    delete got['token_embd.weight'];
    delete got['output.weight'];
    expect(got).toEqual(expected);
  });

  it('does not depend on the order the tensors are listed in', () => {
    const reversed = [...source].reverse();
    expect(chosenTable('Q5_K_M', reversed, overrides)).toEqual(chosenTable('Q5_K_M', source, overrides));
  });

  it('keeps norms and other 1-D tensors as they are', () => {
    const got = chosenTable('Q5_K_M', source);
    expect(got['output_norm.weight']).toBe('F32');
    expect(got['blk.3.ffn_norm.weight']).toBe('F32');
  });
});

describe('TinyStories-656K plain types (from F32, tied embeddings)', () => {
  const source = descriptors(readGgufTensors(modelPath('TinyStories-656K-F32.gguf')));
  it.each(['F16', 'BF16', 'Q8_0', 'Q5_1', 'Q5_0', 'Q4_1', 'Q4_0'] as const)('%s matches the llama-quantize file', (target) => {
    expect(chosenTable(target, source)).toEqual(typeTable(readGgufTensors(modelPath(`TinyStories-656K-${target}.gguf`))));
  });
});

/** A Llama-shaped tensor list: n layers, dim d, ffn f, separate output unless tied. */
function llamaTensors(n: number, d: number, f: number, tied = false): TensorDescriptor[] {
  const t: TensorDescriptor[] = [{ name: 'token_embd.weight', shape: [d, 32000], type: GGMLType.F16 }];
  if (!tied) t.push({ name: 'output.weight', shape: [d, 32000], type: GGMLType.F16 });
  t.push({ name: 'output_norm.weight', shape: [d], type: GGMLType.F32 });
  for (let i = 0; i < n; i++) {
    for (const w of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) t.push({ name: `blk.${i}.${w}.weight`, shape: [d, d], type: GGMLType.F16 });
    t.push({ name: `blk.${i}.ffn_gate.weight`, shape: [d, f], type: GGMLType.F16 });
    t.push({ name: `blk.${i}.ffn_up.weight`, shape: [d, f], type: GGMLType.F16 });
    t.push({ name: `blk.${i}.ffn_down.weight`, shape: [f, d], type: GGMLType.F16 });
    t.push({ name: `blk.${i}.attn_norm.weight`, shape: [d], type: GGMLType.F32 });
  }
  return t;
}

describe('rules on a 32-layer model with rows of 4096 (no fallbacks)', () => {
  const tensors = llamaTensors(32, 4096, 11008);
  // use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2, listed by hand.
  const moreBits = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];

  it('use_more_bits picks the first and last eighth and every third layer between', () => {
    expect([...Array(32).keys()].filter((i) => useMoreBits(i, 32))).toEqual(moreBits);
    expect([...Array(8).keys()].filter((i) => useMoreBits(i, 8))).toEqual([0, 3, 6, 7]);
  });

  it.each([
    ['Q4_K_M', 'Q4_K'],
    ['Q5_K_M', 'Q5_K'],
  ] as const)('%s: Q6_K for output and for attn_v/ffn_down on those layers, %s elsewhere', (target, base) => {
    const got = chosenTable(target, tensors);
    expect(got['output.weight']).toBe('Q6_K');
    expect(got['token_embd.weight']).toBe(base);
    for (let i = 0; i < 32; i++) {
      const more = moreBits.includes(i) ? 'Q6_K' : base;
      // ffn_down rows are 11008 = 43 · 256 long, so no fallback there either.
      expect([got[`blk.${i}.attn_v.weight`], got[`blk.${i}.ffn_down.weight`]]).toEqual([more, more]);
      expect(got[`blk.${i}.attn_q.weight`]).toBe(base);
      expect(got[`blk.${i}.ffn_up.weight`]).toBe(base);
    }
  });

  it('Q4_K_S: Q5_K for the first 4 attn_v and the first eighth of ffn_down', () => {
    const got = chosenTable('Q4_K_S', tensors);
    for (let i = 0; i < 32; i++) {
      expect(got[`blk.${i}.attn_v.weight`]).toBe(i < 4 ? 'Q5_K' : 'Q4_K');
      expect(got[`blk.${i}.ffn_down.weight`]).toBe(i < 4 ? 'Q5_K' : 'Q4_K');
    }
  });

  it('plain types: output gets Q6_K (except Q8_0, which keeps Q8_0); everything else the type', () => {
    for (const target of ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q6_K'] as const) {
      const got = chosenTable(target, tensors);
      expect(got['output.weight']).toBe(target === 'Q8_0' ? 'Q8_0' : 'Q6_K');
      expect(got['token_embd.weight']).toBe(target);
      expect(got['blk.5.attn_v.weight']).toBe(target);
    }
  });

  it('tied embeddings: token_embd gets the output rule', () => {
    expect(chosenTable('Q4_0', llamaTensors(2, 4096, 11008, true))['token_embd.weight']).toBe('Q6_K');
    expect(chosenTable('Q4_0', llamaTensors(2, 4096, 11008, false))['token_embd.weight']).toBe('Q4_0');
  });

  it('pure: every quantized tensor gets the base type', () => {
    const got = chosenTable('Q4_K_M', tensors, { pure: true });
    expect(new Set(Object.entries(got).filter(([k]) => !k.includes('norm')).map(([, v]) => v))).toEqual(new Set(['Q4_K']));
  });

  it('float targets convert the matrices only', () => {
    const got = chosenTable('F16', llamaTensors(1, 64, 128).map((t) => ({ ...t, type: GGMLType.F32 })));
    expect(got['blk.0.ffn_down.weight']).toBe('F16');
    expect(got['output.weight']).toBe('F16');
    expect(got['blk.0.attn_norm.weight']).toBe('F32');
  });
});

describe('fallbacks and errors', () => {
  it('falls back to F16 when even the 32-element fallback does not fit', () => {
    const t = [{ name: 'blk.0.ffn_down.weight', shape: [172, 64], type: GGMLType.F32 }];
    expect(typeName(chooseTensorTypes('Q4_K_M', t)[0])).toBe('F16');
  });

  it('refuses a legacy type whose block does not divide the rows, as llama.cpp does', () => {
    const t = [{ name: 'blk.0.ffn_down.weight', shape: [172, 64], type: GGMLType.F32 }];
    expect(() => chooseTensorTypes('Q8_0', t)).toThrow(TensorTypeError);
    expect(() => chooseTensorTypes('Q8_0', t)).toThrow(/blk\.0\.ffn_down\.weight.*172.*Q8_0.*32/);
  });

  it('refuses an override that does not fit the rows', () => {
    const t = [{ name: 'output.weight', shape: [64, 100], type: GGMLType.F32 }];
    expect(() => chooseTensorTypes('Q4_0', t, { outputTensorType: GGMLType.Q4_K })).toThrow(/256/);
  });
});

describe('names and numbers', () => {
  it('parses targets case-insensitively, with llama-quantize aliases', () => {
    expect(parseQuantTarget('q4_k_m')).toBe('Q4_K_M');
    expect(parseQuantTarget('Q4_K')).toBe('Q4_K_M');
    expect(parseQuantTarget('q5_k')).toBe('Q5_K_M');
    expect(parseQuantTarget('Q3_K_M')).toBeUndefined();
  });

  it('uses llama.cpp file type ids (as in the reference files)', () => {
    // TinyLLama-v0-Q4_K_M.gguf says 15, the TinyStories Q4_0/F32 files 2 and 0.
    expect([LLAMA_FTYPE.Q4_K_M, LLAMA_FTYPE.Q5_K_M, LLAMA_FTYPE.Q4_0, LLAMA_FTYPE.F32]).toEqual([15, 17, 2, 0]);
    expect([LLAMA_FTYPE.Q8_0, LLAMA_FTYPE.Q5_0, LLAMA_FTYPE.Q5_1, LLAMA_FTYPE.Q6_K, LLAMA_FTYPE.BF16]).toEqual([7, 8, 9, 18, 32]);
  });

  it("orders tensors as llama-quantize writes them", () => {
    const names = [...readGgufTensors(modelPath('TinyLLama-v0-Q4_0.gguf')).tensors.keys()];
    const written = [...readGgufTensors(modelPath('TinyLLama-v0-Q4_K_M.gguf')).tensors.keys()];
    expect([...names].sort(compareTensorNames)).toEqual(written);
    expect(['blk.10.a', 'blk.2.a', 'output.weight', 'blk.2.Z'].sort(compareTensorNames)).toEqual(['output.weight', 'blk.2.Z', 'blk.2.a', 'blk.10.a']);
  });
});
