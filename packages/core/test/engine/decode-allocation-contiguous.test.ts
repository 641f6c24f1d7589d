/**
 * The decode loop allocates nothing: thousands of steps after warm-up, with no V8 collection and
 * almost no young-generation growth. Each layout in a file of its own (its own process): after a call site has seen another
 * KV-cache class, or tests exercising other paths, V8 may run a helper unoptimized for a while,
 * and unoptimized code boxes every non-integer number — garbage that is not the loop's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { greedy } from '../../src/sample/index.js';
import { LlamaForward } from '../../src/model/forward.js';
import { ContiguousKVCache } from '../../src/model/kv-cache.js';
import { modelPath } from '../../../../testing/models.js';
import { measureAllocation } from '../../../../testing/allocation.js';

let model: LlamaModel;
let m: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
  m = model;
});
afterAll(() => model.dispose());

describe('the decode loop', () => {
  it('(contiguous cache) allocates nothing: thousands of steps trigger no V8 garbage collection', async () => {
    const c = model.config;
    const arena = model.arena;
    const fwd = new LlamaForward(c, model.weights, model.backend, arena, { maxBatch: 1, maxContext: 1024 });
    const kv = arena.allocF32(ContiguousKVCache.floatsNeeded(c.nLayers, 1024, c.kvDim));
    const cache = new ContiguousKVCache(kv, c.nLayers, 1024, c.kvDim);
    const step = new Int32Array(1);
    const decode = (n: number): void => {
      step[0] = 1;
      for (let pos = 0; pos < n; pos++) {
        fwd.run(step, 1, pos % 256, cache);
        step[0] = greedy(fwd.logits);
      }
    };
    decode(300); // warm up the JIT
    const r = await measureAllocation(() => decode(3000));
    fwd.dispose();
    arena.free(kv.byteOffset);
    expect(r.gcs).toEqual([]);
    // Under 32 KiB of young-generation growth for 3000 steps: no per-step garbage.
    expect(r.youngBytes).toBeLessThan(32 * 1024);
  });
});
