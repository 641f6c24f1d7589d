/**
 * The WASM SIMD backend on whole models: float weights keep f32 activations, so greedy output
 * equals the f32 reference; quantized weights use llama.cpp's 8-bit activations, so they are held
 * to the reference path within a tolerance; and thread count never changes a result.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { SHAPES, synthesizeModel } from '../../src/synth/index.js';
import { modelPath } from '../../../../testing/models.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
const FLOAT = ['stories260K.gguf', 'TinyStories-656K-F32.gguf', 'TinyStories-656K-F16.gguf', 'TinyStories-656K-BF16.gguf'];
const QUANT = Object.keys(refs).filter((k) => !FLOAT.includes(k));
const models: LlamaModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

async function open(path: string, opts: object): Promise<LlamaModel> {
  const m = await loadModel(path, opts);
  models.push(m);
  return m;
}

async function greedy(m: LlamaModel, prompt: number[], n: number): Promise<number[]> {
  const ctx = m.createContext({ contextSize: 256 });
  const r = await ctx.generate(prompt, { temperature: 0, maxTokens: n, ignoreEos: true }).result();
  ctx.dispose();
  return r.ids;
}

async function allLogits(m: LlamaModel, ids: number[]): Promise<Float32Array[]> {
  const ctx = m.createContext({ contextSize: 256 });
  const out: Float32Array[] = [];
  await ctx.evaluate(ids, { onLogits: (_p, l) => out.push(l.slice()) });
  ctx.dispose();
  return out;
}

describe('WASM backend, whole models', () => {
  for (const name of FLOAT) {
    it(`${name}: greedy output equals the f32 reference`, async () => {
      const m = await open(modelPath(name), { backend: 'wasm', threads: 2 });
      expect(m.backend.name).toMatch(/wasm/i);
      expect(await greedy(m, refs[name].prompt_ids_llamacpp, 32)).toEqual(refs[name].numpy_greedy_ids);
    });
  }

  for (const name of QUANT) {
    it(`${name}: teacher-forced top-1 agrees with the f32 reference path, logits close`, async () => {
      const ids = [...refs[name].prompt_ids_llamacpp, ...refs[name].numpy_greedy_ids];
      const fast = await allLogits(await open(modelPath(name), { backend: 'wasm', threads: 1 }), ids);
      const ref = await allLogits(await open(modelPath(name), { backend: 'reference' }), ids);
      let agree = 0;
      let worst = 0;
      for (let i = 0; i < ids.length; i++) {
        const a = fast[i], b = ref[i];
        let ia = 0, ib = 0, lo = Infinity, hi = -Infinity, d = 0;
        for (let j = 0; j < a.length; j++) {
          if (a[j] > a[ia]) ia = j;
          if (b[j] > b[ib]) ib = j;
          lo = Math.min(lo, b[j]);
          hi = Math.max(hi, b[j]);
          d = Math.max(d, Math.abs(a[j] - b[j]));
        }
        if (ia === ib) agree++;
        worst = Math.max(worst, d / (hi - lo));
      }
      // 8-bit activations move logits by a few percent of their range at most.
      expect(agree / ids.length).toBeGreaterThanOrEqual(0.9);
      expect(worst).toBeLessThan(0.05);
    });
  }

  it('1 and 2 threads give identical greedy ids (rows split, each computed identically)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'legato-wasm-')), 'tiny15m-q4_0.gguf');
    await synthesizeModel(file, { shape: SHAPES['tiny-15m'], type: 'Q4_0', seed: 9 });
    const prompt = [1, 400, 500, 600, 700, 800, 900, 1000];
    const one = await open(file, { backend: 'wasm', threads: 1 });
    const two = await open(file, { backend: 'wasm', threads: 2 });
    const a = await greedy(one, prompt, 24);
    const b = await greedy(two, prompt, 24);
    expect(a).toHaveLength(24);
    expect(b).toEqual(a);
    const la = await allLogits(one, prompt);
    const lb = await allLogits(two, prompt);
    for (let i = 0; i < prompt.length; i++) expect(Buffer.from(lb[i].buffer).equals(Buffer.from(la[i].buffer))).toBe(true);
  });
});
