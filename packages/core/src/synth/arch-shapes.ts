/**
 * Shapes of real models of every supported architecture, and tiny variants whose random weights
 * are drawn so the features that set the architecture apart actually change the output (biases and
 * norm weights far from 0 and 1, peaked distributions, soft-caps that bind, windows shorter than a
 * test's context, rope factors far from 1). Hyperparameters are those of the models' config.json
 * as llama.cpp's converter writes them.
 */
import type { ArchName } from '../model/architectures.js';

/** Where a synthesized model's tokenizer comes from. */
export type VocabSource =
  /** A vocab-only GGUF in the shared vocab folder (real Llama 3, Qwen2, Phi-3 vocabularies). */
  | { readonly file: 'ggml-vocab-llama-bpe.gguf' | 'ggml-vocab-qwen2.gguf' | 'ggml-vocab-phi-3.gguf' }
  /** Legato's synthetic SentencePiece vocabulary of this size (a stand-in, e.g. for Gemma's 256k). */
  | { readonly synth: number };

/** How random weights are drawn; the defaults are those of the llama shapes (std 0.02, norms 1, no biases). */
export interface WeightInit {
  readonly embStd: number;
  readonly outStd: number;
  readonly matStd: number;
  /** Norm weights are uniform in [normMin, normMax]. */
  readonly normMin: number;
  readonly normMax: number;
  /** Std of bias vectors (Q/K/V biases where the architecture has them). */
  readonly biasStd: number;
  /** Rope factor tensors are uniform in [min, max] (long) and a narrower range (short). */
  readonly ropeFactorMin: number;
  readonly ropeFactorMax: number;
}

export interface ArchShape {
  readonly name: string;
  readonly arch: ArchName;
  readonly dim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  /** attention.key_length when it is not dim / nHeads. */
  readonly headDim?: number;
  readonly ffnDim: number;
  readonly contextLength: number;
  readonly rmsEps: number;
  readonly ropeFreqBase: number;
  readonly vocab: VocabSource;
  /** No output.weight: the output projection is token_embd. */
  readonly tied: boolean;
  /** Q/K/V biases (Qwen2). */
  readonly qkvBias?: boolean;
  /** One attn_qkv tensor (Phi-3). */
  readonly fusedQkv?: boolean;
  readonly slidingWindow?: number;
  readonly slidingWindowPattern?: number;
  readonly ropeFreqBaseSwa?: number;
  readonly attnSoftcap?: number;
  readonly finalSoftcap?: number;
  /** Linear rope scaling factor (rope.scaling.factor). */
  readonly ropeScalingFactor?: number;
  /** Llama 3.x: write rope_freqs.weight, the llama3 scaling (factor, low, high, original context). */
  readonly llama3RopeScaling?: { readonly factor: number; readonly lowFreqFactor: number; readonly highFreqFactor: number; readonly originalContext: number };
  /** Phi-3: write rope_factors_long/short and rope.scaling.{attn_factor, original_context_length}. */
  readonly longRope?: { readonly originalContext: number; readonly attnFactor: number };
  readonly init?: Partial<WeightInit>;
}

export const DEFAULT_INIT: WeightInit = { embStd: 0.02, outStd: 0.02, matStd: 0.02, normMin: 1, normMax: 1, biasStd: 0.02, ropeFactorMin: 1, ropeFactorMax: 8 };

/**
 * Tiny-model weights: embeddings of std 1 and an output std giving logits of std ~3.5 (peaked:
 * entropy around 1–2 nats over 512 tokens), norm weights in [0.3, 2.5], biases of std 0.5,
 * projections large enough that attention is sharp (scaled scores of a few units) and soft-caps bind.
 */
const TINY_INIT: Partial<WeightInit> = { embStd: 1, outStd: 0.3, matStd: 0.15, normMin: 0.3, normMax: 2.5, biasStd: 0.5, ropeFactorMin: 1, ropeFactorMax: 8 };
const TINY = { dim: 64, nHeads: 4, nKVHeads: 2, ffnDim: 128, contextLength: 512, rmsEps: 1e-6, vocab: { synth: 512 }, init: TINY_INIT } as const;

export const ARCH_SHAPES: Readonly<Record<string, ArchShape>> = {
  'qwen2.5-0.5b': {
    name: 'qwen2.5-0.5b', arch: 'qwen2', dim: 896, nLayers: 24, nHeads: 14, nKVHeads: 2, ffnDim: 4864, contextLength: 32768,
    rmsEps: 1e-6, ropeFreqBase: 1000000, vocab: { file: 'ggml-vocab-qwen2.gguf' }, tied: true, qkvBias: true,
  },
  'qwen3-0.6b': {
    name: 'qwen3-0.6b', arch: 'qwen3', dim: 1024, nLayers: 28, nHeads: 16, nKVHeads: 8, headDim: 128, ffnDim: 3072, contextLength: 40960,
    rmsEps: 1e-6, ropeFreqBase: 1000000, vocab: { file: 'ggml-vocab-qwen2.gguf' }, tied: true,
  },
  'llama-3.2-1b': {
    name: 'llama-3.2-1b', arch: 'llama', dim: 2048, nLayers: 16, nHeads: 32, nKVHeads: 8, ffnDim: 8192, contextLength: 131072,
    rmsEps: 1e-5, ropeFreqBase: 500000, vocab: { file: 'ggml-vocab-llama-bpe.gguf' }, tied: true,
    llama3RopeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 },
  },
  'gemma-2-2b': {
    name: 'gemma-2-2b', arch: 'gemma2', dim: 2304, nLayers: 26, nHeads: 8, nKVHeads: 4, headDim: 256, ffnDim: 9216, contextLength: 8192,
    rmsEps: 1e-6, ropeFreqBase: 10000, vocab: { synth: 256000 }, tied: true, slidingWindow: 4096, attnSoftcap: 50, finalSoftcap: 30,
  },
  'gemma-3-1b': {
    name: 'gemma-3-1b', arch: 'gemma3', dim: 1152, nLayers: 26, nHeads: 4, nKVHeads: 1, headDim: 256, ffnDim: 6912, contextLength: 32768,
    rmsEps: 1e-6, ropeFreqBase: 1000000, vocab: { synth: 262144 }, tied: true, slidingWindow: 512, slidingWindowPattern: 6, ropeFreqBaseSwa: 10000,
  },
  'phi-3.5-mini': {
    name: 'phi-3.5-mini', arch: 'phi3', dim: 3072, nLayers: 32, nHeads: 32, nKVHeads: 32, ffnDim: 8192, contextLength: 131072,
    rmsEps: 1e-5, ropeFreqBase: 10000, vocab: { file: 'ggml-vocab-phi-3.gguf' }, tied: false, fusedQkv: true, slidingWindow: 262144,
    longRope: { originalContext: 4096, attnFactor: 1.1902380714238083 },
  },

  // Tiny variants for tests: every feature of the architecture switched on and made to matter.
  'tiny-llama3': {
    ...TINY, name: 'tiny-llama3', arch: 'llama', nLayers: 2, ropeFreqBase: 10000, tied: true,
    llama3RopeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 64 },
  },
  'tiny-qwen2': { ...TINY, name: 'tiny-qwen2', arch: 'qwen2', nLayers: 2, ropeFreqBase: 10000, tied: true, qkvBias: true },
  'tiny-qwen3': { ...TINY, name: 'tiny-qwen3', arch: 'qwen3', nLayers: 2, headDim: 32, ropeFreqBase: 10000, tied: true },
  'tiny-gemma2': {
    ...TINY, name: 'tiny-gemma2', arch: 'gemma2', nLayers: 4, headDim: 32, ropeFreqBase: 10000, tied: true,
    slidingWindow: 16, attnSoftcap: 2.5, finalSoftcap: 15,
    // Embeddings are multiplied by √dim = 8 and tied to the output: a smaller std keeps logits peaked, not one-hot.
    init: { ...TINY_INIT, embStd: 0.35 },
  },
  'tiny-gemma3': {
    ...TINY, name: 'tiny-gemma3', arch: 'gemma3', nLayers: 6, headDim: 32, ropeFreqBase: 1000000, tied: true,
    slidingWindow: 16, ropeScalingFactor: 8,
    init: { ...TINY_INIT, embStd: 0.35 },
  },
  // Qwen2.5's architecture with the real Qwen2 vocabulary (151,646 tokens, <|im_start|>/<|im_end|>
  // as special tokens): the smallest file on which chat behaves as on a real Qwen2.5 file.
  'tiny-qwen2.5-chat': {
    ...TINY, name: 'tiny-qwen2.5-chat', arch: 'qwen2', nLayers: 2, ropeFreqBase: 1000000, tied: true, qkvBias: true,
    vocab: { file: 'ggml-vocab-qwen2.gguf' }, init: { ...TINY_INIT, outStd: 0.6 },
  },
  // The real Phi-3 vocabulary: llama.cpp requires <|endoftext|> in any file whose name says phi3.
  'tiny-phi3': {
    ...TINY, name: 'tiny-phi3', arch: 'phi3', nLayers: 2, nKVHeads: 4, ropeFreqBase: 10000, tied: false, fusedQkv: true, slidingWindow: 16,
    vocab: { file: 'ggml-vocab-phi-3.gguf' },
    // 32064 tokens: a larger output std keeps the distributions as peaked as the 512-token models'.
    init: { ...TINY_INIT, outStd: 0.6 },
    longRope: { originalContext: 64, attnFactor: 1.3 },
  },
};

/** The preset names for `legato synth --arch <arch> --shape <preset>`. */
export function archShapesOf(arch: string): string[] {
  return Object.values(ARCH_SHAPES).filter((s) => s.arch === arch).map((s) => s.name);
}
