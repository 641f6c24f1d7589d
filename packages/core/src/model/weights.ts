/** Binds the GGUF tensors of a Llama model to the shapes its config demands. */
import { GGMLType, isSupportedType, SUPPORTED_WEIGHT_TYPES, typeName, type WeightRef } from '@legato/quant';
import { GGUFError } from '../gguf/errors.js';
import type { GGUFFile, GGUFTensor } from '../gguf/load.js';
import type { LlamaConfig } from './config.js';

export interface LayerWeights {
  readonly attnNorm: Float32Array;
  readonly wq: WeightRef;
  readonly wk: WeightRef;
  readonly wv: WeightRef;
  readonly wo: WeightRef;
  readonly ffnNorm: Float32Array;
  readonly wGate: WeightRef;
  readonly wUp: WeightRef;
  readonly wDown: WeightRef;
}

export interface LlamaWeights {
  /** [vocab rows of dim]: rows are dequantized one token at a time. */
  readonly tokenEmbd: WeightRef;
  readonly layers: readonly LayerWeights[];
  readonly outputNorm: Float32Array;
  /** The output projection; token_embd itself when the model ties them. */
  readonly output: WeightRef;
  readonly tiedOutput: boolean;
}

export function bindLlamaWeights(f: GGUFFile, c: LlamaConfig): LlamaWeights {
  const file = f.header.file;
  const matrix = (name: string, cols: number, rows: number): WeightRef => {
    const t = f.tensor(name);
    checkShape(file, t, [cols, rows]);
    if (!isSupportedType(t.type)) {
      throw new GGUFError('UNSUPPORTED_TENSOR_TYPE', file, t.infoOffset,
        `tensor ${name} has type ${typeName(t.type)}, which Legato cannot compute with (supported: ${SUPPORTED_WEIGHT_TYPES.map(typeName).join(', ')})`);
    }
    return { name, type: t.type, rows, cols, data: t.data };
  };
  const vector = (name: string, n: number): Float32Array => {
    const t = f.tensor(name);
    checkShape(file, t, [n]);
    if (t.type !== GGMLType.F32) {
      throw new GGUFError('UNSUPPORTED_TENSOR_TYPE', file, t.infoOffset, `norm tensor ${name} must be F32, got ${typeName(t.type)}`);
    }
    return new Float32Array(t.data.buffer, t.data.byteOffset, n);
  };
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `blk.${i}.`;
    layers.push({
      attnNorm: vector(`${p}attn_norm.weight`, c.dim),
      wq: matrix(`${p}attn_q.weight`, c.dim, c.dim),
      wk: matrix(`${p}attn_k.weight`, c.dim, c.kvDim),
      wv: matrix(`${p}attn_v.weight`, c.dim, c.kvDim),
      wo: matrix(`${p}attn_output.weight`, c.dim, c.dim),
      ffnNorm: vector(`${p}ffn_norm.weight`, c.dim),
      wGate: matrix(`${p}ffn_gate.weight`, c.dim, c.ffnDim),
      wUp: matrix(`${p}ffn_up.weight`, c.dim, c.ffnDim),
      wDown: matrix(`${p}ffn_down.weight`, c.ffnDim, c.dim),
    });
  }
  const tokenEmbd = matrix('token_embd.weight', c.dim, c.vocabSize);
  const tied = !f.tensors.has('output.weight');
  return {
    tokenEmbd,
    layers,
    outputNorm: vector('output_norm.weight', c.dim),
    output: tied ? tokenEmbd : matrix('output.weight', c.dim, c.vocabSize),
    tiedOutput: tied,
  };
}

function checkShape(file: string, t: GGUFTensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GGUFError('BAD_VALUE', file, t.infoOffset, `tensor ${t.name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from the metadata`);
  }
}
