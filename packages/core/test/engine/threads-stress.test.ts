/**
 * Continuous batching on the WASM backend with 2 threads, stressed: steps mix prefill chunks and
 * decode tokens of several sequences in batches of every size (partial 4-token activation panels,
 * row splits across threads, attention over paged blocks), and each request must still produce
 * exactly the ids it produces alone on one thread. (NaN logits once appeared in a lab run at
 * steps of ≥ 8 tokens on 2 threads; this is the test that would catch them.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceEngine, loadModel, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

const PROMPTS = [
  'Once upon a time',
  'The little dog ran to the park and saw a big red ball under the tree. He',
  'Lily',
  'One day, Tom and his mom went to the store to buy some apples. They',
  'The sun was shining and the birds were singing. A girl named Sue',
  'Max had a toy car.',
  'Anna and Ben liked to play in the garden every morning before school, and one day they found',
];
const models: LlamaModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

for (const name of ['TinyLLama-v0-Q4_0.gguf', 'TinyLLama-v0-Q4_K_M.gguf']) {
  describe(`${name}, 2 threads, continuous batching`, () => {
    it('every request equals its 1-thread solo run for batch budgets 5, 9 and 32', async () => {
      const one = await loadModel(modelPath(name), { backend: 'wasm', threads: 1 });
      const two = await loadModel(modelPath(name), { backend: 'wasm', threads: 2 });
      models.push(one, two);
      const solo: number[][] = [];
      for (const p of PROMPTS) {
        const ctx = one.createContext({ contextSize: 256 });
        solo.push((await ctx.generate(p, { temperature: 0, maxTokens: 20, ignoreEos: true }).result()).ids);
        ctx.dispose();
      }
      for (const maxBatchTokens of [5, 9, 32]) {
        const engine = new InferenceEngine(two, { contextSize: 256, maxSequences: 5, maxBatchTokens, blockSize: 8 });
        const results = await Promise.all(PROMPTS.map((p) => engine.submit(p, { temperature: 0, maxTokens: 20, ignoreEos: true }).result()));
        engine.dispose();
        expect(results.map((r) => r.ids), `maxBatchTokens ${maxBatchTokens}`).toEqual(solo);
      }
    });
  });
}
