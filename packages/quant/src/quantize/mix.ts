/**
 * Which ggml type each tensor gets when a model is quantized to a target ("file type"): llama.cpp's
 * rules (llama-quant.cpp: tensor_allows_quantization, llama_tensor_get_type_impl,
 * tensor_type_fallback) for the targets Legato writes, for dense (non-MoE) models.
 *
 * In short: only 2-D+ tensors whose name ends in "weight" (norms excluded) are quantized; the
 * output matrix (or token_embd when embeddings are tied) gets Q6_K for quantized targets other
 * than Q8_0, or Q8_0 when its rows do not fit the target's blocks; the _M mixes give Q6_K to
 * attn_v and ffn_down on the layers where use_more_bits holds; a K-quant whose row length is not a
 * multiple of 256 falls back (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16 if even that does
 * not fit).
 */
import { GGMLType, TYPE_INFO, typeName } from '../types.js';

/** The targets Legato can quantize a model to (llama-quantize's names). */
export const QUANT_TARGETS = [
  'F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K',
] as const;
export type QuantTarget = (typeof QUANT_TARGETS)[number];

/** llama-quantize's aliases: a bare K type means its _M mix. */
export const QUANT_TARGET_ALIASES: Readonly<Record<string, QuantTarget>> = { Q4_K: 'Q4_K_M', Q5_K: 'Q5_K_M' };

/** llama.cpp's `general.file_type` value (enum llama_ftype) for each target. */
export const LLAMA_FTYPE: Readonly<Record<QuantTarget, number>> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9,
  Q4_K_S: 14, Q4_K_M: 15, Q5_K_S: 16, Q5_K_M: 17, Q6_K: 18, BF16: 32,
};

/** The type most weights get (llama.cpp's default_type for the ftype). */
export const TARGET_BASE_TYPE: Readonly<Record<QuantTarget, GGMLType>> = {
  F32: GGMLType.F32, F16: GGMLType.F16, BF16: GGMLType.BF16, Q8_0: GGMLType.Q8_0, Q4_0: GGMLType.Q4_0,
  Q4_1: GGMLType.Q4_1, Q5_0: GGMLType.Q5_0, Q5_1: GGMLType.Q5_1, Q4_K_S: GGMLType.Q4_K, Q4_K_M: GGMLType.Q4_K,
  Q5_K_S: GGMLType.Q5_K, Q5_K_M: GGMLType.Q5_K, Q6_K: GGMLType.Q6_K,
};

/** A target by name, case-insensitive, aliases resolved; undefined if unknown. */
export function parseQuantTarget(name: string): QuantTarget | undefined {
  const up = name.toUpperCase();
  if ((QUANT_TARGETS as readonly string[]).includes(up)) return up as QuantTarget;
  return QUANT_TARGET_ALIASES[up];
}

/** What the rules need to know about a tensor. */
export interface TensorDescriptor {
  readonly name: string;
  /** ne0 (row length) first. */
  readonly shape: readonly number[];
  /** Its current type, kept by tensors that are not quantized. */
  readonly type: GGMLType;
}

export interface MixOptions {
  /** llama-quantize --token-embedding-type: the type of token_embd.weight, no rules applied. */
  tokenEmbeddingType?: GGMLType;
  /** llama-quantize --output-tensor-type: the type of output.weight, no rules applied. */
  outputTensorType?: GGMLType;
  /** llama-quantize --pure: every quantized tensor gets the base type (fallbacks still apply). */
  pure?: boolean;
}

/** A tensor the target cannot hold (its rows do not split into whole blocks of any fallback). */
export class TensorTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TensorTypeError';
  }
}

/**
 * llama.cpp's tensor order when it writes a quantized model (llama_model_loader's weight map):
 * tensors outside layers first, then by layer number, each group sorted by name (byte order).
 */
export function compareTensorNames(a: string, b: string): number {
  const la = layerOf(a);
  const lb = layerOf(b);
  if (la !== lb) return la - lb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The N of a "blk.N." name (sscanf semantics: leading digits), or -1. */
function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

type Category = 'token_embd' | 'output' | 'attn_v' | 'attn_k' | 'attn_q' | 'attn_output' | 'ffn_up' | 'ffn_gate' | 'ffn_down' | 'other';

/** llama.cpp's tensor_get_category (attn_qkv and attn_kv_b count as attn_v). */
function categoryOf(name: string): Category {
  if (name === 'output.weight') return 'output';
  if (name === 'token_embd.weight' || name === 'per_layer_token_embd.weight') return 'token_embd';
  if (name.includes('attn_qkv.weight') || name.includes('attn_kv_b.weight') || name.includes('attn_v.weight')) return 'attn_v';
  if (name.includes('attn_k.weight')) return 'attn_k';
  if (name.includes('attn_q.weight')) return 'attn_q';
  if (name.includes('attn_output.weight')) return 'attn_output';
  if (name.includes('ffn_up')) return 'ffn_up';
  if (name.includes('ffn_gate')) return 'ffn_gate';
  if (name.includes('ffn_down')) return 'ffn_down';
  return 'other';
}

/** Name fragments of 2-D tensors llama.cpp never quantizes (the subset relevant to LLMs). */
const NEVER_QUANTIZED = [
  '_norm.weight', 'ffn_gate_inp.weight', 'ssm_conv1d', 'shortconv.conv.weight', 'attn_rel_b.weight',
  'time_mix_', 'altup', 'laurel', 'per_layer_model_proj', '.position_embd', '.rel_pos', '.patch_embd',
];

/** ggml_n_dims: trailing dimensions of 1 do not count. */
function nDims(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) if (shape[i] > 1) n = i + 1;
  return n;
}

/** llama.cpp's tensor_allows_quantization. */
export function allowsQuantization(t: TensorDescriptor): boolean {
  if (nDims(t.shape) < 2) return false;
  if (!t.name.endsWith('weight')) return false;
  if (t.name === 'position_embd.weight' || t.name === 'token_types.weight') return false;
  return !NEVER_QUANTIZED.some((s) => t.name.includes(s));
}

function isQuantized(type: GGMLType): boolean {
  return type !== GGMLType.F32 && type !== GGMLType.F16 && type !== GGMLType.BF16;
}

function blockSize(type: GGMLType): number {
  return TYPE_INFO[type].blockSize;
}

/** More bits for the first and last eighth of the layers and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  const e = Math.trunc(n / 8);
  return i < e || i >= Math.trunc((7 * n) / 8) || (i - e) % 3 === 2;
}

/** llama.cpp's tensor_type_fallback: a type whose blocks fit rows of ne0 elements. */
function fallback(name: string, ne0: number, type: GGMLType): GGMLType {
  if (ne0 % blockSize(type) === 0) return type;
  let to: GGMLType;
  switch (type) {
    // As in the llama.cpp build that made the test models (TinyLLama-v0-Q2_K.gguf has IQ4_NL);
    // later llama.cpp maps these two to Q4_0. No target here reaches them yet.
    case GGMLType.Q2_K:
    case GGMLType.Q3_K:
      to = GGMLType.IQ4_NL;
      break;
    case GGMLType.Q4_K:
      to = GGMLType.Q5_0;
      break;
    case GGMLType.Q5_K:
      to = GGMLType.Q5_1;
      break;
    case GGMLType.Q6_K:
      to = GGMLType.Q8_0;
      break;
    default:
      throw new TensorTypeError(
        `tensor ${name}: row length ${ne0} is not a multiple of ${typeName(type)}'s block size ${blockSize(type)} ` +
          `(llama.cpp defines no fallback for ${typeName(type)})`,
      );
  }
  return ne0 % blockSize(to) === 0 ? to : GGMLType.F16;
}

/**
 * The type of every tensor (in the order given) when quantizing to `target`. The layer counters
 * of the _M rules run in llama.cpp's processing order (`compareTensorNames`), so the result does
 * not depend on the order of `tensors`. Throws `TensorTypeError` for a tensor no type fits.
 */
export function chooseTensorTypes(target: QuantTarget, tensors: readonly TensorDescriptor[], options: MixOptions = {}): GGMLType[] {
  const base = TARGET_BASE_TYPE[target];
  const order = tensors.map((_, i) => i).sort((a, b) => compareTensorNames(tensors[a].name, tensors[b].name));
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  const count = { attn_v: 0, ffn_down: 0 };
  for (const t of tensors) {
    const c = categoryOf(t.name);
    if (c === 'attn_v' || c === 'ffn_down') count[c]++;
  }
  const seen = { attn_v: 0, ffn_down: 0 };
  const result: GGMLType[] = new Array(tensors.length);
  for (const i of order) {
    const t = tensors[i];
    const cat = categoryOf(t.name);
    if (!allowsQuantization(t)) {
      result[i] = t.type;
      continue;
    }
    if (cat === 'token_embd' && options.tokenEmbeddingType !== undefined) {
      result[i] = checkOverride(t, options.tokenEmbeddingType);
      continue;
    }
    if (cat === 'output' && options.outputTensorType !== undefined) {
      result[i] = checkOverride(t, options.outputTensorType);
      continue;
    }
    if (!isQuantized(base)) {
      result[i] = base;
      continue;
    }
    let type = base;
    if (!options.pure) {
      if (cat === 'output' || (!hasOutput && cat === 'token_embd')) {
        if (t.shape[0] % blockSize(base) !== 0) type = GGMLType.Q8_0;
        else if (base !== GGMLType.Q8_0) type = GGMLType.Q6_K;
      } else if (cat === 'attn_v') {
        if ((target === 'Q4_K_M' || target === 'Q5_K_M') && useMoreBits(seen.attn_v, count.attn_v)) type = GGMLType.Q6_K;
        else if (target === 'Q4_K_S' && seen.attn_v < 4) type = GGMLType.Q5_K;
        seen.attn_v++;
      } else if (cat === 'ffn_down') {
        const layer = seen.ffn_down;
        const n = count.ffn_down;
        if ((target === 'Q4_K_M' || target === 'Q5_K_M') && useMoreBits(layer, n)) type = GGMLType.Q6_K;
        else if (target === 'Q4_K_S' && layer < Math.trunc(n / 8)) type = GGMLType.Q5_K;
        seen.ffn_down++;
      }
    }
    result[i] = fallback(t.name, t.shape[0], type);
  }
  return result;
}

function checkOverride(t: TensorDescriptor, type: GGMLType): GGMLType {
  if (TYPE_INFO[type] === undefined) throw new TensorTypeError(`tensor ${t.name}: unknown ggml type ${type}`);
  if (t.shape[0] % blockSize(type) !== 0) {
    throw new TensorTypeError(
      `tensor ${t.name}: row length ${t.shape[0]} is not a multiple of ${typeName(type)}'s block size ${blockSize(type)}`,
    );
  }
  return type;
}
