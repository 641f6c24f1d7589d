import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextOverflowError, DisposedError, InvalidOptionError, loadModel, type LlamaModel } from '../../src/index.js';
import { greedy } from '../../src/sample/index.js';
import { modelPath } from '../../../../testing/models.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
const ref = refs['stories260K.gguf'];
let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
});
afterAll(() => model.dispose());

describe('generate', () => {
  it('streams {id, text, index, time} and returns ids, text and timings', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 16 });
    const seen: { id: number; text: string; index: number; time: number }[] = [];
    for await (const t of gen) seen.push(t);
    const r = await gen.result();
    expect(seen.map((t) => t.id)).toEqual(ref.numpy_greedy_ids.slice(0, 16));
    expect(seen.map((t) => t.index)).toEqual([...Array(16).keys()]);
    for (let i = 1; i < seen.length; i++) expect(seen[i].time).toBeGreaterThanOrEqual(seen[i - 1].time);
    expect(seen.map((t) => t.text).join('')).toBe(r.text);
    expect(ref.numpy_greedy_text.startsWith(r.text)).toBe(true);
    expect(r.finishReason).toBe('length');
    expect(r.timings.ttftMs).toBeGreaterThan(0);
    expect(r.timings.ttftMs).toBeCloseTo(seen[0].time - r.timings.start, 6);
    expect(r.timings.itlMs).toHaveLength(15);
    expect(r.timings.itlMs[3]).toBeCloseTo(seen[4].time - seen[3].time, 6);
    expect(r.timings.decodeTokensPerSecond).toBeGreaterThan(0);
    ctx.dispose();
  });

  it('stops at a stop string, which is not part of the text', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const r = await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 32, stop: ['Lily'] }).result();
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(', there was a little girl named ');
    ctx.dispose();
  });

  it('same seed, same sample; different seeds differ', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const run = async (seed: number) => (await ctx.generate('Once upon a time', { temperature: 1.2, topK: 0, topP: 1, minP: 0, seed, maxTokens: 24 }).result()).ids;
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
    ctx.dispose();
  });

  it('refuses a prompt longer than the context before doing any work', () => {
    const ctx = model.createContext({ contextSize: 16 });
    expect(() => ctx.generate('Once upon a time '.repeat(10))).toThrow(ContextOverflowError);
    expect(() => ctx.generate([1, 2, 99999])).toThrow(InvalidOptionError);
    expect(() => ctx.generate([1, 2, 99999])).toThrow(/prompt must be token ids in \[0, 512\), got 99999/);
    ctx.dispose();
  });

  it('stops at the context size with finish reason "context"', async () => {
    const ctx = model.createContext({ contextSize: 12 });
    const r = await ctx.generate('Once upon a time', { temperature: 0, ignoreEos: true }).result();
    expect(r.ids).toHaveLength(12 - r.promptIds.length);
    expect(r.finishReason).toBe('context');
    ctx.dispose();
  });

  it('honours an AbortSignal between tokens', async () => {
    const ctx = model.createContext({ contextSize: 256 });
    const ac = new AbortController();
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, signal: ac.signal });
    let n = 0;
    for await (const _t of gen) if (++n === 5) ac.abort();
    const r = await gen.result();
    expect(r.finishReason).toBe('abort');
    expect(r.ids).toHaveLength(5);
    ctx.dispose();
  });

  it('honours an AbortSignal inside a long prefill (between micro-batches)', async () => {
    const ctx = model.createContext({ contextSize: 2048, batchSize: 8 });
    const ac = new AbortController();
    const long = Array.from({ length: 1500 }, (_, i) => 300 + (i % 100));
    const gen = ctx.generate([1, ...long], { temperature: 0, maxTokens: 4, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const t0 = performance.now();
    const aborted = await gen.result();
    expect(aborted.finishReason).toBe('abort');
    expect(aborted.ids).toEqual([]);
    // The whole prefill would take far longer than the abort latency allows.
    expect(performance.now() - t0).toBeLessThan(2000);
    // The context is usable again afterwards.
    const r = await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 3 }).result();
    expect(r.ids).toEqual(ref.numpy_greedy_ids.slice(0, 3));
    ctx.dispose();
  });

  it('dispose returns every byte of the context to the arena; disposed objects refuse work', async () => {
    const m = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
    const before = m.arena.liveBytes;
    const ctx = m.createContext({ contextSize: 512 });
    expect(m.arena.liveBytes).toBeGreaterThan(before);
    await ctx.evaluate([1, 403], { onLogits: () => undefined }); // allocates the all-logits buffer too
    ctx.dispose();
    expect(m.arena.liveBytes).toBe(before);
    expect(() => ctx.generate('x')).toThrow(DisposedError);
    const ctx2 = m.createContext();
    m.dispose();
    expect(() => ctx2.generate('x')).toThrow(DisposedError);
    expect(() => m.createContext()).toThrow(DisposedError);
  });
});
