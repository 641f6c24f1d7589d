/**
 * llama.cpp as an exact oracle for architecture tests: like llamacpp.ts, but with an F32 KV cache
 * (node-llama-cpp's default F16 cache rounds K, V and, in the K·Q product, Q to half precision,
 * which would hide small differences in what the forward pass computes) and the context size
 * chosen by the caller (llama.cpp pads it to a multiple of 256; Phi-3's long/short rope factors
 * depend on it).
 */
import { llamaCppGreedyIn, llamaCppProbsIn, type OracleContextOptions } from './llamacpp.js';

export interface ExactOracleOptions {
  /** Context size (default 256, llama.cpp's minimum after padding). */
  contextSize?: number;
  threads?: number;
}

function f32Context(o: ExactOracleOptions, batchSize?: number): OracleContextOptions {
  return {
    contextSize: o.contextSize ?? 256, threads: o.threads ?? 1, ...(batchSize === undefined ? {} : { batchSize }),
    experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  };
}

/** For each position i, llama.cpp's distribution of the token after ids[0..i] (softmax of raw logits), with an F32 KV cache. */
export function llamaCppProbsF32KV(modelPath: string, ids: readonly number[], o: ExactOracleOptions = {}): Promise<Float64Array[]> {
  return llamaCppProbsIn(modelPath, ids, f32Context(o, Math.max(64, ids.length)));
}

/** Greedy ids from llama.cpp (temperature 0) with an F32 KV cache. Stops early at an end-of-generation token. */
export function llamaCppGreedyF32KV(modelPath: string, promptIds: readonly number[], n: number, o: ExactOracleOptions = {}): Promise<number[]> {
  return llamaCppGreedyIn(modelPath, promptIds, n, f32Context(o));
}
