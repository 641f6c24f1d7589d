/**
 * The architectures through the public API (loadModel → context → engine, paged KV cache, prompts
 * prefilled in chunks of 16, so sliding windows cross batch boundaries and block edges): the same
 * agreement with llama.cpp as agreement.test.ts, teacher-forced and greedy.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/index.js';
import { llamaCppGreedyF32KV, llamaCppProbsF32KV } from '../../../../testing/llamacpp-exact.js';
import { compare, softmax, testIds, tinyModel } from './harness.js';

const SHAPES = ['tiny-llama3', 'tiny-qwen2', 'tiny-qwen3', 'tiny-gemma2', 'tiny-gemma3', 'tiny-phi3'];

describe.each(SHAPES)('%s through loadModel and the engine', (shape) => {
  it('teacher-forced distributions and 32 greedy tokens agree with llama.cpp', async () => {
    const path = await tinyModel(shape, 'F32');
    const model = await loadModel(path, { threads: 1 });
    try {
      const ids = [1, ...testIds(79, model.config.vocabSize)];
      const ctx = model.createContext({ contextSize: 256, batchSize: 16, blockSize: 8, kvType: 'f32' }); // as the oracle's cache
      const ours: Float64Array[] = [];
      await ctx.evaluate(ids, { onLogits: (_pos, l) => ours.push(softmax(l)) });
      const a = compare(ours, await llamaCppProbsF32KV(path, ids));
      expect(a.positions).toBe(80);
      expect(a.top1 + a.nearTies).toBe(80);
      expect(a.maxKL).toBeLessThan(1e-3);

      const prompt = [1, ...testIds(20, model.config.vocabSize, 9)];
      const greedy: number[] = [];
      for await (const t of ctx.generate(prompt, { maxTokens: 32, temperature: 0 })) greedy.push(t.id);
      const theirs = await llamaCppGreedyF32KV(path, prompt, 32);
      expect(theirs).toHaveLength(32);
      expect(greedy).toEqual(theirs);
      ctx.dispose();
    } finally {
      model.dispose();
    }
  });
});
