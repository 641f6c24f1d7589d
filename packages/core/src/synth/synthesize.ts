/**
 * Synthesizes a Llama-architecture GGUF with random weights in a real model's shape, with a
 * tokenizer, that llama.cpp loads and runs: the project's own benchmark and demo models.
 */
import { chooseTensorTypes, GGMLType, LLAMA_FTYPE, parseQuantTarget, QuantizePool, rowBytes } from '@legato/quant';
import { GGUFValueType } from '../gguf/value-types.js';
import { gv, writeGGUF, type GGUFWriteTensor } from '../gguf/write.js';
import type { TypedValue } from '../gguf/value-types.js';
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
  shape: ModelShape;
  type: SynthType;
  seed?: number;
  /**
   * Threads that quantize the weights; default one per core. The file does not depend on it:
   * random values are drawn in order on the calling thread and every row is quantized on its own.
   */
  threads?: number;
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

export async function synthesizeModel(path: string, o: SynthesizeOptions): Promise<void> {
  const { shape: s } = o;
  if (!(SYNTH_TYPES as readonly string[]).includes(o.type)) {
    throw new RangeError(`cannot synthesize type ${o.type} (supported: ${SYNTH_TYPES.join(', ')})`);
  }
  const target = parseQuantTarget(o.type)!;
  const headDim = s.dim / s.nHeads;
  const kvDim = s.nKVHeads * headDim;
  const vocab = synthesizeVocab(s.vocabSize);
  const arch = 'llama';
  const meta: [string, TypedValue][] = [
    ['general.architecture', gv.str(arch)],
    ['general.name', gv.str(`legato-synth-${s.name}`)],
    ['general.file_type', gv.u32(LLAMA_FTYPE[target])],
    ['general.quantization_version', gv.u32(2)],
    [`${arch}.vocab_size`, gv.u32(s.vocabSize)],
    [`${arch}.context_length`, gv.u32(s.contextLength)],
    [`${arch}.embedding_length`, gv.u32(s.dim)],
    [`${arch}.block_count`, gv.u32(s.nLayers)],
    [`${arch}.feed_forward_length`, gv.u32(s.ffnDim)],
    [`${arch}.rope.dimension_count`, gv.u32(headDim)],
    [`${arch}.attention.head_count`, gv.u32(s.nHeads)],
    [`${arch}.attention.head_count_kv`, gv.u32(s.nKVHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gv.f32(s.rmsEps)],
    [`${arch}.rope.freq_base`, gv.f32(s.ropeFreqBase)],
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
  ];

  const tensors: GGUFWriteTensor[] = [];
  const pool = new QuantizePool({ threads: o.threads });
  const seedBase = (o.seed ?? 42) >>> 0;
  let tensorIndex = 0;
  const matrix = (name: string, cols: number, rows: number): void => {
    const seed = (seedBase * 2654435761 + ++tensorIndex * 40503) >>> 0;
    // The type is filled in below, once the whole tensor list is known to the mix rules.
    const t: GGUFWriteTensor = { name, type: GGMLType.F32, shape: [cols, rows], data: () => randomMatrix(pool, t.type, rows, cols, seed, 0.02) };
    tensors.push(t);
  };
  const ones = (name: string, n: number): void => {
    const f = new Float32Array(n).fill(1);
    tensors.push({ name, type: GGMLType.F32, shape: [n], data: new Uint8Array(f.buffer) });
  };
  matrix('token_embd.weight', s.dim, s.vocabSize);
  ones('output_norm.weight', s.dim);
  matrix('output.weight', s.dim, s.vocabSize);
  for (let i = 0; i < s.nLayers; i++) {
    const p = `blk.${i}.`;
    ones(`${p}attn_norm.weight`, s.dim);
    matrix(`${p}attn_q.weight`, s.dim, s.dim);
    matrix(`${p}attn_k.weight`, s.dim, kvDim);
    matrix(`${p}attn_v.weight`, s.dim, kvDim);
    matrix(`${p}attn_output.weight`, s.dim, s.dim);
    ones(`${p}ffn_norm.weight`, s.dim);
    matrix(`${p}ffn_gate.weight`, s.dim, s.ffnDim);
    matrix(`${p}ffn_down.weight`, s.ffnDim, s.dim);
    matrix(`${p}ffn_up.weight`, s.dim, s.ffnDim);
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
