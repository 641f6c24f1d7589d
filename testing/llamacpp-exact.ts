/**
 * llama.cpp as an exact oracle for architecture tests: like llamacpp.ts, but with an F32 KV cache
 * (node-llama-cpp's default F16 cache rounds K, V and, in the K·Q product, Q to half precision,
 * which would hide small differences in what the forward pass computes) and the context size
 * chosen by the caller (llama.cpp pads it to a multiple of 256; Phi-3's long/short rope factors
 * depend on it).
 */
import { getLlama, type Llama } from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;
function llama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  return llamaPromise;
}

export interface ExactOracleOptions {
  /** Context size (default 256, llama.cpp's minimum after padding). */
  contextSize?: number;
  threads?: number;
}

/** For each position i, llama.cpp's distribution of the token after ids[0..i] (softmax of raw logits), with an F32 KV cache. */
export async function llamaCppProbsF32KV(modelPath: string, ids: readonly number[], o: ExactOracleOptions = {}): Promise<Float64Array[]> {
  const l = await llama();
  const model = await l.loadModel({ modelPath });
  try {
    const ctx = await model.createContext({
      contextSize: o.contextSize ?? 256, threads: o.threads ?? 1, batchSize: Math.max(64, ids.length),
      experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
    });
    try {
      const seq = ctx.getSequence();
      const nVocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
      const input = ids.map((t) => [t, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] as never);
      const out = await seq.controlledEvaluate(input);
      return out.map((r, i) => {
        const probs = (r as { next: { probabilities?: Map<number, number> } } | undefined)?.next.probabilities;
        if (!probs) throw new Error(`node-llama-cpp returned no probabilities for position ${i}`);
        let n = nVocab; // a loop, not Math.max(...keys): spreading 150k keys overflows the stack
        for (const id of probs.keys()) if (Number(id) + 1 > n) n = Number(id) + 1;
        const p = new Float64Array(n);
        for (const [id, v] of probs) p[Number(id)] = v;
        return p;
      });
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** Greedy ids from llama.cpp (temperature 0) with an F32 KV cache. Stops early at an end-of-generation token. */
export async function llamaCppGreedyF32KV(modelPath: string, promptIds: readonly number[], n: number, o: ExactOracleOptions = {}): Promise<number[]> {
  const l = await llama();
  const model = await l.loadModel({ modelPath });
  try {
    const ctx = await model.createContext({
      contextSize: o.contextSize ?? 256, threads: o.threads ?? 1,
      experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
    });
    try {
      const seq = ctx.getSequence();
      const out: number[] = [];
      for await (const t of seq.evaluate(promptIds as never, { temperature: 0 })) {
        out.push(Number(t));
        if (out.length >= n) break;
      }
      return out;
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}
