/** The trait table as readLlamaConfig applies it: llama.cpp's rules for each architecture's hyperparameters. */
import { describe, expect, it } from 'vitest';
import type { GGUFHeader } from '../../src/gguf/header.js';
import { readLlamaConfig, SUPPORTED_ARCHITECTURES, UnsupportedArchitectureError } from '../../src/model/config.js';

function header(arch: string, extra: Record<string, unknown> = {}): GGUFHeader {
  const base: Record<string, unknown> = {
    'general.architecture': arch,
    [`${arch}.embedding_length`]: 64,
    [`${arch}.block_count`]: 6,
    [`${arch}.attention.head_count`]: 4,
    [`${arch}.attention.head_count_kv`]: 2,
    [`${arch}.feed_forward_length`]: 128,
    [`${arch}.context_length`]: 512,
  };
  for (const [k, v] of Object.entries(extra)) base[`${arch}.${k}`] = v;
  return { file: 'x.gguf', metadata: base, tensors: [] } as unknown as GGUFHeader;
}

describe('architecture traits', () => {
  it('lists the supported architectures in the error for an unknown one', () => {
    expect(SUPPORTED_ARCHITECTURES).toEqual(['llama', 'qwen2', 'qwen3', 'gemma2', 'gemma3', 'phi3']);
    const e = (() => { try { readLlamaConfig(header('mamba')); } catch (x) { return x; } })() as Error;
    expect(e).toBeInstanceOf(UnsupportedArchitectureError);
    expect(e.message).toContain('"mamba" is not supported (supported: llama, qwen2, qwen3, gemma2, gemma3, phi3)');
  });

  it('qwen3: the head size comes from attention.key_length, not dim / heads', () => {
    const c = readLlamaConfig(header('qwen3', { 'attention.key_length': 32, 'attention.value_length': 32 }));
    expect([c.headDim, c.qDim, c.kvDim, c.dim]).toEqual([32, 128, 64, 64]);
    expect(c.attnScale).toBeCloseTo(1 / Math.sqrt(32));
  });

  it('gemma2: sliding and global layers alternate, default window 4096, soft-caps 50 / 30 unless the file says otherwise', () => {
    const c = readLlamaConfig(header('gemma2'));
    expect([...c.swaLayers]).toEqual([1, 0, 1, 0, 1, 0]);
    expect([c.slidingWindow, c.attnSoftcap, c.finalSoftcap, c.embedScale]).toEqual([4096, 50, 30, 8]);
    const d = readLlamaConfig(header('gemma2', { attn_logit_softcapping: 20, final_logit_softcapping: 10, 'attention.sliding_window': 64 }));
    expect([d.slidingWindow, d.attnSoftcap, d.finalSoftcap]).toEqual([64, 20, 10]);
  });

  it('gemma2/3 at 46/62 layers (the 27B shapes) scale queries by 1/√(dim/heads), as llama.cpp', () => {
    const small = readLlamaConfig(header('gemma2', { 'attention.key_length': 32, 'attention.value_length': 32 }));
    expect(small.attnScale).toBeCloseTo(1 / Math.sqrt(32));
    const big = readLlamaConfig(header('gemma2', { block_count: 46, 'attention.key_length': 32, 'attention.value_length': 32 }));
    expect(big.attnScale).toBeCloseTo(1 / Math.sqrt(16));
  });

  it('gemma3: 5 sliding layers to 1 global, local rope base 10000 without the global scaling, no soft-cap', () => {
    const c = readLlamaConfig(header('gemma3', { 'attention.sliding_window': 512, 'rope.freq_base': 1e6, 'rope.scaling.type': 'linear', 'rope.scaling.factor': 8 }));
    expect([...c.swaLayers]).toEqual([1, 1, 1, 1, 1, 0]);
    expect(c.ropeGlobal).toEqual({ base: 1e6, scale: 1 / 8 });
    expect(c.ropeSwa).toEqual({ base: 10000, scale: 1 });
    expect([c.attnSoftcap, c.finalSoftcap]).toEqual([0, 0]);
    // Without a window key llama.cpp runs Gemma 3 with global attention everywhere.
    expect(readLlamaConfig(header('gemma3')).slidingWindow).toBe(0);
  });

  it('phi3: the sliding window is read and not applied (llama.cpp disables it); long rope reads its attn_factor', () => {
    const c = readLlamaConfig(header('phi3', { 'attention.sliding_window': 2047, 'rope.scaling.attn_factor': 1.19, 'rope.scaling.original_context_length': 4096 }));
    expect(c.slidingWindow).toBe(0);
    expect([...c.swaLayers]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([c.ropeAttnFactor, c.ropeOrigContext]).toEqual([1.19, 4096]);
  });

  it('refuses YaRN rope scaling by name instead of computing something else', () => {
    expect(() => readLlamaConfig(header('qwen2', { 'rope.scaling.type': 'yarn' }))).toThrow(/rope.scaling.type "yarn" is not supported/);
  });

  it('llama: rope.dimension_count must equal the head size, as llama.cpp demands', () => {
    expect(() => readLlamaConfig(header('llama', { 'rope.dimension_count': 8 }))).toThrow(/must equal the head size 16/);
  });
});
