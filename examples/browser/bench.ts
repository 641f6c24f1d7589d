/**
 * One benchmark pass, the same code on Node and in the browser worker: prefill a prompt of
 * `promptTokens` fixed token ids, then decode `genTokens` greedily (EOS ignored), as llama-bench's
 * pp/tg tests do; returns Legato's own timings of that generation.
 */
import type { LlamaModel } from '@legato/core';

export interface BenchResult {
  backend: string;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export async function benchOnce(model: LlamaModel, promptTokens: number, genTokens: number): Promise<BenchResult> {
  const vocab = model.config.vocabSize;
  const ids = Array.from({ length: promptTokens }, (_, i) => 1 + ((i * 7919) % (vocab - 1)));
  const ctx = model.createContext({ contextSize: promptTokens + genTokens + 16 });
  try {
    const r = await ctx.generate(ids, { maxTokens: genTokens, temperature: 0, ignoreEos: true }).result();
    return {
      backend: model.backend.name,
      prefillTokensPerSecond: r.timings.prefillTokensPerSecond,
      decodeTokensPerSecond: r.timings.decodeTokensPerSecond,
    };
  } finally {
    ctx.dispose();
  }
}
