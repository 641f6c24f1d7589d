/**
 * The hybrid KV allocator (issue 10): Gemma's sliding-window layers live in a pool of their own
 * that releases the blocks fallen out of the window. A long generation holds at most
 * ceil(W / blockSize) + 1 window blocks per sequence, and every logit is bit-for-bit what the
 * single pool (the hybrid switched off) computes; aborts and preemptions leak nothing in either pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine, loadModel, type EngineOptions, type Generation, type LlamaModel } from '../../src/index.js';
import { windowBlocksPerSequence } from '../../src/model/hybrid-kv-cache.js';
import { testIds, tinyModel } from './harness.js';

const BLOCK = 8;

/** The generation's ids, text and every streamed token's logprob and top alternatives. */
async function stream(g: Generation): Promise<{ ids: number[]; text: string; logprobs: unknown[] }> {
  const logprobs: unknown[] = [];
  for await (const t of g) logprobs.push([t.logprob, t.topLogprobs]);
  const r = await g.result();
  return { ids: r.ids, text: r.text, logprobs };
}
const CONTEXT = 256;

describe.each(['tiny-gemma2', 'tiny-gemma3'])('%s with a sliding-window pool', (shape) => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await loadModel(await tinyModel(shape, 'F32'), { threads: 1 });
  });
  afterAll(() => model.dispose());

  const engine = (o: EngineOptions = {}): InferenceEngine =>
    new InferenceEngine(model, { contextSize: CONTEXT, blockSize: BLOCK, maxBatchTokens: 16, maxSequences: 4, ...o });

  it('teacher-forced logits over 200 positions equal the single pool bit for bit', async () => {
    const W = model.config.slidingWindow;
    expect(W).toBe(16);
    const ids = [1, ...testIds(199, model.config.vocabSize, 3)];
    const run = async (e: InferenceEngine): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      await e.evaluate(ids, (_p, l) => out.push(l.slice()));
      e.dispose();
      return out;
    };
    const hybrid = engine();
    expect(hybrid.swaPool).toBeDefined();
    const single = engine({ slidingWindowPool: false });
    expect(single.swaPool).toBeUndefined();
    const a = await run(hybrid);
    const b = await run(single);
    expect(a).toHaveLength(200);
    for (let p = 0; p < 200; p++) expect(a[p]).toEqual(b[p]);
  });

  it('a 200-token generation holds at most ceil(W/blockSize)+1 window blocks, with the same ids and logprobs', async () => {
    const W = model.config.slidingWindow;
    const bound = Math.ceil(W / BLOCK) + 1;
    const prompt = [1, ...testIds(24, model.config.vocabSize, 11)];
    const opts = { maxTokens: 200, temperature: 0, ignoreEos: true, logprobs: 2 } as const;

    let maxWindow = 0;
    let maxGlobal = 0;
    let decodeSteps = 0;
    const hybrid: InferenceEngine = engine({
      observer: {
        onStep: () => {
          const held = hybrid.swaPool!.stats().blocksUsed;
          maxGlobal = Math.max(maxGlobal, hybrid.pool.stats().blocksUsed);
          if (hybrid.runningCount === 0) return; // the request just finished
          // Past the prompt, every step is one decode token: the window holds W positions at most.
          if (++decodeSteps > 2) maxWindow = Math.max(maxWindow, held);
        },
      },
    });
    const r = await stream(hybrid.submit(prompt, opts));
    expect(r.ids).toHaveLength(200);
    expect(maxWindow).toBeGreaterThan(0);
    expect(maxWindow).toBeLessThanOrEqual(bound);
    // The global layers keep every position: the whole sequence's blocks.
    expect(maxGlobal).toBe(Math.ceil((prompt.length + 199) / BLOCK));
    for (const p of [hybrid.pool, hybrid.swaPool!]) {
      const audit = p.audit();
      expect(audit.liveSequences).toBe(0);
      expect(audit.blocksLeaked).toBe(0);
      expect(audit.invariantViolation).toBeUndefined();
    }
    hybrid.dispose();

    let maxSingle = 0;
    const single: InferenceEngine = engine({
      slidingWindowPool: false,
      observer: { onStep: () => (maxSingle = Math.max(maxSingle, single.pool.stats().blocksUsed)) },
    });
    const s = await stream(single.submit(prompt, opts));
    single.dispose();
    expect(maxSingle).toBe(maxGlobal);
    expect(r.ids).toEqual(s.ids);
    expect(r.text).toBe(s.text);
    // Log-probabilities of the raw logits: equal at every step means equal logits.
    expect(r.logprobs).toEqual(s.logprobs);
    expect((r.logprobs[199] as [number, unknown[]])[1]).toHaveLength(2);
  });

  it('prefix caching reuses what both pools still hold, and the reuse changes no token', async () => {
    const e = engine();
    const short = [1, ...testIds(12, model.config.vocabSize, 5)]; // one prefill chunk
    const long = [1, ...testIds(60, model.config.vocabSize, 6)]; // four chunks: W is 16
    const opts = { maxTokens: 24, temperature: 0, ignoreEos: true } as const;
    const first = await e.submit(short, opts).result();
    const again = await e.submit(short, opts).result();
    // The short prompt was committed before any of its blocks left the window: its whole chain is cached.
    expect(again.cachedPromptTokens).toBe(8);
    expect(again.ids).toEqual(first.ids);
    const firstLong = await e.submit(long, opts).result();
    const againLong = await e.submit(long, opts).result();
    // Its first window blocks were released during its prefill, before the prompt was done: they
    // were hashed as they left, so both pools still chain the whole prompt (but its last token).
    expect(e.swaPool!.matchPrefix(long).tokens).toBe(56);
    expect(againLong.cachedPromptTokens).toBe(56);
    // What the window pool no longer holds is not reused, whatever the global pool holds.
    e.swaPool!.evictCached();
    expect(e.pool.matchPrefix(long).tokens).toBe(56);
    const evicted = await e.submit(long, opts).result();
    expect(evicted.cachedPromptTokens).toBe(0);
    expect(evicted.ids).toEqual(firstLong.ids);
    expect(againLong.ids).toEqual(firstLong.ids);
    const cold = engine({ prefixCaching: false });
    expect((await cold.submit(long, opts).result()).ids).toEqual(firstLong.ids);
    cold.dispose();
    for (const p of [e.pool, e.swaPool!]) {
      const audit = p.audit();
      expect(audit.liveSequences).toBe(0);
      expect(audit.blocksLeaked).toBe(0);
      expect(audit.invariantViolation).toBeUndefined();
    }
    e.dispose();
  });

  it('aborted and preempted requests leave both pools clean', async () => {
    // A budget of 1.5 full-context sequences (both groups): about two of the four running
    // sequences of ~180 tokens fit, so the scheduler must preempt.
    const c = model.config;
    const nWindow = c.swaLayers.reduce((a, x) => a + x, 0);
    const rowBytes = 2 * c.kvDim * 2 * BLOCK; // f16, the default KV type
    const perSequence = (CONTEXT / BLOCK) * (c.nLayers - nWindow) * rowBytes + windowBlocksPerSequence(c.slidingWindow, 16, BLOCK, CONTEXT) * nWindow * rowBytes;
    const e = engine({ kvMemoryBytes: Math.floor(1.5 * perSequence) });
    const gens = [0, 1, 2, 3, 4, 5].map((i) => {
      const ac = new AbortController();
      const g = e.submit([1, ...testIds(20 + 3 * i, model.config.vocabSize, 20 + i)], {
        maxTokens: 140, temperature: 0, ignoreEos: true, signal: ac.signal,
      });
      return { g, ac, i };
    });
    // Abort one while queued, one mid-generation, one right away.
    gens[5].ac.abort();
    let n = 0;
    const midway = (async () => {
      for await (const _t of gens[1].g) if (++n === 30) gens[1].ac.abort();
    })();
    setTimeout(() => gens[4].ac.abort(), 50);
    const results = await Promise.all(gens.map(({ g }) => g.result()));
    await midway;
    await e.idle();
    expect(results[5].finishReason).toBe('abort');
    expect(results[1].finishReason).toBe('abort');
    expect(results[0].finishReason).toBe('length');
    expect(results.reduce((a, r) => a + r.preemptions, 0)).toBeGreaterThan(0);
    for (const p of [e.pool, e.swaPool!]) {
      const audit = p.audit();
      expect(audit.liveSequences).toBe(0);
      expect(audit.blocksHeld).toBe(0);
      expect(audit.blocksLeaked).toBe(0);
      expect(audit.invariantViolation).toBeUndefined();
    }
    e.dispose();
  });
});
