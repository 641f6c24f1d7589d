/**
 * Acceptance against the shared references (reference-greedy.json): greedy ids from an f32 NumPy
 * reference, its first-step top-5 logits, and llama.cpp's prompt tokenization.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

interface Ref {
  prompt: string;
  prompt_ids_llamacpp: number[];
  numpy_greedy_ids: number[];
  numpy_first_step_top5: [number, number][];
  bos_only_numpy_greedy_ids?: number[];
}
const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8')) as Record<string, Ref>;
const FLOAT_MODELS = ['stories260K.gguf', 'TinyStories-656K-F32.gguf', 'TinyStories-656K-F16.gguf', 'TinyStories-656K-BF16.gguf'];
const QUANT_MODELS = Object.keys(refs).filter((k) => !FLOAT_MODELS.includes(k));

const loaded: LlamaModel[] = [];
/** The f32 reference is matched by the plain-TypeScript backend, which computes in f32 too. */
async function open(name: string): Promise<LlamaModel> {
  const m = await loadModel(modelPath(name), { backend: 'reference' });
  loaded.push(m);
  return m;
}
afterAll(() => loaded.forEach((m) => m.dispose()));

async function greedy(m: LlamaModel, prompt: number[], n: number): Promise<number[]> {
  const ctx = m.createContext({ contextSize: 256 });
  const r = await ctx.generate(prompt, { temperature: 0, maxTokens: n, ignoreEos: true }).result();
  ctx.dispose();
  return r.ids;
}

async function lastLogits(m: LlamaModel, ids: number[]): Promise<Float32Array> {
  const ctx = m.createContext({ contextSize: 256 });
  let last = new Float32Array(0);
  await ctx.evaluate(ids, { onLogits: (pos, l) => { if (pos === ids.length - 1) last = l.slice(); } });
  ctx.dispose();
  return last;
}

function top(logits: Float32Array, k: number): [number, number][] {
  return [...logits].map((v, i) => [i, v] as [number, number]).sort((a, b) => b[1] - a[1]).slice(0, k);
}

describe('greedy decoding against the f32 reference', () => {
  it('stories260K: 60 greedy tokens from BOS alone', async () => {
    const m = await open('stories260K.gguf');
    const ref = refs['stories260K.gguf'].bos_only_numpy_greedy_ids!;
    expect(ref).toHaveLength(60);
    expect(await greedy(m, [1], 60)).toEqual(ref);
  });

  for (const name of FLOAT_MODELS) {
    it(`${name}: prompt tokenizes like llama.cpp and 32 greedy tokens equal the reference`, async () => {
      const m = await open(name);
      const ref = refs[name];
      const ids = m.tokenize(ref.prompt);
      expect(ids).toEqual(ref.prompt_ids_llamacpp);
      expect(await greedy(m, ids, 32)).toEqual(ref.numpy_greedy_ids);
    });
  }

  for (const name of QUANT_MODELS) {
    it(`${name}: first-step top-5 ids equal the reference, logits within 1% of the logit range`, async () => {
      const m = await open(name);
      const ref = refs[name];
      expect(m.tokenize(ref.prompt)).toEqual(ref.prompt_ids_llamacpp);
      const logits = await lastLogits(m, ref.prompt_ids_llamacpp);
      let lo = Infinity, hi = -Infinity;
      for (const v of logits) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const got = top(logits, 5);
      expect(got.map((g) => g[0])).toEqual(ref.numpy_first_step_top5.map((r) => r[0]));
      for (let i = 0; i < 5; i++) expect(Math.abs(got[i][1] - ref.numpy_first_step_top5[i][1])).toBeLessThan(0.01 * (hi - lo));
    });
  }
});
