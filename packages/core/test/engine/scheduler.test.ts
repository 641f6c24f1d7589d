import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine, loadModel, type EngineStepGauges, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

const ref = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'))['stories260K.gguf'];
let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'));
});
afterAll(() => model.dispose());

const PROMPTS = ['Once upon a time', 'The cat', 'Lily wanted to play with her ball', 'One day, a big dog', 'Tom and Sue went to the park. They'];

async function alone(prompt: string, n: number): Promise<number[]> {
  const ctx = model.createContext({ contextSize: 256 });
  const r = await ctx.generate(prompt, { temperature: 0, maxTokens: n, ignoreEos: true }).result();
  ctx.dispose();
  return r.ids;
}

describe('InferenceEngine (continuous batching)', () => {
  it('concurrent requests produce exactly what each produces alone', async () => {
    const expected = await Promise.all(PROMPTS.map((p) => alone(p, 24)));
    const steps: EngineStepGauges[] = [];
    const engine = new InferenceEngine(model, { contextSize: 256, maxSequences: 3, maxBatchTokens: 16, observer: { onStep: (g) => steps.push({ ...g }) } });
    const handles = PROMPTS.map((p) => engine.submit(p, { temperature: 0, maxTokens: 24, ignoreEos: true }));
    const streamed = await Promise.all(handles.map(async (h) => {
      const ids: number[] = [];
      for await (const t of h) ids.push(t.id);
      return ids;
    }));
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(streamed).toEqual(expected);
    expect(results.map((r) => r.ids)).toEqual(expected);
    expect(results[0].ids).toEqual(ref.numpy_greedy_ids.slice(0, 24));
    // Never more than 3 running, never more than 16 tokens a step, and a queue that drained.
    expect(Math.max(...steps.map((s) => s.running))).toBe(3);
    expect(Math.max(...steps.map((s) => s.stepTokens))).toBeLessThanOrEqual(16);
    expect(Math.max(...steps.map((s) => s.waiting))).toBeGreaterThan(0);
    expect(steps[steps.length - 1].waiting).toBe(0);
    // Batched steps: some step carried tokens of several sequences.
    expect(steps.some((s) => s.running >= 2 && s.stepTokens >= 2)).toBe(true);
    engine.dispose();
  });

  it('preempts by recompute when KV blocks run out, without changing any output', async () => {
    const expected = await Promise.all(PROMPTS.map((p) => alone(p, 40)));
    const bytesPerBlock = 2 * 5 * 32 * 2 * 8; // K+V, 5 layers, kvDim 32, f16 (the default KV type), 8 slots
    // 12 blocks of 8 = 96 slots for 5 requests of ~50 tokens each: they cannot all fit.
    const engine = new InferenceEngine(model, { contextSize: 256, maxSequences: 5, maxBatchTokens: 32, blockSize: 8, kvMemoryBytes: 12 * bytesPerBlock });
    const results = await Promise.all(PROMPTS.map((p) => engine.submit(p, { temperature: 0, maxTokens: 40, ignoreEos: true }).result()));
    expect(results.map((r) => r.ids)).toEqual(expected);
    expect(results.reduce((a, r) => a + r.preemptions, 0)).toBeGreaterThan(0);
    expect(engine.kvStats().blocksUsed).toBe(0);
    engine.dispose();
  });

  it('reuses a shared prompt prefix across requests', async () => {
    const engine = new InferenceEngine(model, { contextSize: 256, blockSize: 8 });
    const system = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';
    const first = await engine.submit(system + ' One day', { temperature: 0, maxTokens: 4 }).result();
    const second = await engine.submit(system + ' The sun', { temperature: 0, maxTokens: 4 }).result();
    expect(first.cachedPromptTokens).toBe(0);
    expect(second.cachedPromptTokens).toBeGreaterThanOrEqual(16);
    expect(second.ids).toEqual(await alone(system + ' The sun', 4));
    engine.dispose();
  });

  it('honours abort signals and reports every lifecycle event', async () => {
    const events: string[] = [];
    const engine = new InferenceEngine(model, {
      contextSize: 256,
      observer: {
        onRequestArrival: (id) => events.push(`arrive ${id}`),
        onAdmission: (id) => events.push(`admit ${id}`),
        onFinish: (id, _t, reason) => events.push(`finish ${id} ${reason}`),
      },
    });
    const ac = new AbortController();
    const h = engine.submit('Once upon a time', { temperature: 0, maxTokens: 100, signal: ac.signal, ignoreEos: true });
    let n = 0;
    for await (const _t of h) if (++n === 3) ac.abort();
    const r = await h.result();
    expect(r.finishReason).toBe('abort');
    expect(r.ids.length).toBeLessThan(10);
    expect(events).toEqual(['arrive 1', 'admit 1', 'finish 1 abort']);
    expect(() => engine.submit('x'.repeat(5000))).toThrow(/does not fit the context/);
    engine.dispose();
    expect(() => engine.submit('x')).toThrow(/disposed/);
  });
});

describe('InferenceEngine failures', () => {
  it('an error inside a step fails every open request instead of crashing the process', async () => {
    const boom = new Error('kernel trap');
    let calls = 0;
    const failing = await loadModel(modelPath('stories260K.gguf'), {
      backend: {
        name: 'failing',
        matmul: (w, x, n, out) => {
          if (++calls > 40) throw boom;
          model.backend.matmul(w, x, n, out);
        },
        attention: (...args) => model.backend.attention(...args),
        swiglu: (...args) => model.backend.swiglu(...args),
        dispose: () => undefined,
      },
    });
    const engine = new InferenceEngine(failing, { contextSize: 128 });
    const a = engine.submit('Once upon a time', { temperature: 0, maxTokens: 50 });
    const b = engine.submit('The cat', { temperature: 0, maxTokens: 50 });
    await expect(a.result()).rejects.toBe(boom);
    await expect(b.result()).rejects.toBe(boom);
    await expect((async () => { for await (const _t of a); })()).rejects.toBe(boom);
    await engine.idle();
    expect(engine.kvStats().blocksUsed).toBe(0);
    engine.dispose();
    failing.dispose();
  });
});
