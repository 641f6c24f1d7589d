/**
 * Synthesizes a GGUF of any supported architecture with random weights in a real model's shape,
 * with a tokenizer, that llama.cpp loads and runs: the project's benchmark, demo and test models.
 */
import { chooseTensorTypes, GGMLType, LLAMA_FTYPE, parseQuantTarget, QuantizePool, rowBytes } from '@legato/quant';
import { GGUFValueType } from '../gguf/value-types.js';
import { gv, writeGGUF, type GGUFWriteTensor } from '../gguf/write.js';
import type { TypedValue } from '../gguf/value-types.js';
import { join } from 'node:path';
import { readGGUFHeader } from '../gguf/header.js';
import { DEFAULT_INIT, type ArchShape, type VocabSource, type WeightInit } from './arch-shapes.js';
import type { ModelShape } from './shapes.js';
import { synthesizeVocab } from './vocab.js';

/**
 * Weight types `synthesize` can write: llama-quantize's targets. The mixes (K_S, K_M; Q4_K and
 * Q5_K are aliases of their _M mix, as in llama-quantize) follow llama.cpp's per-tensor rules;
 * the plain types put every matrix in that type, falling back where rows do not fit its blocks.
 */
export const SYNTH_TYPES = [
  'F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q4_K_S', 'Q4_K_M', 'Q5_K', 'Q5_K_S', 'Q5_K_M', 'Q6_K',
] as const;
export type SynthType = (typeof SYNTH_TYPES)[number];

export interface SynthesizeOptions {
  /** A Llama shape (shapes.ts) or a shape of any supported architecture (arch-shapes.ts). */
  shape: ModelShape | ArchShape;
  type: SynthType;
  seed?: number;
  /**
   * Threads that quantize the weights; default one per core. The file does not depend on it:
   * random values are drawn in order on the calling thread and every row is quantized on its own.
   */
  threads?: number;
  /** Folder holding the vocab GGUFs an ArchShape may name (the shared models' `vocab/`). */
  vocabDir?: string;
  /**
   * A chat template to carry as `tokenizer.chat_template` (e.g. the real Qwen2.5 template), so
   * chat on a synthesized file renders exactly as on the real model's file.
   */
  chatTemplate?: string;
  /** Called after each tensor is written. */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/** A fast seeded generator (mulberry32) — weights only need to be deterministic, not cryptographic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Llama shapes of shapes.ts as architecture shapes: synthetic SPM vocabulary, own output, default init. */
function asArchShape(s: ModelShape | ArchShape): ArchShape {
  if ('arch' in s) return s;
  return { ...s, arch: 'llama', vocab: { synth: s.vocabSize }, tied: false };
}

/** Tokenizer metadata: copied from a vocab GGUF, or Legato's synthetic SentencePiece vocabulary. */
function tokenizerMetadata(v: VocabSource, vocabDir: string | undefined): { meta: [string, TypedValue][]; size: number } {
  if ('synth' in v) {
    const vocab = synthesizeVocab(v.synth);
    return {
      size: v.synth,
      meta: [
        ['tokenizer.ggml.model', gv.str('llama')],
        ['tokenizer.ggml.pre', gv.str('default')],
        ['tokenizer.ggml.tokens', gv.arr(GGUFValueType.STRING, vocab.tokens)],
        ['tokenizer.ggml.scores', gv.arr(GGUFValueType.FLOAT32, vocab.scores)],
        ['tokenizer.ggml.token_type', gv.arr(GGUFValueType.INT32, vocab.types)],
        ['tokenizer.ggml.bos_token_id', gv.u32(1)],
        ['tokenizer.ggml.eos_token_id', gv.u32(2)],
        ['tokenizer.ggml.unknown_token_id', gv.u32(0)],
        ['tokenizer.ggml.add_bos_token', gv.bool(true)],
        ['tokenizer.ggml.add_eos_token', gv.bool(false)],
      ],
    };
  }
  if (!vocabDir) throw new RangeError(`this shape takes its tokenizer from ${v.file}: pass vocabDir (the shared models' vocab/ folder)`);
  const h = readGGUFHeader(join(vocabDir, v.file));
  const meta = [...h.typedMetadata].filter(([k]) => k.startsWith('tokenizer.'));
  const tokens = h.metadata['tokenizer.ggml.tokens'];
  if (!Array.isArray(tokens)) throw new RangeError(`${v.file} has no tokenizer.ggml.tokens`);
  return { meta, size: tokens.length };
}

/** Llama 3's rope_freqs (convert_hf_to_gguf.py's llama3 rule): 1 for short wavelengths, `factor` for long, smooth between. */
function llama3RopeFactors(headDim: number, base: number, r: NonNullable<ArchShape['llama3RopeScaling']>): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWavelen = r.originalContext / r.lowFreqFactor;
  const highWavelen = r.originalContext / r.highFreqFactor;
  for (let i = 0; i < out.length; i++) {
    const wavelen = 2 * Math.PI * Math.pow(base, (2 * i) / headDim);
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = r.factor;
    else {
      const smooth = (r.originalContext / wavelen - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / r.factor + smooth);
    }
  }
  return out;
}

export async function synthesizeModel(path: string, o: SynthesizeOptions): Promise<void> {
  const s = asArchShape(o.shape);
  if (!(SYNTH_TYPES as readonly string[]).includes(o.type)) {
    throw new RangeError(`cannot synthesize type ${o.type} (supported: ${SYNTH_TYPES.join(', ')})`);
  }
  const target = parseQuantTarget(o.type)!;
  const init: WeightInit = { ...DEFAULT_INIT, ...s.init };
  const headDim = s.headDim ?? s.dim / s.nHeads;
  const qDim = s.nHeads * headDim;
  const kvDim = s.nKVHeads * headDim;
  const tok = tokenizerMetadata(s.vocab, o.vocabDir);
  const vocabSize = tok.size;
  const arch = s.arch;
  const meta: [string, TypedValue][] = [
    ['general.architecture', gv.str(arch)],
    ['general.name', gv.str(`legato-synth-${s.name}`)],
    ['general.file_type', gv.u32(LLAMA_FTYPE[target])],
    ['general.quantization_version', gv.u32(2)],
    [`${arch}.vocab_size`, gv.u32(vocabSize)],
    [`${arch}.context_length`, gv.u32(s.contextLength)],
    [`${arch}.embedding_length`, gv.u32(s.dim)],
    [`${arch}.block_count`, gv.u32(s.nLayers)],
    [`${arch}.feed_forward_length`, gv.u32(s.ffnDim)],
    [`${arch}.rope.dimension_count`, gv.u32(headDim)],
    [`${arch}.attention.head_count`, gv.u32(s.nHeads)],
    [`${arch}.attention.head_count_kv`, gv.u32(s.nKVHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gv.f32(s.rmsEps)],
    [`${arch}.rope.freq_base`, gv.f32(s.ropeFreqBase)],
  ];
  const opt = (key: string, v: TypedValue | undefined): void => {
    if (v) meta.push([`${arch}.${key}`, v]);
  };
  if (s.headDim !== undefined) {
    opt('attention.key_length', gv.u32(headDim));
    opt('attention.value_length', gv.u32(headDim));
  }
  if (s.slidingWindow !== undefined) opt('attention.sliding_window', gv.u32(s.slidingWindow));
  if (s.slidingWindowPattern !== undefined) opt('attention.sliding_window_pattern', gv.u32(s.slidingWindowPattern));
  if (s.ropeFreqBaseSwa !== undefined) opt('rope.freq_base_swa', gv.f32(s.ropeFreqBaseSwa));
  if (s.attnSoftcap !== undefined) opt('attn_logit_softcapping', gv.f32(s.attnSoftcap));
  if (s.finalSoftcap !== undefined) opt('final_logit_softcapping', gv.f32(s.finalSoftcap));
  if (s.ropeScalingFactor !== undefined) {
    opt('rope.scaling.type', gv.str('linear'));
    opt('rope.scaling.factor', gv.f32(s.ropeScalingFactor));
  }
  if (s.longRope) {
    opt('rope.scaling.attn_factor', gv.f32(s.longRope.attnFactor));
    opt('rope.scaling.original_context_length', gv.u32(s.longRope.originalContext));
  }
  meta.push(...tok.meta.filter(([k]) => o.chatTemplate === undefined || k !== 'tokenizer.chat_template'));
  if (o.chatTemplate !== undefined) meta.push(['tokenizer.chat_template', gv.str(o.chatTemplate)]);

  const tensors: GGUFWriteTensor[] = [];
  const pool = new QuantizePool({ threads: o.threads });
  const seedBase = (o.seed ?? 42) >>> 0;
  let tensorIndex = 0;
  const nextSeed = (): number => (seedBase * 2654435761 + ++tensorIndex * 40503) >>> 0;
  const matrix = (name: string, cols: number, rows: number, std = init.matStd): void => {
    const seed = nextSeed();
    // The type is filled in below, once the whole tensor list is known to the mix rules.
    const t: GGUFWriteTensor = { name, type: GGMLType.F32, shape: [cols, rows], data: () => randomMatrix(pool, t.type, rows, cols, seed, std) };
    tensors.push(t);
  };
  const f32 = (name: string, f: Float32Array): void => {
    tensors.push({ name, type: GGMLType.F32, shape: [f.length], data: new Uint8Array(f.buffer) });
  };
  const uniform = (name: string, n: number, lo: number, hi: number): void => {
    if (lo === hi) return f32(name, new Float32Array(n).fill(lo));
    const next = rng(nextSeed());
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = lo + (hi - lo) * next();
    f32(name, f);
  };
  const norm = (name: string, n: number): void => uniform(name, n, init.normMin, init.normMax);
  const bias = (name: string, n: number): void => uniform(name, n, -init.biasStd * Math.sqrt(3), init.biasStd * Math.sqrt(3));
  matrix('token_embd.weight', s.dim, vocabSize, init.embStd);
  norm('output_norm.weight', s.dim);
  if (!s.tied) matrix('output.weight', s.dim, vocabSize, init.outStd);
  if (s.llama3RopeScaling) f32('rope_freqs.weight', llama3RopeFactors(headDim, s.ropeFreqBase, s.llama3RopeScaling));
  if (s.longRope) {
    uniform('rope_factors_long.weight', headDim / 2, init.ropeFactorMin, init.ropeFactorMax);
    uniform('rope_factors_short.weight', headDim / 2, 1, 1 + (init.ropeFactorMax - init.ropeFactorMin) / 8);
  }
  const gemma = arch === 'gemma2' || arch === 'gemma3';
  for (let i = 0; i < s.nLayers; i++) {
    const p = `blk.${i}.`;
    norm(`${p}attn_norm.weight`, s.dim);
    if (s.fusedQkv) matrix(`${p}attn_qkv.weight`, s.dim, qDim + 2 * kvDim);
    else {
      matrix(`${p}attn_q.weight`, s.dim, qDim);
      matrix(`${p}attn_k.weight`, s.dim, kvDim);
      matrix(`${p}attn_v.weight`, s.dim, kvDim);
    }
    if (s.qkvBias) {
      bias(`${p}attn_q.bias`, qDim);
      bias(`${p}attn_k.bias`, kvDim);
      bias(`${p}attn_v.bias`, kvDim);
    }
    if (arch === 'qwen3' || arch === 'gemma3') {
      norm(`${p}attn_q_norm.weight`, headDim);
      norm(`${p}attn_k_norm.weight`, headDim);
    }
    matrix(`${p}attn_output.weight`, qDim, s.dim);
    if (gemma) norm(`${p}post_attention_norm.weight`, s.dim);
    norm(`${p}ffn_norm.weight`, s.dim);
    if (arch === 'phi3') {
      matrix(`${p}ffn_down.weight`, s.ffnDim, s.dim);
      matrix(`${p}ffn_up.weight`, s.dim, 2 * s.ffnDim);
    } else {
      matrix(`${p}ffn_gate.weight`, s.dim, s.ffnDim);
      matrix(`${p}ffn_down.weight`, s.ffnDim, s.dim);
      matrix(`${p}ffn_up.weight`, s.dim, s.ffnDim);
    }
    if (gemma) norm(`${p}post_ffw_norm.weight`, s.dim);
  }
  const mixed = target.includes('_K_');
  const types = chooseTensorTypes(target, tensors.map((t) => ({ name: t.name, shape: t.shape, type: GGMLType.F32 })), { pure: !mixed });
  tensors.forEach((t, i) => (t.type = types[i]));
  let done = 0;
  const total = tensors.length;
  const wrapped = tensors.map((t) => ({
    ...t,
    data: async () => {
      const d = typeof t.data === 'function' ? await t.data() : t.data;
      o.onProgress?.(++done, total, t.name);
      return d;
    },
  }));
  try {
    pool.warmUp();
    await writeGGUF(path, { metadata: meta, tensors: wrapped });
  } finally {
    await pool.destroy();
  }
}

/**
 * Uniform weights with standard deviation `std`, quantized into `type` on the pool (K-quant rows
 * cost ~0.4 µs per element, so a 1.1B model's quantization is minutes on one thread).
 */
async function randomMatrix(pool: QuantizePool, type: GGMLType, rows: number, cols: number, seed: number, std: number): Promise<Uint8Array> {
  const next = rng(seed);
  const a = std * Math.sqrt(3);
  const shared = pool.threads > 1;
  const src = new Float32Array(shared ? new SharedArrayBuffer(rows * cols * 4) : new ArrayBuffer(rows * cols * 4));
  for (let i = 0; i < src.length; i++) src[i] = (next() * 2 - 1) * a;
  const bytes = rowBytes(type, cols) * rows;
  const dst = new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  await pool.convert({ src: new Uint8Array(src.buffer), srcType: GGMLType.F32, dst, dstType: type, rows, cols });
  return dst;
}
