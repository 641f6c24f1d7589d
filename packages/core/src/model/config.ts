/** Model hyperparameters, read from GGUF metadata: metadata drives every shape. */
import { GGUFError } from '../gguf/errors.js';
import type { GGUFHeader } from '../gguf/header.js';

export const SUPPORTED_ARCHITECTURES = ['llama'] as const;

export class UnsupportedArchitectureError extends Error {
  constructor(readonly architecture: string, readonly file: string) {
    super(`${file}: architecture "${architecture}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
    this.name = 'UnsupportedArchitectureError';
  }
}

export interface LlamaConfig {
  readonly architecture: 'llama';
  readonly name: string;
  readonly vocabSize: number;
  readonly dim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  readonly headDim: number;
  readonly kvDim: number;
  readonly ffnDim: number;
  /** Context length the model was trained with. */
  readonly trainContext: number;
  readonly rmsEps: number;
  readonly ropeFreqBase: number;
  /** Leading dimensions of each head that RoPE rotates. */
  readonly ropeDim: number;
}

export function readLlamaConfig(h: GGUFHeader): LlamaConfig {
  const m = h.metadata;
  const arch = m['general.architecture'];
  if (typeof arch !== 'string') throw new GGUFError('MISSING_KEY', h.file, undefined, 'required metadata key general.architecture is missing');
  if (arch !== 'llama') throw new UnsupportedArchitectureError(arch, h.file);
  const num = (key: string, fallback?: number): number => {
    const v = m[`${arch}.${key}`];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new GGUFError('MISSING_KEY', h.file, undefined, `required metadata key ${arch}.${key} is missing`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new GGUFError('BAD_VALUE', h.file, undefined, `metadata key ${arch}.${key} must be a number, got ${String(v)}`);
    }
    return v;
  };
  const positive = (key: string, v: number): number => {
    if (!Number.isInteger(v) || v <= 0) throw new GGUFError('BAD_VALUE', h.file, undefined, `metadata key ${arch}.${key} must be a positive integer, got ${v}`);
    return v;
  };
  const dim = positive('embedding_length', num('embedding_length'));
  const nLayers = positive('block_count', num('block_count'));
  const nHeads = positive('attention.head_count', num('attention.head_count'));
  const nKVHeads = positive('attention.head_count_kv', num('attention.head_count_kv', nHeads));
  if (dim % nHeads !== 0 || nHeads % nKVHeads !== 0) {
    throw new GGUFError('BAD_VALUE', h.file, undefined, `inconsistent heads: dim ${dim}, ${nHeads} heads, ${nKVHeads} KV heads`);
  }
  const headDim = dim / nHeads;
  const embd = h.tensors.find((t) => t.name === 'token_embd.weight');
  const tokens = m['tokenizer.ggml.tokens'];
  const vocabSize = embd?.shape[1] ?? (Array.isArray(tokens) ? tokens.length : 0);
  const ropeDim = num('rope.dimension_count', headDim);
  if (ropeDim > headDim || ropeDim % 2 !== 0) throw new GGUFError('BAD_VALUE', h.file, undefined, `rope.dimension_count ${ropeDim} does not fit head size ${headDim}`);
  return {
    architecture: 'llama',
    name: typeof m['general.name'] === 'string' ? (m['general.name'] as string) : 'llama',
    vocabSize,
    dim,
    nLayers,
    nHeads,
    nKVHeads,
    headDim,
    kvDim: nKVHeads * headDim,
    ffnDim: positive('feed_forward_length', num('feed_forward_length')),
    trainContext: positive('context_length', num('context_length', 2048)),
    rmsEps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeFreqBase: num('rope.freq_base', 10000),
    ropeDim,
  };
}
