/**
 * Each feature that sets an architecture apart matters: switched off through the config's override
 * hook (ConfigOverrides — used only here), Legato's distributions no longer agree with llama.cpp's
 * on the tiny model that has it. "Breaks" = the worst per-position KL exceeds 0.02 nats, 20× the
 * F32 agreement bound of agreement.test.ts (which the same run, without the override, meets).
 * Features that are structural (tied embeddings, fused tensors, a key_length head size) cannot be
 * switched off without changing tensor shapes; those models simply would not load without them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GGUFError } from '../../src/gguf/errors.js';
import { readGGUFHeader } from '../../src/gguf/header.js';
import { loadGGUF } from '../../src/gguf/load.js';
import { writeGGUF } from '../../src/gguf/write.js';
import { loadModel } from '../../src/index.js';
import type { ConfigOverrides } from '../../src/model/config.js';
import { llamaCppProbsF32KV } from '../../../../testing/llamacpp-exact.js';
import { compare, ourProbs, testIds, tinyModel } from './harness.js';

const KNOCKOUTS: Record<string, Record<string, ConfigOverrides>> = {
  'tiny-llama3': {
    'Llama 3 rope frequency factors (rope_freqs.weight)': { traits: { ropeFactors: 'none' } },
    'normal (adjacent-pair) rope, as NEOX': { traits: { rope: 'neox' } },
  },
  'tiny-qwen2': {
    'Q/K/V biases': { traits: { biases: false } },
    'NEOX rope, as normal': { traits: { rope: 'norm' } },
  },
  'tiny-qwen3': {
    'per-head Q/K RMSNorm': { traits: { qkNorm: false } },
    'NEOX rope, as normal': { traits: { rope: 'norm' } },
  },
  'tiny-gemma2': {
    'embeddings × √dim': { config: { embedScale: 1 } },
    'GELU(tanh) gate, as SiLU': { traits: { ffnActivation: 'silu' } },
    'post-attention and post-FFN norms': { traits: { postNorms: false } },
    'attention-logit soft-cap': { config: { attnSoftcap: 0 } },
    'final-logit soft-cap': { config: { finalSoftcap: 0 } },
    'sliding window on alternate layers': { config: { slidingWindow: 0 } },
    'query scale 1/√key_length, as 1/√(dim/heads)': { config: { attnScale: 1 / Math.sqrt(64 / 4) } },
  },
  'tiny-gemma3': {
    'per-head Q/K RMSNorm': { traits: { qkNorm: false } },
    'post-attention and post-FFN norms': { traits: { postNorms: false } },
    'GELU(tanh) gate, as SiLU': { traits: { ffnActivation: 'silu' } },
    'embeddings × √dim': { config: { embedScale: 1 } },
    'sliding window on 5 of 6 layers': { config: { slidingWindow: 0 } },
    'local rope base 10000 (as the global base and scale)': { config: { ropeSwa: { base: 1e6, scale: 1 / 8 } } },
    'linear rope scaling of the global layers': { config: { ropeGlobal: { base: 1e6, scale: 1 } } },
  },
  'tiny-phi3': {
    'long rope factors (above the original context), as short': { config: { ropeOrigContext: 1 << 20 } },
    'rope attn_factor': { config: { ropeAttnFactor: 1 } },
    'NEOX rope, as normal': { traits: { rope: 'norm' } },
    // llama.cpp reads Phi-3's sliding_window and does not apply it: applying it must disagree.
    'its sliding window left unapplied, as applied': { traits: { swa: { defaultPeriod: 0, defaultWindow: undefined } } },
  },
};

describe.each(Object.keys(KNOCKOUTS))('%s: every feature matters', (shape) => {
  let path: string;
  let ids: number[];
  let theirs: Float64Array[];
  beforeAll(async () => {
    path = await tinyModel(shape, 'F32');
    ids = [1, ...testIds(79, (readGGUFHeader(path).metadata['tokenizer.ggml.tokens'] as unknown[]).length)];
    theirs = await llamaCppProbsF32KV(path, ids);
  });

  it('agrees with every feature on', async () => {
    expect(compare(await ourProbs(path, ids), theirs).maxKL).toBeLessThan(1e-3);
  });

  it.each(Object.entries(KNOCKOUTS[shape]))('switching off %s breaks agreement', async (_feature, overrides) => {
    const a = compare(await ourProbs(path, ids, { overrides }), theirs);
    expect(a.maxKL).toBeGreaterThan(0.02);
  });
});

describe('an architecture-specific tensor that is missing is named', () => {
  it.each([
    ['tiny-qwen3', 'blk.1.attn_k_norm.weight'],
    ['tiny-gemma2', 'blk.0.post_ffw_norm.weight'],
    ['tiny-phi3', 'blk.1.attn_qkv.weight'],
  ])('%s without %s', async (shape, tensor) => {
    const src = await loadGGUF(await tinyModel(shape, 'F32'));
    const tensors = src.header.tensors.filter((t) => t.name !== tensor).map((t) => ({ name: t.name, type: t.type, shape: [...t.shape], data: src.tensor(t.name).data }));
    const out = join(mkdtempSync(join(tmpdir(), 'legato-arch-missing-')), 'm.gguf');
    await writeGGUF(out, { metadata: src.header.typedMetadata, tensors });
    const e = await loadModel(out).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect((e as GGUFError).code).toBe('MISSING_TENSOR');
    // Without a fused attn_qkv, llama.cpp (and Legato) look for the separate attn_q.
    expect((e as Error).message).toContain(tensor.endsWith('attn_qkv.weight') ? 'blk.1.attn_q.weight' : tensor);
  });
});
