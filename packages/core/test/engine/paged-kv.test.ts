/** The paged KV cache wired into the forward pass: identical outputs, prefix reuse, no garbage. */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { KVCacheOutOfBlocksError } from '@legato/kvcache';
import { ReferenceBackend, type ComputeBackend, type WeightRef } from '@legato/quant';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { ContiguousKVCache, LlamaForward } from '../../src/internals.js';
import { greedy } from '../../src/sample/index.js';
import { modelPath } from '../../../../testing/models.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
const models: LlamaModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

/** Counts the token rows each matmul on layer 0's Q projection sees: the work prefill really did. */
class CountingBackend implements ComputeBackend {
  readonly name = 'counting';
  private readonly inner = new ReferenceBackend();
  rows = 0;
  matmul(w: WeightRef, x: Float32Array, n: number, out: Float32Array): void {
    if (w.name === 'blk.0.attn_q.weight') this.rows += n;
    this.inner.matmul(w, x, n, out);
  }
  attention(...args: Parameters<ComputeBackend['attention']>): void {
    this.inner.attention(...args);
  }
  swiglu(...args: Parameters<ComputeBackend['swiglu']>): void {
    this.inner.swiglu(...args);
  }
  dispose(): void {}
}

async function logitsOf(m: LlamaModel, ids: number[], opts: object): Promise<Float32Array[]> {
  const ctx = m.createContext({ contextSize: 128, ...opts });
  const out: Float32Array[] = [];
  await ctx.evaluate(ids, { onLogits: (_p, l) => out.push(l.slice()) });
  ctx.dispose();
  return out;
}

/** The oracle: the forward pass over one contiguous cache, token by token (decode) or all at once. */
function contiguousRun(m: LlamaModel, prompt: number[], n: number): { ids: number[]; logits: Float32Array[] } {
  const c = m.config;
  // The engine's default cache type (f16), so both store the same rounded rows.
  const bytes = ContiguousKVCache.bytesNeeded(c.nLayers, 128, c.kvDim, 'f16');
  const at = m.arena.alloc(bytes);
  const kv = new ContiguousKVCache(m.arena.u8(at, bytes), c.nLayers, 128, c.kvDim, 'f16');
  const fwd = new LlamaForward(c, m.weights, m.backend, m.arena, { maxBatch: 128, maxContext: 128 });
  try {
    let logits = fwd.run(prompt, prompt.length, 0, kv);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = greedy(logits);
      ids.push(id);
      logits = fwd.run([id], 1, prompt.length + i, kv);
    }
    kv.truncate(0);
    const all = [...prompt, ...ids];
    const V = c.vocabSize;
    const allLogits = fwd.run(all, all.length, 0, kv, true);
    return { ids, logits: all.map((_, i) => allLogits.slice(i * V, (i + 1) * V)) };
  } finally {
    fwd.dispose();
    m.arena.free(at);
  }
}

describe('paged attention', () => {
  for (const name of ['stories260K.gguf', 'TinyStories-656K-F16.gguf', 'TinyLLama-v0-Q4_K_M.gguf']) {
    it(`${name}: greedy ids and logits equal the contiguous cache for block sizes 8, 16, 32`, async () => {
      const m = await loadModel(modelPath(name));
      models.push(m);
      const prompt = refs[name].prompt_ids_llamacpp;
      const gen = async (opts: object) => (await m.createContext({ contextSize: 128, ...opts }).generate(prompt, { temperature: 0, maxTokens: 40, ignoreEos: true }).result()).ids;
      const { ids: contiguous, logits: refLogits } = contiguousRun(m, prompt, 40);
      const ids = [...prompt, ...contiguous];
      for (const blockSize of [8, 16, 32]) {
        expect(await gen({ blockSize })).toEqual(contiguous);
        const paged = await logitsOf(m, ids, { blockSize });
        let maxDiff = 0;
        for (let i = 0; i < ids.length; i++) for (let j = 0; j < paged[i].length; j++) maxDiff = Math.max(maxDiff, Math.abs(paged[i][j] - refLogits[i][j]));
        // Same arithmetic in the same order: equal to float precision.
        expect(maxDiff).toBeLessThan(1e-4);
      }
    });
  }

  it('a second generation sharing a prompt prefix prefills only the new tokens, with unchanged output', async () => {
    const backend = new CountingBackend();
    const m = await loadModel(modelPath('stories260K.gguf'), { backend });
    models.push(m);
    const story = m.tokenize('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.');
    const prompt2 = [...story, ...m.tokenize(' One day', { addSpecial: false })];
    const ctx = m.createContext({ contextSize: 256, blockSize: 8 });
    const first = await ctx.generate(story, { temperature: 0, maxTokens: 8 }).result();
    expect(first.cachedPromptTokens).toBe(0);
    backend.rows = 0;
    const second = await ctx.generate(prompt2, { temperature: 0, maxTokens: 8 }).result();
    const expectedCached = Math.floor((story.length) / 8) * 8;
    expect(second.cachedPromptTokens).toBe(expectedCached);
    // Prefill computed only the uncached tail, then 7 decode steps of one token.
    expect(backend.rows).toBe(prompt2.length - expectedCached + 7);
    expect(second.kvCache!.prefix.hits).toBeGreaterThanOrEqual(1);
    const fresh = m.createContext({ contextSize: 256, blockSize: 8, prefixCaching: false });
    const unshared = await fresh.generate(prompt2, { temperature: 0, maxTokens: 8 }).result();
    expect(unshared.cachedPromptTokens).toBe(0);
    expect(second.ids).toEqual(unshared.ids);
    ctx.dispose();
    fresh.dispose();
  });

  it('a request that cannot fit the KV pool even alone fails with a typed error instead of recomputing forever', async () => {
    const m = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
    models.push(m);
    const bytesPerBlock = 2 * 5 * 32 * 2 * 16; // K+V, 5 layers, kvDim 32, f16 (the default KV type), 16 slots
    const ctx = m.createContext({ contextSize: 512, blockSize: 16, kvMemoryBytes: 4 * bytesPerBlock });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, ignoreEos: true });
    const e = await gen.result().catch((x) => x);
    expect(e).toBeInstanceOf(KVCacheOutOfBlocksError);
    expect(e.requested).toBe(1);
    expect(e.free).toBe(0);
    // Nothing is lost: the blocks came back and the context still works.
    const r = await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 10 }).result();
    expect(r.ids).toEqual(refs['stories260K.gguf'].numpy_greedy_ids.slice(0, 10));
    ctx.dispose();
  });
});
