/**
 * What makes each supported architecture different from Llama, as data: one row per architecture,
 * read by `readLlamaConfig` and `bindLlamaWeights` and, through the config, by the one forward pass.
 * Every value is a fact of llama.cpp's implementation (src/models/<arch>.cpp, src/llama-model.cpp,
 * src/llama-graph.cpp), not of the original Python models where the two differ (see phi3's window).
 */

export type RopeStyle = 'norm' | 'neox';
export type FfnActivation = 'silu' | 'gelu_tanh';

export interface ArchTraits {
  /**
   * How RoPE pairs the dimensions of a head: 'norm' rotates (x[2i], x[2i+1]) (GGUF converters
   * permute Llama's Q/K rows for it); 'neox' rotates (x[i], x[i + ropeDim/2]).
   */
  readonly rope: RopeStyle;
  /** Token embeddings are multiplied by √dim before the first layer (Gemma). */
  readonly embedScaleSqrtDim: boolean;
  /** The gated FFN's activation: silu(gate)·up (SwiGLU) or gelu_tanh(gate)·up (GeGLU). */
  readonly ffnActivation: FfnActivation;
  /** Gate and up are one `ffn_up` tensor of 2·ffn rows, gate first (Phi-3). */
  readonly fusedGateUp: boolean;
  /** RMSNorm over each head of Q and of K, before RoPE (`attn_q_norm`, `attn_k_norm`, headDim weights). */
  readonly qkNorm: boolean;
  /**
   * RMSNorm on the attention output and on the FFN output before each residual add
   * (`post_attention_norm`, `post_ffw_norm`): Gemma 2 and 3's "sandwich" norms.
   */
  readonly postNorms: boolean;
  /**
   * Bias vectors (`attn_q/k/v.bias`, `attn_qkv.bias`, `attn_output.bias`, `ffn_*.bias`) are added
   * when the file has them, as llama.cpp's shared QKV builder does for every architecture here.
   * Qwen2's converter always writes Q/K/V biases. Only tests turn this off.
   */
  readonly biases: boolean;
  /** The output projection: `output.weight`, or token_embd when absent ('own-or-tied'); always token_embd ('tied', Gemma 2). */
  readonly output: 'own-or-tied' | 'tied';
  /** Attention-logit soft-cap read from `<arch>.attn_logit_softcapping`, with this default when the key is absent; 0 = none. */
  readonly attnSoftcap: number | undefined;
  /** Final-logit soft-cap read from `<arch>.final_logit_softcapping`, with this default; 0 = none, undefined = key not read. */
  readonly finalSoftcap: number | undefined;
  /**
   * Sliding-window attention, from `<arch>.attention.sliding_window` (W) and
   * `<arch>.attention.sliding_window_pattern` (period P: of every P layers the first P−1 slide and
   * the last is global). 'ignored': llama.cpp reads the window and does not apply it (Phi-3,
   * llama.cpp PR 13676). A token at position p sees positions (p − W, p] in sliding layers.
   */
  readonly swa:
    | { readonly defaultPeriod: number; readonly defaultWindow: number | undefined }
    | 'ignored'
    | undefined;
  /**
   * RoPE base of the sliding layers when `<arch>.rope.freq_base_swa` is absent: the global base
   * ('global', Gemma 2) or llama.cpp's default 10000 (Gemma 3). Sliding layers never get the
   * global layers' rope scaling factor (llama.cpp keeps freq_scale_swa at 1).
   */
  readonly swaRopeBase: 'global' | number;
  /**
   * Query scale: 1/√headDim, except Gemma's 27B shapes, which llama.cpp recognizes by layer
   * count and scales by 1/√(dim/heads) (query_pre_attn_scalar).
   */
  readonly queryScaleByDimOverHeadsAtLayers: number | undefined;
  /**
   * Rope frequency factor tensors: 'freqs' = `rope_freqs.weight` when present (Llama 3.x), or
   * `rope_factors_long/short.weight` when rope.scaling.type is 'longrope'; 'long-short' = always
   * the long/short pair when present (Phi-3): long when the context exceeds
   * rope.scaling.original_context_length, as llama.cpp picks them.
   */
  readonly ropeFactors: 'freqs' | 'long-short' | 'none';
  /** llama.cpp refuses a Llama file whose rope.dimension_count differs from the head size. */
  readonly ropeDimMustEqualHead: boolean;
}

const LLAMA: ArchTraits = {
  rope: 'norm',
  embedScaleSqrtDim: false,
  ffnActivation: 'silu',
  fusedGateUp: false,
  qkNorm: false,
  postNorms: false,
  biases: true,
  output: 'own-or-tied',
  attnSoftcap: undefined,
  finalSoftcap: undefined,
  swa: undefined,
  swaRopeBase: 'global',
  queryScaleByDimOverHeadsAtLayers: undefined,
  ropeFactors: 'freqs',
  ropeDimMustEqualHead: true,
};

/** The trait table: everything that distinguishes an architecture, in one place. */
export const ARCHITECTURES = {
  llama: LLAMA,
  /** Qwen2 / Qwen2.5: Llama with NEOX rope and Q/K/V biases (present in the file). */
  qwen2: { ...LLAMA, rope: 'neox', ropeFactors: 'none', ropeDimMustEqualHead: false },
  /** Qwen3: NEOX rope, per-head Q/K RMSNorm; head size from attention.key_length. */
  qwen3: { ...LLAMA, rope: 'neox', qkNorm: true, ropeFactors: 'none', ropeDimMustEqualHead: false },
  /** Gemma 2: √d embeddings, GeGLU, sandwich norms, both soft-caps, alternating sliding/global layers. */
  gemma2: {
    ...LLAMA,
    rope: 'neox',
    embedScaleSqrtDim: true,
    ffnActivation: 'gelu_tanh',
    postNorms: true,
    output: 'tied',
    attnSoftcap: 50,
    finalSoftcap: 30,
    swa: { defaultPeriod: 2, defaultWindow: 4096 },
    swaRopeBase: 'global',
    queryScaleByDimOverHeadsAtLayers: 46,
    ropeFactors: 'none',
    ropeDimMustEqualHead: false,
  },
  /** Gemma 3: Gemma 2 without soft-capping (unless the file sets a final cap), plus Q/K norms, 5 sliding : 1 global, local rope base 10000. */
  gemma3: {
    ...LLAMA,
    rope: 'neox',
    embedScaleSqrtDim: true,
    ffnActivation: 'gelu_tanh',
    qkNorm: true,
    postNorms: true,
    finalSoftcap: 0,
    swa: { defaultPeriod: 6, defaultWindow: undefined },
    swaRopeBase: 10000,
    queryScaleByDimOverHeadsAtLayers: 62,
    ropeFactors: 'none',
    ropeDimMustEqualHead: false,
  },
  /** Phi-3 / Phi-3.5: fused QKV and gate+up, NEOX rope with long/short factors; its sliding window is not applied. */
  phi3: { ...LLAMA, rope: 'neox', fusedGateUp: true, swa: 'ignored', ropeFactors: 'long-short', ropeDimMustEqualHead: false },
} as const satisfies Record<string, ArchTraits>;

export type ArchName = keyof typeof ARCHITECTURES;

export const SUPPORTED_ARCHITECTURES = Object.keys(ARCHITECTURES) as readonly ArchName[];

export function isSupportedArchitecture(name: string): name is ArchName {
  return Object.prototype.hasOwnProperty.call(ARCHITECTURES, name);
}
