/**
 * Binds the GGUF tensors of a model to the shapes its config demands. Which tensors exist follows
 * the architecture's traits and, for the optional ones (biases, fused QKV, rope factors), the file.
 */
import { GGMLType, isSupportedType, SUPPORTED_WEIGHT_TYPES, typeName, type WeightRef } from '@legato/quant';
import { GGUFError } from '../gguf/errors.js';
import type { GGUFFile, GGUFTensor } from '../gguf/load.js';
import type { LlamaConfig } from './config.js';

export interface LayerWeights {
  readonly attnNorm: Float32Array;
  /** Separate Q, K, V projections; absent when the file has one fused `attn_qkv` (then `wqkv`). */
  readonly wq?: WeightRef;
  readonly wk?: WeightRef;
  readonly wv?: WeightRef;
  /** Fused [qDim + 2·kvDim] projection, Q rows first, then K, then V. */
  readonly wqkv?: WeightRef;
  readonly bq?: Float32Array;
  readonly bk?: Float32Array;
  readonly bv?: Float32Array;
  readonly bqkv?: Float32Array;
  /** Per-head RMSNorm weights of Q and K (headDim each). */
  readonly qNorm?: Float32Array;
  readonly kNorm?: Float32Array;
  readonly wo: WeightRef;
  readonly bo?: Float32Array;
  readonly attnPostNorm?: Float32Array;
  readonly ffnNorm: Float32Array;
  /** Absent when gate and up are fused into `wUp` (2·ffnDim rows, gate first). */
  readonly wGate?: WeightRef;
  readonly wUp: WeightRef;
  readonly wDown: WeightRef;
  readonly bGate?: Float32Array;
  readonly bUp?: Float32Array;
  readonly bDown?: Float32Array;
  readonly ffnPostNorm?: Float32Array;
}

export interface LlamaWeights {
  /** [vocab rows of dim]: rows are dequantized one token at a time. */
  readonly tokenEmbd: WeightRef;
  readonly layers: readonly LayerWeights[];
  readonly outputNorm: Float32Array;
  /** The output projection; token_embd itself when the model ties them. */
  readonly output: WeightRef;
  readonly outputBias?: Float32Array;
  readonly tiedOutput: boolean;
  /** Llama 3.x `rope_freqs.weight`: θ_i is divided by factor i (ropeDim/2 values). */
  readonly ropeFreqs?: Float32Array;
  /** Phi-3 `rope_factors_long/short.weight`: the same, chosen by context length. */
  readonly ropeLong?: Float32Array;
  readonly ropeShort?: Float32Array;
}

export function bindLlamaWeights(f: GGUFFile, c: LlamaConfig): LlamaWeights {
  const file = f.header.file;
  const t = c.traits;
  const matrix = (name: string, cols: number, rows: number): WeightRef => {
    const tensor = f.tensor(name);
    checkShape(file, tensor, [cols, rows]);
    if (!isSupportedType(tensor.type)) {
      throw new GGUFError('UNSUPPORTED_TENSOR_TYPE', file, tensor.infoOffset,
        `tensor ${name} has type ${typeName(tensor.type)}, which Legato cannot compute with (supported: ${SUPPORTED_WEIGHT_TYPES.map(typeName).join(', ')})`);
    }
    return { name, type: tensor.type, rows, cols, data: tensor.data };
  };
  const vector = (name: string, n: number): Float32Array => {
    const tensor = f.tensor(name);
    checkShape(file, tensor, [n]);
    if (tensor.type !== GGMLType.F32) {
      throw new GGUFError('UNSUPPORTED_TENSOR_TYPE', file, tensor.infoOffset, `norm/bias tensor ${name} must be F32, got ${typeName(tensor.type)}`);
    }
    return new Float32Array(tensor.data.buffer, tensor.data.byteOffset, n);
  };
  const has = (name: string): boolean => f.tensors.has(name);
  const optVector = (name: string, n: number): Float32Array | undefined => (has(name) ? vector(name, n) : undefined);
  const bias = (name: string, n: number): Float32Array | undefined => (t.biases ? optVector(name, n) : undefined);
  const { dim, qDim, kvDim, ffnDim, headDim } = c;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `blk.${i}.`;
    const fused = has(`${p}attn_qkv.weight`);
    layers.push({
      attnNorm: vector(`${p}attn_norm.weight`, dim),
      ...(fused
        ? { wqkv: matrix(`${p}attn_qkv.weight`, dim, qDim + 2 * kvDim), bqkv: bias(`${p}attn_qkv.bias`, qDim + 2 * kvDim) }
        : {
            wq: matrix(`${p}attn_q.weight`, dim, qDim),
            wk: matrix(`${p}attn_k.weight`, dim, kvDim),
            wv: matrix(`${p}attn_v.weight`, dim, kvDim),
            bq: bias(`${p}attn_q.bias`, qDim),
            bk: bias(`${p}attn_k.bias`, kvDim),
            bv: bias(`${p}attn_v.bias`, kvDim),
          }),
      qNorm: t.qkNorm ? vector(`${p}attn_q_norm.weight`, headDim) : undefined,
      kNorm: t.qkNorm ? vector(`${p}attn_k_norm.weight`, headDim) : undefined,
      wo: matrix(`${p}attn_output.weight`, qDim, dim),
      bo: bias(`${p}attn_output.bias`, dim),
      attnPostNorm: t.postNorms ? vector(`${p}post_attention_norm.weight`, dim) : undefined,
      ffnNorm: vector(`${p}ffn_norm.weight`, dim),
      wGate: t.fusedGateUp ? undefined : matrix(`${p}ffn_gate.weight`, dim, ffnDim),
      wUp: matrix(`${p}ffn_up.weight`, dim, t.fusedGateUp ? 2 * ffnDim : ffnDim),
      wDown: matrix(`${p}ffn_down.weight`, ffnDim, dim),
      bGate: t.fusedGateUp ? undefined : bias(`${p}ffn_gate.bias`, ffnDim),
      bUp: t.fusedGateUp ? undefined : bias(`${p}ffn_up.bias`, ffnDim),
      bDown: t.fusedGateUp ? undefined : bias(`${p}ffn_down.bias`, dim),
      ffnPostNorm: t.postNorms ? vector(`${p}post_ffw_norm.weight`, dim) : undefined,
    });
  }
  const tokenEmbd = matrix('token_embd.weight', dim, c.vocabSize);
  const tied = t.output === 'tied' || !has('output.weight');
  const half = c.ropeDim / 2;
  const longShort = t.ropeFactors === 'long-short' || (t.ropeFactors === 'freqs' && c.ropeScalingType === 'longrope');
  return {
    tokenEmbd,
    layers,
    outputNorm: vector('output_norm.weight', dim),
    output: tied ? tokenEmbd : matrix('output.weight', dim, c.vocabSize),
    outputBias: t.output === 'tied' ? undefined : bias('output.bias', c.vocabSize),
    tiedOutput: tied,
    ropeFreqs: t.ropeFactors === 'freqs' && !longShort ? optVector('rope_freqs.weight', half) : undefined,
    ropeLong: longShort ? optVector('rope_factors_long.weight', half) : undefined,
    ropeShort: longShort ? optVector('rope_factors_short.weight', half) : undefined,
  };
}

function checkShape(file: string, t: GGUFTensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GGUFError('BAD_VALUE', file, t.infoOffset, `tensor ${t.name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from the metadata`);
  }
}
