/**
 * Model hyperparameters, read from GGUF metadata with the architecture's traits
 * (architectures.ts): metadata drives every shape, the trait table every difference.
 */
import { previewValue } from '../errors.js';
import { GGUFError } from '../gguf/errors.js';
import type { GGUFHeader } from '../gguf/header.js';
import { ARCHITECTURES, isSupportedArchitecture, SUPPORTED_ARCHITECTURES, type ArchName, type ArchTraits } from './architectures.js';

export { SUPPORTED_ARCHITECTURES, ARCHITECTURES, type ArchName, type ArchTraits } from './architectures.js';

export class UnsupportedArchitectureError extends Error {
  constructor(readonly architecture: string, readonly file: string) {
    super(`${file}: architecture "${architecture.slice(0, 64)}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
    this.name = 'UnsupportedArchitectureError';
  }
}

/** RoPE base and linear frequency scale for one kind of layer. */
export interface RopeBase {
  readonly base: number;
  /** θ is multiplied by this (1 / rope.scaling.factor for linear scaling; 1 = none). */
  readonly scale: number;
}

export interface LlamaConfig {
  /** `general.architecture`; its traits are in `traits`. */
  readonly architecture: ArchName;
  readonly traits: ArchTraits;
  readonly name: string;
  readonly vocabSize: number;
  readonly dim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  /** Floats per attention head (attention.key_length; Qwen3 and Gemma may differ from dim / heads). */
  readonly headDim: number;
  /** nHeads × headDim: the width of Q and of the attention output. */
  readonly qDim: number;
  readonly kvDim: number;
  readonly ffnDim: number;
  /** Context length the model was trained with. */
  readonly trainContext: number;
  readonly rmsEps: number;
  /** RoPE base of the global layers (all layers without sliding windows). */
  readonly ropeFreqBase: number;
  /** Leading dimensions of each head that RoPE rotates. */
  readonly ropeDim: number;
  readonly ropeGlobal: RopeBase;
  readonly ropeSwa: RopeBase;
  /** rope.scaling.type ('none', 'linear', 'longrope'). */
  readonly ropeScalingType: string;
  /** rope.scaling.original_context_length (else the train context): above it Phi-3 uses its long factors. */
  readonly ropeOrigContext: number;
  /** rope.scaling.attn_factor: multiplies cos and sin (so Q·K by its square). */
  readonly ropeAttnFactor: number;
  /** Factor on q·k before the softmax. */
  readonly attnScale: number;
  /** Attention-logit soft-cap (s → c·tanh(s/c)); 0 = none. */
  readonly attnSoftcap: number;
  /** Final-logit soft-cap; 0 = none. */
  readonly finalSoftcap: number;
  /** Token embeddings are multiplied by this (√dim for Gemma, else 1). */
  readonly embedScale: number;
  /** Sliding-window size W (0 = none): a token at p sees (p − W, p] in sliding layers. */
  readonly slidingWindow: number;
  /** Per layer: 1 when it is a sliding-window layer. */
  readonly swaLayers: Uint8Array;
}

/**
 * Knobs that tests use to switch one feature off and show that agreement with llama.cpp breaks.
 * Never needed to run a model.
 */
export interface ConfigOverrides {
  traits?: Partial<ArchTraits>;
  config?: Partial<Pick<LlamaConfig, 'attnSoftcap' | 'finalSoftcap' | 'embedScale' | 'slidingWindow' | 'attnScale' | 'ropeSwa' | 'ropeGlobal' | 'ropeAttnFactor' | 'ropeOrigContext'>>;
}

export function readLlamaConfig(h: GGUFHeader, overrides?: ConfigOverrides): LlamaConfig {
  const m = h.metadata;
  const arch = m['general.architecture'];
  if (typeof arch !== 'string') throw new GGUFError('MISSING_KEY', h.file, undefined, 'required metadata key general.architecture is missing');
  if (!isSupportedArchitecture(arch)) throw new UnsupportedArchitectureError(arch, h.file);
  const traits: ArchTraits = { ...ARCHITECTURES[arch], ...overrides?.traits };
  const bad = (reason: string): GGUFError => new GGUFError('BAD_VALUE', h.file, undefined, reason);
  const has = (key: string): boolean => m[`${arch}.${key}`] !== undefined;
  const num = (key: string, fallback?: number): number => {
    const v = m[`${arch}.${key}`];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new GGUFError('MISSING_KEY', h.file, undefined, `required metadata key ${arch}.${key} is missing`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`metadata key ${arch}.${key} must be a number, got ${previewValue(v)}`);
    return v;
  };
  const positive = (key: string, v: number): number => {
    if (!Number.isInteger(v) || v <= 0) throw bad(`metadata key ${arch}.${key} must be a positive integer, got ${previewValue(v)}`);
    return v;
  };
  const dim = positive('embedding_length', num('embedding_length'));
  const nLayers = positive('block_count', num('block_count'));
  const nHeads = positive('attention.head_count', num('attention.head_count'));
  const nKVHeads = positive('attention.head_count_kv', num('attention.head_count_kv', nHeads));
  if (nHeads % nKVHeads !== 0) throw bad(`inconsistent heads: ${nHeads} heads, ${nKVHeads} KV heads`);
  if (!has('attention.key_length') && dim % nHeads !== 0) throw bad(`inconsistent heads: dim ${dim}, ${nHeads} heads`);
  const headDim = positive('attention.key_length', num('attention.key_length', dim / nHeads));
  const valueLength = num('attention.value_length', has('attention.key_length') ? headDim : dim / nHeads);
  if (valueLength !== headDim) throw bad(`attention.value_length ${valueLength} differs from key_length ${headDim}; Legato needs them equal`);
  const embd = h.tensors.find((t) => t.name === 'token_embd.weight');
  const tokens = m['tokenizer.ggml.tokens'];
  const vocabSize = embd?.shape[1] ?? (Array.isArray(tokens) ? tokens.length : 0);
  const ropeDim = num('rope.dimension_count', headDim);
  if (ropeDim > headDim || ropeDim % 2 !== 0) throw bad(`rope.dimension_count ${ropeDim} does not fit head size ${headDim}`);
  if (traits.ropeDimMustEqualHead && ropeDim !== headDim) throw bad(`rope.dimension_count ${ropeDim} must equal the head size ${headDim} for ${arch}`);

  const trainContext = positive('context_length', num('context_length', 2048));
  const ropeFreqBase = num('rope.freq_base', 10000);
  const scalingType = m[`${arch}.rope.scaling.type`] ?? 'linear';
  if (typeof scalingType !== 'string' || !['none', 'linear', 'longrope'].includes(scalingType)) {
    throw bad(`rope.scaling.type "${String(scalingType).slice(0, 40)}" is not supported (supported: none, linear, longrope)`);
  }
  const factor = num('rope.scaling.factor', num('rope.scale_linear', 0));
  const globalScale = scalingType === 'none' || factor === 0 ? 1 : 1 / factor;

  let slidingWindow = 0;
  const swaLayers = new Uint8Array(nLayers);
  let ropeSwaBase = ropeFreqBase;
  if (typeof traits.swa === 'object') {
    const window = has('attention.sliding_window') ? num('attention.sliding_window') : traits.swa.defaultWindow;
    if (window !== undefined && window > 0) {
      slidingWindow = positive('attention.sliding_window', window);
      const period = num('attention.sliding_window_pattern', traits.swa.defaultPeriod);
      if (!Number.isInteger(period) || period < 0) throw bad(`attention.sliding_window_pattern must be a non-negative integer, got ${period}`);
      for (let l = 0; l < nLayers; l++) swaLayers[l] = period === 0 || l % period < period - 1 ? 1 : 0;
      ropeSwaBase = num('rope.freq_base_swa', traits.swaRopeBase === 'global' ? ropeFreqBase : traits.swaRopeBase);
    }
  }
  const gemmaBigScale = traits.queryScaleByDimOverHeadsAtLayers === nLayers;
  const config: LlamaConfig = {
    architecture: arch,
    traits,
    name: typeof m['general.name'] === 'string' ? (m['general.name'] as string) : arch,
    vocabSize,
    dim,
    nLayers,
    nHeads,
    nKVHeads,
    headDim,
    qDim: nHeads * headDim,
    kvDim: nKVHeads * headDim,
    ffnDim: positive('feed_forward_length', num('feed_forward_length')),
    trainContext,
    rmsEps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeFreqBase,
    ropeDim,
    ropeGlobal: { base: ropeFreqBase, scale: globalScale },
    // Gemma 2 copies the global scale to its sliding layers; Gemma 3 keeps them unscaled.
    ropeSwa: { base: ropeSwaBase, scale: traits.swaRopeBase === 'global' ? globalScale : 1 },
    ropeScalingType: scalingType,
    ropeOrigContext: positive('rope.scaling.original_context_length', num('rope.scaling.original_context_length', trainContext)),
    ropeAttnFactor: num('rope.scaling.attn_factor', 1),
    attnScale: 1 / Math.sqrt(gemmaBigScale ? dim / nHeads : headDim),
    attnSoftcap: traits.attnSoftcap === undefined ? 0 : num('attn_logit_softcapping', traits.attnSoftcap),
    finalSoftcap: traits.finalSoftcap === undefined ? 0 : num('final_logit_softcapping', traits.finalSoftcap),
    embedScale: traits.embedScaleSqrtDim ? Math.sqrt(dim) : 1,
    slidingWindow,
    swaLayers,
  };
  const o = overrides?.config;
  return o ? { ...config, ...o } : config;
}
