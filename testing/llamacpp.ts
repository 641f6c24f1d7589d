/**
 * llama.cpp as an oracle in tests, through node-llama-cpp's prebuilt CPU binary (devDependency,
 * pinned 3.21.1): teacher-forced next-token probabilities for every position of a token sequence,
 * and greedy ids. llamacpp-exact.ts asks the same of it with an F32 KV cache.
 */
import { getLlama, type Llama, type LlamaContextOptions } from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;
function llama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  return llamaPromise;
}

/** The context options a call may set (size, threads, batch, KV cache types). */
export type OracleContextOptions = Omit<LlamaContextOptions, 'sequences'>;

/**
 * For each position i, llama.cpp's distribution of the token after ids[0..i] (softmax of raw
 * logits), in a context made with `context`.
 */
export async function llamaCppProbsIn(modelPath: string, ids: readonly number[], context: OracleContextOptions): Promise<Float64Array[]> {
  const l = await llama();
  const model = await l.loadModel({ modelPath });
  try {
    const ctx = await model.createContext(context);
    try {
      const seq = ctx.getSequence();
      const nVocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
      const input = ids.map((t) => [t, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] as never);
      const out = await seq.controlledEvaluate(input);
      return out.map((o, i) => {
        const probs = (o as { next: { probabilities?: Map<number, number> } } | undefined)?.next.probabilities;
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

/** Greedy ids from llama.cpp (temperature 0) in a context made with `context`; stops early at end-of-generation. */
export async function llamaCppGreedyIn(modelPath: string, promptIds: readonly number[], n: number, context: OracleContextOptions): Promise<number[]> {
  const l = await llama();
  const model = await l.loadModel({ modelPath });
  try {
    const ctx = await model.createContext(context);
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

/** For each position i, llama.cpp's distribution of the token after ids[0..i] (softmax of raw logits). */
export function llamaCppNextTokenProbs(modelPath: string, ids: readonly number[], threads = 1): Promise<Float64Array[]> {
  return llamaCppProbsIn(modelPath, ids, { contextSize: Math.max(64, ids.length + 1), threads, batchSize: Math.max(64, ids.length) });
}

/** Greedy ids from llama.cpp (temperature 0), for checking a model llama.cpp loads and runs. */
export function llamaCppGreedy(modelPath: string, promptIds: readonly number[], n: number): Promise<number[]> {
  return llamaCppGreedyIn(modelPath, promptIds, n, { contextSize: Math.max(64, promptIds.length + n + 1), threads: 1 });
}
