/**
 * Teacher-forced comparison with llama.cpp itself (node-llama-cpp's prebuilt binary): the same
 * token sequence through both, next-token distributions compared at every position.
 * llama.cpp quantizes activations to 8 bits inside quantized matmuls, so quantized models get a
 * looser bound than float ones.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';
import { llamaCppNextTokenProbs } from '../../../../testing/llamacpp.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8')) as Record<string, { prompt_ids_llamacpp: number[]; numpy_greedy_ids: number[] }>;
const FLOAT = new Set(['stories260K.gguf', 'TinyStories-656K-F32.gguf', 'TinyStories-656K-F16.gguf', 'TinyStories-656K-BF16.gguf']);

const models: LlamaModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

async function ourProbs(m: LlamaModel, ids: number[]): Promise<Float64Array[]> {
  const ctx = m.createContext({ contextSize: 128 });
  const out: Float64Array[] = [];
  await ctx.evaluate(ids, {
    onLogits: (_pos, l) => {
      let max = -Infinity;
      for (const v of l) max = Math.max(max, v);
      const p = new Float64Array(l.length);
      let s = 0;
      for (let i = 0; i < l.length; i++) s += p[i] = Math.exp(l[i] - max);
      for (let i = 0; i < l.length; i++) p[i] /= s;
      out.push(p);
    },
  });
  ctx.dispose();
  return out;
}

const argmax = (p: Float64Array): number => p.reduce((b, v, i) => (v > p[b] ? i : b), 0);

describe('teacher-forced against llama.cpp (node-llama-cpp 3.21.1)', () => {
  for (const name of Object.keys(refs)) {
    it(name, async () => {
      const ids = [...refs[name].prompt_ids_llamacpp, ...refs[name].numpy_greedy_ids];
      const m = await loadModel(modelPath(name));
      models.push(m);
      const ours = await ourProbs(m, ids);
      const theirs = await llamaCppNextTokenProbs(modelPath(name), ids);
      expect(theirs).toHaveLength(ids.length);
      let agree = 0;
      let maxDiff = 0;
      let kl = 0;
      for (let i = 0; i < ids.length; i++) {
        const a = ours[i], b = theirs[i];
        if (argmax(a) === argmax(b)) agree++;
        for (let j = 0; j < a.length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
          if (b[j] > 1e-12 && a[j] > 1e-12) kl += b[j] * Math.log(b[j] / a[j]);
        }
      }
      kl /= ids.length;
      const float = FLOAT.has(name);
      // Float models: the same arithmetic up to rounding. Quantized: llama.cpp's 8-bit activations.
      expect(agree / ids.length).toBeGreaterThanOrEqual(float ? 1 : 0.9);
      expect(maxDiff).toBeLessThan(float ? 0.01 : 0.1);
      expect(kl).toBeLessThan(float ? 1e-3 : 0.02);
    });
  }
});
